"""PoseTransferModule (G_P): shapes, range, widths, initialisation."""
import pytest
import torch

from ratenet_plugin.models import PoseTransferModule
from ratenet_plugin.models.editors.ratenet.pose_transfer_module import \
    PATN_DEEPFASHION_LAYOUT
from ratenet_plugin.models.editors.ratenet.ratenet_modules import \
    ReflectionPad2dInInputDtype


def _inputs(num, height, width):
    return (torch.rand(num, 3, height, width) * 2 - 1,
            torch.rand(num, 18, height, width),
            torch.rand(num, 18, height, width))


@pytest.mark.parametrize('size', [(256, 176), (256, 256), (64, 44)])
def test_outputs_shapes_and_range(size):
    module = PoseTransferModule(base_channels=4, num_blocks=1)
    module.init_weights()
    out = module(*_inputs(1, *size))
    assert set(out) == {'coarse', 'feature'}
    assert out['coarse'].shape == (1, 3, *size)
    assert out['coarse'].abs().max() <= 1
    # 3 down-samplings, channels doubled each time: 4 -> 32 at 1/8 size.
    h, w = size
    assert out['feature'].shape == (1, 32, (h + 7) // 8, (w + 7) // 8)
    assert module.feature_channels == 32


def test_two_streams_and_pat_blocks_are_built_as_configured():
    module = PoseTransferModule(
        base_channels=4, num_downsamples=2, num_blocks=3, max_channels=8)
    assert module.image_encoder[0].conv.in_channels == 3
    assert module.pose_encoder[0].conv.in_channels == 36
    assert len(module.pat_blocks) == 3
    assert module.feature_channels == 8
    assert len(module.up_blocks) == 2


def test_target_pose_changes_the_output():
    module = PoseTransferModule(base_channels=4, num_blocks=1, dropout=0.)
    module.init_weights()
    src_img, src_pose, tgt_pose = _inputs(1, 32, 22)
    first = module(src_img, src_pose, tgt_pose)['coarse']
    second = module(src_img, src_pose, tgt_pose.flip(-1))['coarse']
    assert not torch.allclose(first, second)


def test_patn_normal_init():
    module = PoseTransferModule(base_channels=16, num_blocks=1)
    module.init_weights()
    weight = module.pat_blocks[0].image_branch[0].conv.weight
    assert abs(weight.mean().item()) < 0.005
    assert weight.std().item() == pytest.approx(0.02, rel=0.1)


def test_pretrained_init_cfg_loads_a_checkpoint(tmp_path):
    """PB Fixed loads G_P from a checkpoint through init_cfg, strictly."""
    source = PoseTransferModule(base_channels=4, num_blocks=1)
    source.init_weights()
    checkpoint = tmp_path / 'ratenet.pth'
    torch.save(
        dict(state_dict={
            f'generator.pose_transfer.{k}': v
            for k, v in source.state_dict().items()
        }), checkpoint)
    loaded = PoseTransferModule(
        base_channels=4,
        num_blocks=1,
        init_cfg=dict(
            type='StrictPretrained',
            checkpoint=str(checkpoint),
            prefix='generator.pose_transfer.'))
    loaded.init_weights()
    for key, value in source.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key


@pytest.mark.parametrize('padding', ['reflect', 'zeros'])
def test_downsample_padding_is_an_explicit_option(padding):
    module = PoseTransferModule(
        base_channels=4, num_blocks=1, downsample_padding=padding)
    for encoder in (module.image_encoder, module.pose_encoder):
        for layer in encoder[1:]:
            assert layer.conv.stride == (2, 2)
            if padding == 'zeros':  # inside the convolution
                assert not layer.with_explicit_padding
                assert layer.conv.padding == (1, 1)
            else:  # a padding layer before it
                assert isinstance(layer.padding_layer,
                                  ReflectionPad2dInInputDtype)
                assert layer.conv.padding == (0, 0)
        # The 7x7 stem is reflection-padded either way (PATN).
        assert isinstance(encoder[0].padding_layer,
                          ReflectionPad2dInInputDtype)
    with pytest.raises(ValueError, match='downsample_padding'):
        PoseTransferModule(downsample_padding='replicate')


def test_patn_layout_is_patns_generator():
    """2 zero-padded down-samplings to 256 channels, ReLU, 9 PAT blocks."""
    module = PoseTransferModule(**PATN_DEEPFASHION_LAYOUT)
    assert module.feature_channels == 256 and len(module.up_blocks) == 2
    assert len(module.pat_blocks) == 9
    assert isinstance(module.image_encoder[0].activate, torch.nn.ReLU)
    assert module.image_encoder[1].conv.padding == (1, 1)
    assert not module.image_encoder[1].with_explicit_padding
    # PATN's parameter count less its biases before InstanceNorm.
    assert sum(p.numel() for p in module.parameters()) == 41_347_971


def test_rejects_zero_blocks():
    with pytest.raises(ValueError, match='num_blocks'):
        PoseTransferModule(num_blocks=0)
