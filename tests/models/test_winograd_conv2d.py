"""Winograd's F(2x2, 3x3): the same convolution, taken only where it may be.

The reference is ``F.conv2d`` in float64; float32's own direct convolution
differs from it by a few 1e-7 of the output's scale, F(2x2, 3x3) by about
twice that, so 3e-6 of the scale is the bound.
"""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from ratenet_plugin.models.winograd_conv2d import (WinogradConv2d,
                                                   use_winograd,
                                                   winograd_applies,
                                                   winograd_conv3x3,
                                                   winograd_filters)

REL_TOL = 3e-6


def relative_error(out: torch.Tensor, ref: torch.Tensor) -> float:
    return float((out.double() - ref).abs().max() / ref.abs().max())


def reference(conv: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
    bias = None if conv.bias is None else conv.bias.double()
    return F.conv2d(x.double(), conv.weight.double(), bias,
                    padding=conv.padding)


@pytest.mark.parametrize('height,width', [(8, 6), (5, 9), (2, 2), (1, 4)])
@pytest.mark.parametrize('padding', [0, 1])
@pytest.mark.parametrize('bias', [True, False])
def test_winograd_layer_computes_the_convolution(height, width, padding,
                                                 bias):
    """Even and odd output sizes (odd ones are padded and cropped), zero
    padding 0 or 1, with and without bias, either memory format."""
    torch.manual_seed(0)
    conv = nn.Conv2d(6, 5, 3, padding=padding, bias=bias)
    x = torch.randn(2, 6, height + 2 - 2 * padding, width + 2 - 2 * padding)
    ref = reference(conv, x)
    assert use_winograd(conv, min_channels=1) == 1
    assert type(conv) is WinogradConv2d
    conv.eval()
    with torch.no_grad():
        for memory_format in (torch.contiguous_format, torch.channels_last):
            out = conv(x.contiguous(memory_format=memory_format))
            assert out.shape == ref.shape
            assert relative_error(out, ref) < REL_TOL


def test_functional_form_on_paper_sized_channels():
    torch.manual_seed(0)
    x = torch.randn(1, 512, 12, 10)
    weight = torch.randn(256, 512, 3, 3) * 0.02
    bias = torch.randn(256)
    out = winograd_conv3x3(x, winograd_filters(weight), bias)
    ref = F.conv2d(x.double(), weight.double(), bias.double())
    assert out.is_contiguous(memory_format=torch.channels_last)
    assert relative_error(out, ref) < REL_TOL


def test_functional_form_rejects_what_it_cannot_compute():
    with pytest.raises(ValueError, match='even height and width'):
        winograd_conv3x3(torch.randn(1, 4, 7, 6),
                         winograd_filters(torch.randn(4, 4, 3, 3)))
    with pytest.raises(ValueError, match='3x3 filters'):
        winograd_filters(torch.randn(4, 4, 5, 5))


def test_only_qualifying_layers_are_converted():
    net = nn.Sequential(
        nn.Conv2d(8, 8, 3, padding=1),  # converted
        nn.Conv2d(8, 8, 3),  # converted
        nn.Conv2d(8, 4, 3),  # too few output channels
        nn.Conv2d(8, 8, 3, stride=2),
        nn.Conv2d(8, 8, 3, dilation=2),
        nn.Conv2d(8, 8, 3, groups=2),
        nn.Conv2d(8, 8, 7, padding=3),
        nn.Conv2d(8, 8, 3, padding=1, padding_mode='reflect'),
        nn.Conv2d(8, 8, 3, padding=2))
    before = {k: v.clone() for k, v in net.state_dict().items()}
    assert use_winograd(net, min_channels=8) == 2
    assert [type(m) is WinogradConv2d for m in net] == [True, True] + [
        False
    ] * 7
    assert not winograd_applies(net[0], 8)  # already converted
    after = net.state_dict()
    assert after.keys() == before.keys()
    assert all(torch.equal(after[k], before[k]) for k in before)


def test_training_autocast_and_gradients_take_the_ordinary_path():
    """In training mode, with gradients needed, or under autocast, the layer
    is nn.Conv2d's: bit for bit the same output, and gradients flow."""
    torch.manual_seed(0)
    plain = nn.Conv2d(4, 4, 3, padding=1)
    conv = nn.Conv2d(4, 4, 3, padding=1)
    conv.load_state_dict(plain.state_dict())
    use_winograd(conv, min_channels=1)
    x = torch.randn(2, 4, 6, 6)
    conv.eval()
    with torch.no_grad():
        conv(x)  # the Winograd path, which keeps the filters
    assert conv._winograd_filters is not None
    out = conv(x)  # the weight requires grad
    assert torch.equal(out, plain(x))
    assert conv._winograd_filters is None  # freed until inference
    out.sum().backward()
    assert conv.weight.grad is not None
    with torch.no_grad(), torch.autocast('cpu', dtype=torch.bfloat16):
        assert torch.equal(conv(x), plain(x))
    conv.train()
    with torch.no_grad():  # e.g. the fakes of a discriminator update
        assert torch.equal(conv(x), plain(x))
    conv.eval()
    with torch.no_grad():
        # The Winograd path: close to, not bitwise, the direct result.
        winograd = conv(x)
        assert not torch.equal(winograd, plain(x))
        assert relative_error(winograd, reference(plain, x)) < REL_TOL


def test_filters_follow_the_weights():
    """A load or an in-place change of the weights is picked up; a write
    through ``weight.data``, which bypasses the version counter (MMEngine's
    EMAHook swaps the averaged weights in and out so), at the next eval()
    (validation, the grid)."""
    torch.manual_seed(0)
    conv = nn.Conv2d(4, 4, 3, padding=1)
    use_winograd(conv, min_channels=1)
    conv.eval()
    x = torch.randn(1, 4, 6, 6)
    with torch.no_grad():
        conv(x)
        conv.load_state_dict(nn.Conv2d(4, 4, 3, padding=1).state_dict())
        assert relative_error(conv(x), reference(conv, x)) < REL_TOL
        conv.weight.mul_(2)
        assert relative_error(conv(x), reference(conv, x)) < REL_TOL
        conv.to(memory_format=torch.channels_last)
        assert relative_error(conv(x), reference(conv, x)) < REL_TOL
        conv.weight.data.copy_(torch.randn_like(conv.weight))
        conv.eval()
        assert relative_error(conv(x), reference(conv, x)) < REL_TOL
