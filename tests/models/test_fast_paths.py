"""Fast paths agree with the eager float32 model on a tiny RATENet (CPU).

Each update of the 1-1-3 cycle runs on two models built from the same seed,
the eager float32 reference and one with a fast path; the optimisers have
lr=0, so both stay at their initial weights and every update is compared at
the same point. Compared: the logged losses, and the gradients each
optimiser receives (recorded by a step pre-hook) per trainable module, as
the relative error ``|g - g_ref| / |g_ref|`` over all of a module's
parameters. Inference: the final image of ``model(inputs)`` in eval mode.

Tolerances (stated in docs/benchmarks.md):

- channels_last, torch.compile and Winograd convolutions (inference) in
  float32: the same arithmetic in another order, so losses within 1e-5
  relative, gradients within 1e-4, images within 1e-5 absolute (in
  [-2, 2]);
- bfloat16 autocast (8 mantissa bits, ~0.4 % per rounding): losses within
  0.5 %, gradients within 30 % relative error with cosine > 0.97, images
  within 0.05 absolute. Measured: losses 0.1 %, gradients 6-19 % (cosine
  0.983-0.998), images 0.022. The gradient error sits in the convolutions
  that feed an InstanceNorm (its backward subtracts nearly equal terms, in
  bfloat16 here); the networks of this tiny model have 4 channels.
"""
import math
import os

import pytest
import torch
from mmengine.optim import OptimWrapper, OptimWrapperDict

from ratenet_plugin.engine import AnyDeviceAmpOptimWrapper
from ratenet_plugin.registry import MODELS
from ratenet_plugin.utils.fast_paths import is_channels_last
from tests.models.ratenet_testing import OPTIM_KEYS, raw_batch, tiny_model_cfg

UPDATES = ('pose_transfer', 'joint', 'discriminator')
FP32_TOL = dict(loss=1e-5, grad=1e-4, image=1e-5)
BF16_TOL = dict(loss=5e-3, grad=0.3, image=5e-2)
BF16_MIN_COSINE = 0.97
#: Fast enough for a unit test: TorchDynamo + AOTAutograd (the graphs and
#: the joint forward/backward that inductor would compile), run eagerly.
#: Inductor itself (PyTorch's default backend) takes about 3 minutes to
#: compile the tiny model on 2 CPU cores: RATENET_TEST_INDUCTOR=1 runs it.
TEST_COMPILE = dict(backend='aot_eager', dynamic=False)


def build(**options):
    torch.manual_seed(0)
    model = MODELS.build(dict(tiny_model_cfg(), **options))
    model.init_weights()
    return model


def recording_wrappers(model, wrapper_type=OptimWrapper, **kwargs):
    """lr=0 SGD per module; ``wrapper.grads`` holds the last step's
    gradients by parameter name."""
    wrappers = {}
    for key in OPTIM_KEYS:
        module = getattr(model, key)
        names = {id(p): name for name, p in module.named_parameters()}
        optimizer = torch.optim.SGD(module.parameters(), lr=0.0)
        wrapper = wrapper_type(optimizer=optimizer, **kwargs)
        wrapper.grads = {}

        def record(optimizer, args, kw, wrapper=wrapper, names=names):
            wrapper.grads = {
                names[id(p)]: p.grad.detach().float().clone()
                for group in optimizer.param_groups for p in group['params']
                if p.grad is not None
            }

        optimizer.register_step_pre_hook(record)
        wrappers[key] = wrapper
    return OptimWrapperDict(**wrappers)


def relative_error(values: dict, reference: dict) -> float:
    assert values.keys() == reference.keys()
    num = sum(float((values[k] - reference[k]).pow(2).sum()) for k in values)
    den = sum(float(reference[k].pow(2).sum()) for k in reference)
    assert den > 0
    return math.sqrt(num / den)


def cosine(values: dict, reference: dict) -> float:
    a = torch.cat([values[k].flatten() for k in sorted(values)])
    b = torch.cat([reference[k].flatten() for k in sorted(values)])
    return float(torch.nn.functional.cosine_similarity(a, b, dim=0))


def run_cycle(model, wrappers, autocast_dtype=None):
    """Per update: (logged losses, {module key: gradients})."""
    model.train()
    batch = model.data_preprocessor(raw_batch(), training=True)
    results = {}
    for name in UPDATES:
        for wrapper in wrappers.values():
            wrapper.grads = {}
        if autocast_dtype is None:
            logs = model.train_update(name, batch, wrappers)
        else:
            with torch.autocast('cpu', dtype=autocast_dtype):
                logs = model.train_update(name, batch, wrappers)
        grads = {key: w.grads for key, w in wrappers.items() if w.grads}
        results[name] = ({k: float(v) for k, v in logs.items()}, grads)
    return results


def generate(model, autocast_dtype=None):
    model.eval()
    inputs = model.data_preprocessor(raw_batch(seed=3), training=False)
    with torch.no_grad(), torch.autocast(
            'cpu', dtype=autocast_dtype or torch.bfloat16,
            enabled=autocast_dtype is not None):
        return model(inputs['inputs'])['final'].float()


@pytest.fixture(scope='module')
def reference():
    model = build()
    cycle = run_cycle(model, recording_wrappers(model))
    return cycle, generate(model)


def assert_agree(cycle, reference_cycle, tol, min_cosine=None):
    for name in UPDATES:
        logs, grads = cycle[name]
        ref_logs, ref_grads = reference_cycle[name]
        assert logs.keys() == ref_logs.keys(), name
        for key, value in logs.items():
            assert value == pytest.approx(
                ref_logs[key], rel=tol['loss']), (name, key)
        assert grads.keys() == ref_grads.keys(), name
        for key in grads:
            error = relative_error(grads[key], ref_grads[key])
            assert error < tol['grad'], (name, key, error)
            if min_cosine is not None:
                assert cosine(grads[key], ref_grads[key]) > min_cosine


def test_reference_updates_train_the_expected_modules(reference):
    cycle, _ = reference
    assert set(cycle['pose_transfer'][1]) == {'generator'}
    assert not any(
        k.startswith('texture_enhancer')
        for k in cycle['pose_transfer'][1]['generator'])
    assert set(cycle['joint'][1]) == {'generator'}
    assert set(cycle['discriminator'][1]) == {
        'shape_discriminator', 'appearance_discriminator'
    }


def test_channels_last_init_gives_the_same_weights():
    eager, fast = build().state_dict(), build(channels_last=True).state_dict()
    assert all(torch.equal(eager[k], fast[k]) for k in eager)


def test_channels_last_agrees_with_fp32(reference):
    model = build(channels_last=True)
    assert is_channels_last(model.generator)
    assert is_channels_last(model.shape_discriminator)
    assert is_channels_last(model.perceptual_loss.vgg)
    assert_agree(run_cycle(model, recording_wrappers(model)), reference[0],
                 FP32_TOL)
    # Still channels_last after the updates (in-place optimiser steps).
    assert is_channels_last(model.generator)
    image = generate(model)
    assert (image - reference[1]).abs().max() < FP32_TOL['image']


def test_winograd_agrees_with_fp32(reference):
    """Training (train mode, the discriminators' fakes included) takes the
    ordinary path: the same numbers; inference the Winograd one, within
    float32's tolerance."""
    model = build(winograd=True, winograd_min_channels=1)
    assert model.winograd_layers > 0
    assert model.state_dict().keys() == build().state_dict().keys()
    cycle = run_cycle(model, recording_wrappers(model))
    for name in UPDATES:
        assert cycle[name][0] == reference[0][name][0], name
    assert_agree(cycle, reference[0], FP32_TOL)
    image = generate(model)
    assert not torch.equal(image, reference[1])
    assert (image - reference[1]).abs().max() < FP32_TOL['image']


def test_winograd_and_compile_are_refused_together():
    with pytest.raises(ValueError, match='winograd and torch_compile'):
        build(winograd=True, torch_compile=TEST_COMPILE)


def test_bf16_autocast_agrees_with_fp32_within_bf16_tolerance(reference):
    model = build()
    cycle = run_cycle(model, recording_wrappers(model), torch.bfloat16)
    assert_agree(cycle, reference[0], BF16_TOL, min_cosine=BF16_MIN_COSINE)
    image = generate(model, torch.bfloat16)
    assert (image - reference[1]).abs().max() < BF16_TOL['image']


def test_bf16_optim_wrapper_autocasts_each_update(reference):
    """The --amp path on CPU: AnyDeviceAmpOptimWrapper's optim_context."""
    model = build()
    wrappers = recording_wrappers(
        model, AnyDeviceAmpOptimWrapper, dtype='bfloat16')
    cycle = run_cycle(model, wrappers)
    assert_agree(cycle, reference[0], BF16_TOL, min_cosine=BF16_MIN_COSINE)
    # The autocast really was on: not float32's numbers.
    assert cycle['joint'][0] != reference[0]['joint'][0]


def test_bf16_channels_last_agrees_with_fp32(reference):
    model = build(channels_last=True)
    wrappers = recording_wrappers(
        model, AnyDeviceAmpOptimWrapper, dtype='bfloat16')
    cycle = run_cycle(model, wrappers)
    assert_agree(cycle, reference[0], BF16_TOL, min_cosine=BF16_MIN_COSINE)
    # Both paths really were on: the layout kept, not float32's numbers.
    assert is_channels_last(model.generator)
    assert cycle['joint'][0] != reference[0]['joint'][0]


def test_compile_agrees_with_fp32(reference):
    torch._dynamo.reset()
    model = build(torch_compile=TEST_COMPILE)
    # Compiled in place: parameter names and state dict are the eager ones.
    assert model.state_dict().keys() == build().state_dict().keys()
    assert_agree(run_cycle(model, recording_wrappers(model)), reference[0],
                 FP32_TOL)
    image = generate(model)
    assert (image - reference[1]).abs().max() < FP32_TOL['image']
    torch._dynamo.reset()


@pytest.mark.skipif(
    not os.environ.get('RATENET_TEST_INDUCTOR'),
    reason='inductor compilation takes minutes on CPU; '
    'set RATENET_TEST_INDUCTOR=1')
def test_inductor_compile_agrees_with_fp32(reference):
    torch._dynamo.reset()
    model = build(torch_compile=True)
    assert_agree(run_cycle(model, recording_wrappers(model)), reference[0],
                 FP32_TOL)
    image = generate(model)
    assert (image - reference[1]).abs().max() < FP32_TOL['image']
    torch._dynamo.reset()


def test_compile_really_traces_the_networks():
    torch._dynamo.reset()
    counts = {}

    def counting_backend(graph_module, example_inputs):
        counts['graphs'] = counts.get('graphs', 0) + 1
        return graph_module.forward

    model = build(torch_compile=dict(backend=counting_backend))
    run_cycle(model, recording_wrappers(model))
    # generator (coarse only, full, no-grad fakes), D_S, D_A, VGG: >= 6.
    assert counts['graphs'] >= 6
    torch._dynamo.reset()


@pytest.mark.parametrize('options', [
    dict(channels_last=True),
    dict(torch_compile=TEST_COMPILE),
])
def test_vgg_feature_cache_holds_on_the_fast_paths(options):
    """One ground-truth VGG pass per cycle, also under bf16 autocast with
    channels_last or compilation."""
    torch._dynamo.reset()
    model = build(**options)
    wrappers = recording_wrappers(
        model, AnyDeviceAmpOptimWrapper, dtype='bfloat16')
    vgg_inputs = []
    features = model.perceptual_loss._features
    model.perceptual_loss._features = lambda img: (vgg_inputs.append(img),
                                                   features(img))[1]
    model.train()
    batch = model.data_preprocessor(raw_batch(), training=True)
    for name, repeats in (('pose_transfer', 1), ('joint', 1),
                          ('discriminator', 3)):
        model.train_update(name, batch, wrappers, repeats)
    # pose transfer: coarse + ground truth; joint: final only.
    assert len(vgg_inputs) == 3
    torch._dynamo.reset()
