"""Internal blocks: sizes, PAT block streams, AdaIN."""
import torch

from ratenet_plugin.models.editors.ratenet.ratenet_modules import (
    INSTANCE_NORM, LEAKY_RELU, AdaIN, AdaINUpBlock, PATBlock, UpBlock,
    downsampled_sizes, level_channels)


def test_downsampled_sizes_round_up():
    assert downsampled_sizes(256, 176, 3) == [(256, 176), (128, 88),
                                              (64, 44), (32, 22)]
    assert downsampled_sizes(64, 44, 3) == [(64, 44), (32, 22), (16, 11),
                                            (8, 6)]


def test_level_channels_doubles_up_to_cap():
    assert [level_channels(64, i, None) for i in range(4)] == \
        [64, 128, 256, 512]
    assert [level_channels(64, i, 256) for i in range(4)] == \
        [64, 128, 256, 256]


def test_up_block_restores_odd_sizes():
    block = UpBlock(8, 4, INSTANCE_NORM, LEAKY_RELU)
    x = torch.randn(2, 8, 6, 6)
    assert block(x, (11, 11)).shape == (2, 4, 11, 11)
    assert block(x, (12, 11)).shape == (2, 4, 12, 11)


def test_pat_block_streams():
    first = PATBlock(8, 8, INSTANCE_NORM, LEAKY_RELU, dropout=0.)
    later = PATBlock(8, 16, INSTANCE_NORM, LEAKY_RELU, dropout=0.)
    x_img, x_pose = torch.randn(2, 8, 5, 4), torch.randn(2, 8, 5, 4)
    x_img, x_pose = first(x_img, x_pose)
    assert x_img.shape == (2, 8, 5, 4) and x_pose.shape == (2, 16, 5, 4)
    x_img2, x_pose2 = later(x_img, x_pose)
    assert x_img2.shape == (2, 8, 5, 4) and x_pose2.shape == (2, 16, 5, 4)
    # The pose stream carries the updated image stream in its second half.
    assert torch.equal(x_pose2[:, 8:], x_img2)


def test_pat_block_attention_gates_the_update():
    block = PATBlock(4, 4, INSTANCE_NORM, LEAKY_RELU, dropout=0.)
    last_pose_conv = block.pose_branch[-1].conv
    torch.nn.init.zeros_(last_pose_conv.weight)
    torch.nn.init.constant_(last_pose_conv.bias, -100.)  # sigmoid -> 0
    x_img = torch.randn(1, 4, 6, 6)
    out, _ = block(x_img, torch.randn(1, 4, 6, 6))
    assert torch.allclose(out, x_img)


def test_adain_modulates_with_the_code():
    adain = AdaIN(6, texture_dim=3)
    x = torch.randn(2, 6, 5, 5)
    torch.nn.init.zeros_(adain.affine.weight)
    torch.nn.init.zeros_(adain.affine.bias)
    # gamma = beta = 0: plain instance normalisation.
    assert torch.allclose(
        adain(x, torch.randn(2, 3)), torch.nn.functional.instance_norm(x))
    torch.nn.init.normal_(adain.affine.weight)
    z = torch.randn(1, 3)
    assert not torch.allclose(adain(x[:1], z), adain(x[:1], -z))


def test_adain_up_block_shape():
    block = AdaINUpBlock(8, 4, texture_dim=5, act_cfg=LEAKY_RELU)
    out = block(torch.randn(2, 8, 3, 3), torch.randn(2, 5), (6, 5))
    assert out.shape == (2, 4, 6, 5)
