"""RATEGenerator: named outputs, I_t = I_co + R_t, modes and ablations."""
import pytest
import torch

from ratenet_plugin.models.winograd_conv2d import WinogradConv2d, use_winograd
from ratenet_plugin.registry import MODELS
from tests.models.ratenet_testing import tiny_generator_cfg


def _build(**kwargs):
    torch.manual_seed(0)
    generator = MODELS.build(tiny_generator_cfg(**kwargs))
    generator.init_weights()
    return generator


def _inputs(num=2, height=32, width=22):
    return (torch.rand(num, 3, height, width) * 2 - 1,
            torch.rand(num, 18, height, width),
            torch.rand(num, 18, height, width))


@pytest.mark.parametrize('size', [(256, 176), (256, 256)])
def test_named_outputs_and_shapes(size):
    generator = _build(texture_dim=16)
    out = generator(*_inputs(1, *size))
    assert set(out) == {
        'coarse', 'feature', 'residual', 'texture_code', 'final'
    }
    h, w = size
    for key in ('coarse', 'residual', 'final'):
        assert out[key].shape == (1, 3, h, w), key
    assert out['feature'].shape == (1, 32, h // 8, w // 8)
    assert out['texture_code'].shape == (1, 16)


def test_final_is_coarse_plus_residual():
    out = _build()(*_inputs())
    assert torch.equal(out['final'], out['coarse'] + out['residual'])


def test_coarse_only_skips_the_texture_enhancer():
    generator = _build()
    calls = []
    generator.texture_enhancer.register_forward_hook(
        lambda *args: calls.append(1))
    inputs = _inputs()
    out = generator(*inputs, coarse_only=True)
    assert calls == []
    assert out['residual'] is None and out['final'] is None
    assert out['texture_code'] is None
    assert torch.equal(out['coarse'], generator(*inputs)['coarse'])
    assert calls == [1]


def test_pb_only_final_is_coarse():
    generator = _build(texture=False)
    assert generator.texture_enhancer is None
    out = generator(*_inputs())
    assert out['final'] is out['coarse']
    assert out['residual'] is None and out['texture_code'] is None


def test_texture_enhancer_gets_feature_channels_from_pose_transfer():
    generator = _build()
    assert generator.texture_enhancer.adain_blocks[0].conv1.conv \
        .in_channels == generator.pose_transfer.feature_channels == 32


def test_mismatched_texture_enhancer_raises():
    cfg = tiny_generator_cfg()
    cfg['texture_enhancer']['feature_channels'] = 16
    with pytest.raises(ValueError, match='feature_channels'):
        MODELS.build(cfg)
    cfg = tiny_generator_cfg()
    cfg['texture_enhancer']['num_downsamples'] = 2
    with pytest.raises(ValueError, match='num_downsamples'):
        MODELS.build(cfg)


def test_texture_enhancer_decoder_follows_a_shallower_pose_transfer():
    """PATN's G_P (F_t at 1/4) + the paper's G_t encoder (3 down-samplings):
    G_t's decoder up-samples twice."""
    cfg = tiny_generator_cfg()
    cfg['pose_transfer'].update(num_downsamples=2, act_cfg=dict(type='ReLU'),
                                downsample_padding='zeros')
    cfg['texture_enhancer'].update(num_upsamples=2)
    torch.manual_seed(0)
    generator = MODELS.build(cfg)
    generator.init_weights()
    assert generator.texture_enhancer.num_downsamples == 3
    assert len(generator.texture_enhancer.up_blocks) == 2
    out = generator(*_inputs())
    assert out['feature'].shape == (2, 16, 8, 6)
    assert out['residual'].shape == out['coarse'].shape == (2, 3, 32, 22)
    # Without num_upsamples the decoder would up-sample 3 times: refused.
    cfg['texture_enhancer'].pop('num_upsamples')
    with pytest.raises(ValueError, match=r'num_upsamples \(3'):
        MODELS.build(cfg)


def test_freeze_pose_transfer():
    generator = _build(freeze_pose_transfer=True, dropout=0.5)
    generator.train()
    assert not generator.pose_transfer.training
    assert generator.texture_enhancer.training
    assert not any(p.requires_grad
                   for p in generator.pose_transfer.parameters())
    assert all(p.requires_grad
               for p in generator.texture_enhancer.parameters())
    # Frozen G_P is deterministic (dropout off) even in training mode.
    inputs = _inputs()
    assert torch.equal(generator(*inputs)['coarse'],
                       generator(*inputs)['coarse'])


def test_a_frozen_pose_transfer_keeps_its_winograd_filters_across_cycles():
    """MMEngine calls model.train() every cycle: a frozen G_P is never
    switched, so the Winograd filters of its inference path are computed
    once, not every cycle (a layer drops them at every mode switch)."""
    generator = _build(freeze_pose_transfer=True)
    assert use_winograd(generator.pose_transfer, min_channels=1) > 0
    with torch.no_grad():
        generator(*_inputs())
    layer = next(m for m in generator.pose_transfer.modules()
                 if isinstance(m, WinogradConv2d))
    filters = layer._winograd_filters
    assert filters is not None
    for _ in range(2):  # cycles
        generator.train()
        generator(*_inputs())
        assert layer._winograd_filters is filters
    generator.eval()
    assert not generator.pose_transfer.training


@pytest.mark.parametrize('final_range, expected', [
    ('unbounded', lambda x: x),
    ('clamp', lambda x: x.clamp(-1, 1)),
    ('tanh', torch.tanh),
])
def test_final_range_maps_coarse_plus_residual(final_range, expected):
    torch.manual_seed(0)
    generator = MODELS.build(
        dict(tiny_generator_cfg(), final_range=final_range))
    generator.init_weights()
    out = generator(*_inputs())
    assert torch.allclose(out['final'],
                          expected(out['coarse'] + out['residual']))
    # The whole range of I_co + R_t: only 'unbounded' leaves [-1, 1].
    total = torch.linspace(-2, 2, 9)
    assert torch.equal(generator.map_final(total), expected(total))
    assert (generator.map_final(total).abs().max() <= 1) == (
        final_range != 'unbounded')


def test_unknown_final_range_is_an_error():
    with pytest.raises(ValueError, match='final_range'):
        MODELS.build(dict(tiny_generator_cfg(), final_range='sigmoid'))


def test_texture_encoder_reads_the_source_pose_when_configured():
    cfg = tiny_generator_cfg()
    cfg['texture_enhancer']['pose_channels'] = 18
    torch.manual_seed(0)
    generator = MODELS.build(cfg)
    generator.init_weights()
    src_img, src_pose, tgt_pose = _inputs()
    code = generator(src_img, src_pose, tgt_pose)['texture_code']
    other = generator(src_img, src_pose.flip(-1), tgt_pose)['texture_code']
    assert not torch.allclose(code, other)
    # The image-only encoder (default) gives the same code for both poses.
    generator = _build()
    assert torch.equal(
        generator(src_img, src_pose, tgt_pose)['texture_code'],
        generator(src_img, src_pose.flip(-1), tgt_pose)['texture_code'])
