"""Winograd's F(2x2, 3x3) for the large 3x3 convolutions of inference on CPU.

A 3x3 convolution computed on 4x4 input tiles that overlap by 2 (Lavin and
Gray, "Fast Algorithms for Convolutional Neural Networks", 2016): each tile
and each filter are transformed (additions only for the tiles), the
channels are contracted in 16 batched matrix products, and each product is
transformed back into a 2x2 output block. That is 16 multiplications per
output block and channel pair instead of 36: 2.25x fewer FLOPs, the same
function (float32 error about 1e-6 relative, as the direct convolution's).

Why it is here: the paper's generator spends most of its inference time in
3x3 convolutions with 512 and 1024 channels on 32x22 maps (the PAT blocks
and G_t's decoder at 256x176), which oneDNN runs at 60-70 % of this CPU's
float32 matrix-product speed; computed this way they take 0.4-0.7 of the
time (docs/benchmarks.md, "Winograd convolutions"). Convolutions with fewer
channels or larger maps gain nothing (the transforms cost more than they
save), hence ``min_channels``.

:func:`use_winograd` turns the qualifying ``nn.Conv2d`` layers of a module
into :class:`WinogradConv2d` in place (same parameters, state dict and
hooks). Such a layer takes the Winograd path only in eval mode, where
nothing needs its gradient and it runs in float32 on CPU outside autocast
(inference, validation, and a frozen network kept in eval mode while others
train, PB Fixed's G_P); training mode, GPUs and bf16 autocast run the layer
as before.
"""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

#: Fewest input and output channels of a converted layer: on a 2-core Xeon
#: F(2x2, 3x3) was 1.2-2x faster than oneDNN from 256 channels up and slower
#: at 128 and below (docs/benchmarks.md).
MIN_CHANNELS = 256
#: The filter transform G of F(2x2, 3x3): a 3x3 filter g -> G g G^T (4x4).
_FILTER_TRANSFORM = ((1.0, 0.0, 0.0), (0.5, 0.5, 0.5), (0.5, -0.5, 0.5),
                     (0.0, 0.0, 1.0))


def winograd_filters(weight: torch.Tensor) -> torch.Tensor:
    """Transform 3x3 filters for :func:`winograd_conv3x3`.

    G g G^T for every filter g, as one matrix product of the flattened
    filters with kron(G, G) (16 x 9): a pass over the weights (0.04 s for
    1024 x 1024 filters on a 2-core Xeon, against 0.2 s as 4x3 products).

    Args:
        weight (Tensor): (K, C, 3, 3) convolution weights.

    Returns:
        Tensor: (16, K, C), contiguous: for each of the 4x4 tile positions
        the (K, C) matrix whose transpose the transformed input tiles
        multiply.
    """
    if weight.shape[2:] != (3, 3):
        raise ValueError(f'Winograd F(2x2, 3x3) needs 3x3 filters, got '
                         f'weights of shape {tuple(weight.shape)}')
    transform = weight.new_tensor(_FILTER_TRANSFORM)
    out_channels, in_channels = weight.shape[:2]
    tiles = torch.kron(transform, transform) @ weight.reshape(-1, 9).T
    return tiles.view(16, out_channels, in_channels)


def _taps(t: torch.Tensor, dim: int, tiles: int) -> List[torch.Tensor]:
    """The k-th entry (k = 0..3) of every 4-wide tile at stride 2 along
    ``dim``: four strided views."""
    index = (slice(None), ) * dim + (slice(None, None, 2), )
    return [t.narrow(dim, k, 2 * tiles - 1)[index] for k in range(4)]


def _input_transform(d: List[torch.Tensor],
                     out: Sequence[Optional[torch.Tensor]] = (None, ) * 4
                     ) -> List[torch.Tensor]:
    """B^T d along one dimension, B^T = [[1, 0, -1, 0], [0, 1, 1, 0],
    [0, -1, 1, 0], [0, 1, 0, -1]]; written into ``out`` where given."""
    return [
        torch.sub(d[0], d[2], out=out[0]),
        torch.add(d[1], d[2], out=out[1]),
        torch.sub(d[2], d[1], out=out[2]),
        torch.sub(d[1], d[3], out=out[3])
    ]


def _input_tiles(x: torch.Tensor) -> torch.Tensor:
    """B^T d B of every 4x4 tile of ``x`` (N, C, 2h + 2, 2w + 2) at stride
    2 -> (16, N * h * w, C): rows, then columns."""
    num, channels, height, width = x.shape
    rows, cols = (height - 2) // 2, (width - 2) // 2
    x = x.contiguous(memory_format=torch.channels_last)
    tiles = x.new_empty(16, num, rows, cols, channels)
    for a, row_tile in enumerate(_input_transform(_taps(x, 2, rows))):
        # Written straight into the (N, h, w, C) slices the product reads.
        _input_transform(
            _taps(row_tile, 3, cols),
            [tiles[4 * a + b].permute(0, 3, 1, 2) for b in range(4)])
    return tiles.view(16, num * rows * cols, channels)


def winograd_conv3x3(x: torch.Tensor,
                     filters: torch.Tensor,
                     bias: Optional[torch.Tensor] = None) -> torch.Tensor:
    """A 3x3 convolution, stride 1, no padding, by Winograd's F(2x2, 3x3).

    Args:
        x (Tensor): (N, C, H + 2, W + 2) input, already padded, H and W
            even; any memory format.
        filters (Tensor): (16, K, C) from :func:`winograd_filters`.
        bias (Tensor, optional): (K,) bias.

    Returns:
        Tensor: (N, K, H, W), channels_last: ``F.conv2d(x, weight, bias)``.
    """
    num, _, height, width = x.shape
    rows, cols = (height - 2) // 2, (width - 2) // 2
    if height % 2 or width % 2 or rows < 1 or cols < 1:
        raise ValueError(f'winograd_conv3x3 needs an input of even height and '
                         f'width >= 4 (padded), got {tuple(x.shape)}')
    out_channels = filters.shape[1]
    # (16, N h w, C) x (16, C, K), the filters read transposed in place.
    m = torch.bmm(_input_tiles(x), filters.transpose(1, 2)).view(
        4, 4, -1, out_channels)
    # A^T m A with A^T = [[1, 1, 1, 0], [0, 1, -1, -1]]: rows, then columns.
    out = x.new_empty(num, rows, 2, cols, 2, out_channels)
    for a, row in enumerate((m[0] + m[1] + m[2], m[1] - m[2] - m[3])):
        out[:, :, a, :, 0] = (row[0] + row[1] + row[2]).view(
            num, rows, cols, out_channels)
        out[:, :, a, :, 1] = (row[1] - row[2] - row[3]).view(
            num, rows, cols, out_channels)
    out = out.view(num, 2 * rows, 2 * cols, out_channels)
    if bias is not None:
        out += bias
    return out.permute(0, 3, 1, 2)


class WinogradConv2d(nn.Conv2d):
    """An ``nn.Conv2d`` (3x3, stride 1, no dilation or groups, zero or no
    padding) that computes float32 CPU inference (eval mode, no gradient
    needed, no autocast) by :func:`winograd_conv3x3`; made by
    :func:`use_winograd` from an existing layer, never built directly.

    The transformed filters are kept between inference calls (16/9 of the
    weights' memory: 1.2 GiB for the paper's generator), recomputed when
    the weights change (a load, an optimiser step, a move to another memory
    format) and dropped when the layer runs for training and at every
    ``train()`` / ``eval()``: a write through ``weight.data`` (which
    autograd's version counter does not see, e.g. MMEngine's ``EMAHook``
    swapping the averaged weights in for validation) is picked up at the
    next mode switch, which validation and ``render_grid`` make.
    """

    #: (weight version, data pointer) the filters were computed from,
    #: and the filters: set by :func:`use_winograd`.
    _winograd_key: Optional[Tuple[int, int]]
    _winograd_filters: Optional[torch.Tensor]

    def train(self, mode: bool = True) -> 'WinogradConv2d':
        self._winograd_key = self._winograd_filters = None
        return super().train(mode)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self._takes_winograd_path(x):
            # Training or another device: the filters would be stale after
            # the next step; free their memory until inference needs them.
            self._winograd_key = self._winograd_filters = None
            return super().forward(x)
        pad = self.padding[0]
        # Odd output sizes: one more zero row/column, cropped after.
        extra_h, extra_w = x.shape[2] % 2, x.shape[3] % 2
        if pad or extra_h or extra_w:
            x = F.pad(x, (pad, pad + extra_w, pad, pad + extra_h))
        out = winograd_conv3x3(x, self._filters(), self.bias)
        if extra_h or extra_w:
            out = out[:, :, :out.shape[2] - extra_h, :out.shape[3] - extra_w]
        return out

    def _takes_winograd_path(self, x: torch.Tensor) -> bool:
        needs_grad = torch.is_grad_enabled() and (
            x.requires_grad or self.weight.requires_grad)
        return (not self.training and not needs_grad
                and x.device.type == 'cpu'
                and x.dtype == torch.float32
                and self.weight.dtype == torch.float32
                and not torch.is_autocast_enabled('cpu'))

    def _filters(self) -> torch.Tensor:
        key = (self.weight._version, self.weight.data_ptr())
        if self._winograd_key != key:
            self._winograd_filters = winograd_filters(self.weight.detach())
            self._winograd_key = key
        return self._winograd_filters


def winograd_applies(conv: nn.Module, min_channels: int) -> bool:
    """Whether ``conv`` is a plain ``nn.Conv2d`` that F(2x2, 3x3) computes:
    3x3, stride 1, dilation 1, one group, zero padding of 0 or 1, and at
    least ``min_channels`` input and output channels."""
    return (type(conv) is nn.Conv2d and conv.kernel_size == (3, 3)
            and conv.stride == (1, 1) and conv.dilation == (1, 1)
            and conv.groups == 1
            and conv.padding in ((0, 0), (1, 1))
            and (conv.padding == (0, 0) or conv.padding_mode == 'zeros')
            and min(conv.in_channels, conv.out_channels) >= min_channels)


def use_winograd(module: nn.Module, min_channels: int = MIN_CHANNELS) -> int:
    """Turn every qualifying convolution of ``module`` (see
    :func:`winograd_applies`) into a :class:`WinogradConv2d`, in place.

    The layer keeps its parameters, state dict keys and hooks: only its
    class changes (as ``torch.nn.utils.parametrize`` does), so optimisers,
    checkpoints and ``channels_last`` are unaffected.

    Args:
        module (nn.Module): The network, e.g. a RATE-Net generator.
        min_channels (int): Fewest input and output channels of a layer
            that is converted. Defaults to :data:`MIN_CHANNELS` (256).

    Returns:
        int: The number of layers converted.
    """
    converted = 0
    for layer in module.modules():
        if winograd_applies(layer, min_channels):
            layer.__class__ = WinogradConv2d
            layer._winograd_key = None
            layer._winograd_filters = None
            converted += 1
    return converted
