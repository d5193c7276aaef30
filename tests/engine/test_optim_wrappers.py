"""AnyDeviceAmpOptimWrapper and the config switches of the fast paths."""
import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.optim import AmpOptimWrapper, build_optim_wrapper
from mmengine.registry import DefaultScope

import ratenet_plugin  # noqa: F401  (registers the wrapper)
from ratenet_plugin.engine import AnyDeviceAmpOptimWrapper
from ratenet_plugin.utils.arguments import ConfigValueError
from ratenet_plugin.utils.config import (compile_option, enable_amp,
                                         enable_fast_paths)
from ratenet_plugin.utils.fast_paths import compile_options

requires_cpu_only = pytest.mark.skipif(
    torch.cuda.is_available(), reason='tests the CPU behaviour')


def conv_wrapper(**kwargs):
    conv = nn.Conv2d(3, 4, 3)
    wrapper = AnyDeviceAmpOptimWrapper(
        optimizer=torch.optim.SGD(conv.parameters(), lr=0.1), **kwargs)
    return conv, wrapper


@requires_cpu_only
def test_bf16_on_cpu_autocasts_and_steps_without_scaling():
    conv, wrapper = conv_wrapper(dtype='bfloat16')
    assert isinstance(wrapper, AmpOptimWrapper)
    assert not wrapper.loss_scaler.is_enabled()
    before = conv.weight.detach().clone()
    with wrapper.optim_context(conv):
        out = conv(torch.randn(2, 3, 8, 8))
        assert out.dtype == torch.bfloat16
        loss = out.float().square().mean()
        wrapper.update_params(loss)
    assert not torch.equal(before, conv.weight)
    assert conv.weight.dtype == torch.float32  # master weights stay fp32
    # Checkpoints round-trip (no scaler state to save).
    state = wrapper.state_dict()
    _, other = conv_wrapper(dtype='bfloat16')
    other.load_state_dict(state)


def test_a_bf16_checkpoint_resumes_with_float16_loss_scaling():
    """A bf16 (or fp32) run's checkpoint holds an empty loss_scaler; resumed
    in float16 (--amp on a GPU), the enabled GradScaler starts fresh
    instead of raising. The float16 wrapper needs a GPU: an enabled CPU
    GradScaler stands for its scaler here (the GPU test below checks the
    wrapper itself)."""
    _, bf16 = conv_wrapper(dtype='bfloat16')
    state = bf16.state_dict()
    assert state['loss_scaler'] == {}
    _, scaled = conv_wrapper(dtype='bfloat16')
    scaled.loss_scaler = torch.amp.GradScaler('cpu', init_scale=2.**10)
    scaled.load_state_dict(state)
    assert scaled.loss_scaler.get_scale() == 2.**10
    assert state['loss_scaler'] == {}  # the caller's dict is left as it was


@requires_cpu_only
def test_default_dtype_on_cpu_is_bf16_and_fp16_is_refused():
    _, wrapper = conv_wrapper()
    assert wrapper.cast_dtype == torch.bfloat16
    with pytest.raises(ConfigValueError, match='bfloat16'):
        conv_wrapper(dtype='float16')
    with pytest.raises(ConfigValueError, match='float16'):
        conv_wrapper(dtype='float64')


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a GPU')
def test_fp16_on_gpu_is_amp_optim_wrapper_with_dynamic_scaling():
    _, wrapper = conv_wrapper(dtype='float16')
    assert wrapper.loss_scaler.is_enabled()
    _, bf16 = conv_wrapper(dtype='bfloat16')
    wrapper.load_state_dict(bf16.state_dict())  # a bf16 run resumed in fp16
    assert not bf16.loss_scaler.is_enabled()


def test_enable_amp_sets_the_wrapper_for_every_module():
    cfg = Config(
        dict(
            optim_wrapper=dict(
                constructor='MultiOptimWrapperConstructor',
                generator=dict(
                    type='OptimWrapper', optimizer=dict(type='SGD', lr=1.)),
                discriminator=dict(optimizer=dict(type='SGD', lr=1.)))))
    enable_amp(cfg, dtype='bfloat16')
    for key in ('generator', 'discriminator'):
        assert cfg.optim_wrapper[key].type == 'AnyDeviceAmpOptimWrapper'
        assert cfg.optim_wrapper[key].dtype == 'bfloat16'
    model = nn.ModuleDict(
        dict(generator=nn.Conv2d(1, 1, 1), discriminator=nn.Conv2d(1, 1, 1)))
    if not torch.cuda.is_available():
        with DefaultScope.overwrite_default_scope('mmagic'):
            wrappers = build_optim_wrapper(model, cfg.optim_wrapper)
        assert isinstance(wrappers['generator'], AnyDeviceAmpOptimWrapper)


def test_enable_amp_refuses_other_wrappers():
    cfg = Config(
        dict(optim_wrapper=dict(type='OtherWrapper', optimizer=dict())))
    with pytest.raises(ValueError, match='OtherWrapper'):
        enable_amp(cfg)


def test_fast_path_switches():
    cfg = Config(dict(model=dict(type='RATENet'), env_cfg=dict()))
    enable_fast_paths(cfg)
    assert 'channels_last' not in cfg.model
    assert 'torch_compile' not in cfg.model
    enable_fast_paths(
        cfg,
        channels_last=True,
        torch_compile=compile_option('max-autotune-no-cudagraphs'),
        cudnn_benchmark=True)
    assert cfg.model.channels_last is True
    assert cfg.model.torch_compile == dict(mode='max-autotune-no-cudagraphs')
    assert cfg.env_cfg.cudnn_benchmark is True
    assert compile_option(None) is False
    assert compile_option('default') is True
    assert compile_options(True) == {}
    with pytest.raises(TypeError):
        compile_options('inductor')
