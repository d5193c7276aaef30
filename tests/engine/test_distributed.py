"""RATESeparateDistributedDataParallel in one process (a gloo group of one):
which modules get a DDP, and checkpoint keys. Gradient synchronisation
across ranks is tested in tests/tools/test_dist_train_test.py."""

import pytest
import torch
import torch.distributed as dist
import torch.nn as nn
from mmengine.config import Config
from mmengine.model import is_model_wrapper
from mmengine.registry import MODEL_WRAPPERS, DefaultScope
from mmengine.runner.checkpoint import load_state_dict

import ratenet_plugin  # noqa: F401
from ratenet_plugin.engine import (RATESeparateDistributedDataParallel,
                                   distributed_run)
from ratenet_plugin.engine.distributed import NetworkDistributedDataParallel
from ratenet_plugin.registry import MODELS
from tests.network_testing import free_port

CYCLE_NETWORKS = [
    'generator.pose_transfer', 'generator.texture_enhancer',
    'shape_discriminator', 'appearance_discriminator'
]


@pytest.fixture
def process_group():
    dist.init_process_group(
        'gloo',
        init_method=f'tcp://127.0.0.1:{free_port()}',
        rank=0,
        world_size=1)
    yield
    dist.destroy_process_group()


@pytest.fixture
def build_model(tiny_config_file):
    model_cfg = Config.fromfile(tiny_config_file()).model

    def build(**generator_overrides) -> nn.Module:
        cfg = model_cfg.copy()
        cfg.generator = dict(cfg.generator, **generator_overrides)
        with DefaultScope.overwrite_default_scope('mmagic'):
            return MODELS.build(cfg)

    return build


def wrap(model: nn.Module) -> RATESeparateDistributedDataParallel:
    # As Runner.wrap_model builds it, device_ids included (dropped on CPU).
    return MODEL_WRAPPERS.build(
        dict(
            type='mmagic.RATESeparateDistributedDataParallel',
            broadcast_buffers=False,
            find_unused_parameters=False,
            device_ids=[0],
            module=model))


def ddp_names(wrapper) -> list:
    return [
        name for name, module in wrapper.module.named_modules()
        if isinstance(module, NetworkDistributedDataParallel)
    ]


def test_each_network_of_the_cycle_gets_its_own_ddp(process_group,
                                                     build_model):
    wrapper = wrap(build_model())
    assert is_model_wrapper(wrapper)
    assert wrapper.ddp_module_names == CYCLE_NETWORKS
    assert ddp_names(wrapper) == CYCLE_NETWORKS
    # The generator itself is not wrapped; the frozen VGG is not wrapped.
    assert not is_model_wrapper(wrapper.module.generator)
    assert not is_model_wrapper(wrapper.module.perceptual_loss)
    # The Runner finds it by its plain name (MMEngine's root registry).
    assert MODEL_WRAPPERS.get('RATESeparateDistributedDataParallel') is \
        RATESeparateDistributedDataParallel


def test_frozen_and_absent_networks_get_no_ddp(process_group, build_model):
    pb_fixed = wrap(build_model(freeze_pose_transfer=True))
    assert pb_fixed.ddp_module_names == CYCLE_NETWORKS[1:]
    pb_only = wrap(build_model(texture_enhancer=None))
    assert pb_only.ddp_module_names == [
        CYCLE_NETWORKS[0], *CYCLE_NETWORKS[2:]
    ]


def test_state_dict_keys_are_those_of_the_plain_model(process_group,
                                                      build_model):
    plain = build_model()
    plain_state = plain.state_dict()
    other = build_model()
    with torch.no_grad():
        for param in other.parameters():
            param.add_(1.0)
    wrapper = wrap(other)
    assert list(wrapper.module.state_dict()) == list(plain_state)
    # PyTorch's and MMEngine's loaders both take plain keys.
    wrapper.module.load_state_dict(plain_state, strict=True)
    for key, value in wrapper.module.state_dict().items():
        assert torch.equal(value, plain_state[key]), key
    plain.load_state_dict(wrapper.module.state_dict(), strict=True)
    load_state_dict(wrapper, plain_state, strict=True)


def test_a_trainable_parameter_outside_every_ddp_is_refused(
        process_group, build_model):
    model = build_model()
    model.register_parameter('stray', nn.Parameter(torch.zeros(1)))
    with pytest.raises(ValueError, match='stray'):
        wrap(model)


class DomainGAN(nn.Module):
    """Shaped like MMagic's translation models (Pix2Pix): networks per
    domain in ModuleDicts, called as ``get_module(self.generators)[domain]``
    (the dict itself, not a wrapper around it)."""

    def __init__(self) -> None:
        super().__init__()
        self.generators = nn.ModuleDict({'person': nn.Conv2d(3, 3, 1)})
        self.discriminators = nn.ModuleDict({'person': nn.Conv2d(3, 1, 1)})


def test_entries_of_module_dicts_get_a_ddp_each(process_group):
    model = DomainGAN()
    weight = model.generators['person'].weight
    wrapper = wrap(model)
    assert wrapper.ddp_module_names == [
        'generators.person', 'discriminators.person'
    ]
    generator = wrapper.module.generators['person']
    assert isinstance(generator, NetworkDistributedDataParallel)
    # Attributes of the network read through its DDP (MMagic's init code
    # calls get_module(self.generators)[domain].init_weights()).
    assert generator.weight is weight
    assert generator.out_channels == 3
    assert list(wrapper.module.state_dict()) == [
        'generators.person.weight', 'generators.person.bias',
        'discriminators.person.weight', 'discriminators.person.bias'
    ]


def test_a_tool_run_ends_its_process_group_only_after_success(monkeypatch):
    """distributed_run starts the gloo group from torchrun's environment,
    destroys it when the run ends (no group left for the interpreter's
    exit), and leaves it alone after an error (no barrier that would hang
    the ranks that did not fail)."""
    port = free_port()
    for key, value in dict(RANK='0', LOCAL_RANK='0', WORLD_SIZE='1',
                           MASTER_ADDR='127.0.0.1',
                           MASTER_PORT=str(port)).items():
        monkeypatch.setenv(key, value)
    with distributed_run(
            Config(dict(launcher='pytorch',
                        env_cfg=dict(dist_cfg=dict(backend='gloo'))))):
        assert dist.is_initialized() and dist.get_world_size() == 1
    assert not dist.is_initialized()

    with pytest.raises(RuntimeError, match='a rank failed'):
        with distributed_run(Config(dict(launcher='none'))):
            dist.init_process_group(
                'gloo', init_method=f'tcp://127.0.0.1:{port}', rank=0,
                world_size=1)
            raise RuntimeError('a rank failed')
    assert dist.is_initialized()
    dist.destroy_process_group()
