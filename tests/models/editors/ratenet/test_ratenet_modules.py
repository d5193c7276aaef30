"""Internal blocks: sizes, padding, PAT block streams, AdaIN."""
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from ratenet_plugin.models.editors.ratenet.ratenet_modules import (
    INSTANCE_NORM, LEAKY_RELU, AdaIN, AdaINUpBlock, PATBlock,
    ReflectionPad2dInInputDtype, UpBlock, conv3x3, downsampled_sizes,
    encoder_stem, image_head, level_channels)


class _OpNames(TorchDispatchMode):
    """Records the ATen ops that run inside the ``with`` block."""

    def __init__(self):
        super().__init__()
        self.names = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.names.append(func.__name__)
        return func(*args, **(kwargs or {}))


def _bf16_activation(channels=4):
    torch.manual_seed(0)
    x = torch.randn(2, channels, 9, 7).to(torch.bfloat16)
    return x.to(memory_format=torch.channels_last)


def test_reflection_pad_keeps_the_dtype_under_autocast():
    """Under CPU autocast a bf16 activation is padded in bf16, without a
    copy to float32 (nn.ReflectionPad2d casts it up); same values."""
    x = _bf16_activation()
    pad = ReflectionPad2dInInputDtype((1, 2, 3, 0))
    with torch.autocast('cpu', dtype=torch.bfloat16):
        with _OpNames() as ops:
            y = pad(x)
        upcast = torch.nn.ReflectionPad2d((1, 2, 3, 0))(x)
    assert y.dtype == torch.bfloat16 and upcast.dtype == torch.float32
    assert y.shape == (2, 4, 12, 10)
    assert y.is_contiguous(memory_format=torch.channels_last)
    assert '_to_copy.default' not in ops.names
    assert torch.equal(y.float(), upcast)
    # Outside autocast it is nn.ReflectionPad2d.
    x32 = x.float()
    assert torch.equal(pad(x32), torch.nn.ReflectionPad2d((1, 2, 3, 0))(x32))


def test_reflect_padded_conv_modules_use_it():
    """Every reflection-padded ConvModule of ours pads in the input dtype;
    a bf16 3x3 convolution gives the same output as with the up-casting
    pad and gradients within bf16 rounding."""
    layers = [
        conv3x3(4, 4, INSTANCE_NORM, LEAKY_RELU),
        encoder_stem(4, 4, INSTANCE_NORM, LEAKY_RELU),
        image_head(4, 3, None)
    ]
    for layer in layers:
        assert type(layer.padding_layer) is ReflectionPad2dInInputDtype
    assert not conv3x3(4, 4, None, None, padding_mode='zeros') \
        .with_explicit_padding

    layer = conv3x3(4, 4, None, LEAKY_RELU)
    results = []
    for pad in (layer.padding_layer, torch.nn.ReflectionPad2d(1)):
        layer.padding_layer = pad
        x = _bf16_activation().requires_grad_()
        with torch.autocast('cpu', dtype=torch.bfloat16):
            y = layer(x)
        y.float().square().sum().backward()
        results.append((y.detach(), x.grad, layer.conv.weight.grad.clone()))
        layer.zero_grad()
    (y_new, gx_new, gw_new), (y_old, gx_old, gw_old) = results
    assert y_new.dtype == torch.bfloat16
    assert torch.equal(y_new, y_old.to(y_new.dtype))
    torch.testing.assert_close(gx_new.float(), gx_old.float(),
                               rtol=2e-2, atol=1e-2)
    torch.testing.assert_close(gw_new, gw_old, rtol=2e-2, atol=1e-2)


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
