"""Internal building blocks of RATE-Net (not registered).

Shapes below use ``C`` for channels of the image stream, ``P`` for channels of
the pose stream and ``Z`` for the texture-code length.

Where the paper is silent the blocks follow PATN (Zhu et al. 2019,
tengteng95/Pose-Transfer), the paper's pose-transfer backbone, with the
paper's LeakyReLU(0.2) in place of PATN's ReLU. One deliberate difference: a
convolution followed by InstanceNorm has no bias (PATN keeps one; IN subtracts
the per-channel mean, so that bias has no effect on the output).
"""
from types import MappingProxyType
from typing import List, Mapping, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule, build_activation_layer, build_norm_layer

#: Default normalisation: InstanceNorm without affine parameters (PATN).
INSTANCE_NORM = MappingProxyType({'type': 'IN'})
#: Default activation: LeakyReLU with slope 0.2 (paper, section 4.2).
LEAKY_RELU = MappingProxyType({'type': 'LeakyReLU', 'negative_slope': 0.2})
#: Output activation of image-valued heads.
TANH = MappingProxyType({'type': 'Tanh'})
#: Padding modes of 3x3 convolutions: PyTorch's names (``'zeros'`` is
#: PATN's padding of its stride-2 convolutions).
PADDING_MODES = ('reflect', 'zeros')


class ReflectionPad2dInInputDtype(nn.ReflectionPad2d):
    """``nn.ReflectionPad2d`` that pads in its input's dtype under autocast.

    CPU autocast lists ``reflection_pad2d`` among the float32 ops: a bf16
    activation is copied to float32, padded, and copied back to bf16 by the
    convolution that follows, two copies of every padded tensor in the
    forward and two more in the backward. Padding only moves values, so it
    is exact in any dtype: this layer pads with autocast off, and a bf16
    input gives a bf16 output with the same values. Outside autocast it is
    ``nn.ReflectionPad2d``. No parameters: state dicts are unchanged.
    (docs/benchmarks.md, "Overheads removed".)

    Shapes: (N, C, H, W) -> (N, C, H + top + bottom, W + left + right), in
    the input's dtype and memory format.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.autocast(x.device.type, enabled=False):
            return super().forward(x)


def as_cfg(cfg: Optional[Mapping]) -> Optional[dict]:
    """Copy a (possibly read-only) config mapping into the dict mmcv wants."""
    return None if cfg is None else dict(cfg)


def level_channels(base_channels: int, level: int,
                   max_channels: Optional[int]) -> int:
    """Channels after ``level`` down-samplings: doubled each time (PATN).

    Args:
        base_channels (int): Channels at full resolution (level 0).
        level (int): Number of down-samplings applied.
        max_channels (int, optional): Upper bound; None for no bound.
    """
    channels = base_channels * 2**level
    return channels if max_channels is None else min(channels, max_channels)


def downsampled_sizes(height: int, width: int,
                      num_downsamples: int) -> List[Tuple[int, int]]:
    """Spatial sizes of each level of a stack of stride-2 3x3 convolutions.

    A stride-2 3x3 convolution with padding 1 maps ``s`` to ``ceil(s / 2)``.
    The decoders use these sizes to undo the down-sampling exactly, so any
    input size works (e.g. 44 -> 22 -> 11 -> 6 -> 11 -> 22 -> 44).

    Returns:
        list[tuple[int, int]]: ``num_downsamples + 1`` sizes, full size first.
    """
    sizes = [(height, width)]
    for _ in range(num_downsamples):
        h, w = sizes[-1]
        sizes.append(((h + 1) // 2, (w + 1) // 2))
    return sizes


def normal_init(module: nn.Module, std: float = 0.02) -> None:
    """PATN's initialisation: N(0, std) weights and zero biases for
    convolutions and linear layers, N(1, std) for affine norm scales."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.modules.batchnorm._NormBase) and m.affine:
            nn.init.normal_(m.weight, 1.0, std)
            nn.init.zeros_(m.bias)


def conv3x3(in_channels: int,
            out_channels: int,
            norm_cfg: Optional[Mapping],
            act_cfg: Optional[Mapping],
            stride: int = 1,
            bias: Union[bool, str] = 'auto',
            padding_mode: str = 'reflect') -> ConvModule:
    """Padded 3x3 convolution -> norm -> activation.

    ``bias='auto'`` drops the bias when a norm follows inside the module;
    pass ``bias=False`` when a norm follows outside it (AdaIN).
    ``padding_mode`` is ``'reflect'`` (PATN's residual and PAT blocks) or
    ``'zeros'`` (PATN's stride-2 convolutions), one pixel either way.
    """
    if padding_mode not in PADDING_MODES:
        raise ValueError(f'padding_mode must be one of {PADDING_MODES}, got '
                         f'{padding_mode!r}')
    return ConvModule(
        in_channels,
        out_channels,
        3,
        stride=stride,
        padding=1,
        bias=bias,
        # mmcv's build_padding_layer takes a class as the padding type.
        padding_mode=(ReflectionPad2dInInputDtype
                      if padding_mode == 'reflect' else padding_mode),
        norm_cfg=as_cfg(norm_cfg),
        act_cfg=as_cfg(act_cfg))


def encoder_stem(in_channels: int, out_channels: int,
                 norm_cfg: Optional[Mapping],
                 act_cfg: Optional[Mapping]) -> ConvModule:
    """PATN's first layer: reflection pad 3, 7x7 convolution, norm, act."""
    return ConvModule(
        in_channels,
        out_channels,
        7,
        padding=3,
        padding_mode=ReflectionPad2dInInputDtype,
        norm_cfg=as_cfg(norm_cfg),
        act_cfg=as_cfg(act_cfg))


def image_head(in_channels: int, out_channels: int,
               act_cfg: Optional[Mapping]) -> ConvModule:
    """PATN's last layer: reflection pad 3, 7x7 convolution, activation."""
    return ConvModule(
        in_channels,
        out_channels,
        7,
        padding=3,
        padding_mode=ReflectionPad2dInInputDtype,
        norm_cfg=None,
        act_cfg=as_cfg(act_cfg))


def dropout_layer(p: float) -> nn.Module:
    """``nn.Dropout(p)``, or identity for ``p == 0``."""
    return nn.Dropout(p) if p > 0 else nn.Identity()


class ResBlock(nn.Module):
    """PATN's ResnetBlock: ``x + (conv-norm-act-dropout-conv-norm)(x)``.

    Args:
        channels (int): C, kept constant.
        norm_cfg (Mapping, optional): Normalisation after each convolution.
        act_cfg (Mapping): Activation after the first convolution.
        dropout (float): Dropout probability between the convolutions.
    """

    def __init__(self, channels: int, norm_cfg: Optional[Mapping],
                 act_cfg: Mapping, dropout: float) -> None:
        super().__init__()
        self.body = nn.Sequential(
            conv3x3(channels, channels, norm_cfg, act_cfg),
            dropout_layer(dropout), conv3x3(channels, channels, norm_cfg,
                                            None))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, h, w) -> (N, C, h, w)."""
        return x + self.body(x)


class PATBlock(nn.Module):
    """PATN's pose-attentional transfer block.

    The pose branch yields an attention mask over the image stream's
    residual update; its pre-sigmoid output, concatenated with the updated
    image stream, becomes the next block's pose stream::

        m = pose_branch(x_pose)                       # (N, C, h, w)
        x_img = x_img + image_branch(x_img) * sigmoid(m)
        x_pose = cat(m, x_img)                        # (N, 2C, h, w)

    Args:
        channels (int): C, channels of the image stream.
        pose_channels (int): P, channels of the incoming pose stream: C for
            the first block, 2C for the following ones.
        norm_cfg (Mapping): Normalisation.
        act_cfg (Mapping): Activation.
        dropout (float): Dropout probability inside both branches.
    """

    def __init__(self, channels: int, pose_channels: int, norm_cfg: Mapping,
                 act_cfg: Mapping, dropout: float) -> None:
        super().__init__()
        self.image_branch = nn.Sequential(
            conv3x3(channels, channels, norm_cfg, act_cfg),
            dropout_layer(dropout), conv3x3(channels, channels, norm_cfg,
                                            None))
        # No norm after the last pose convolution: it produces attention
        # logits (PATN).
        self.pose_branch = nn.Sequential(
            conv3x3(pose_channels, pose_channels, norm_cfg, act_cfg),
            dropout_layer(dropout), conv3x3(pose_channels, channels, None,
                                            None))

    def forward(self, x_img: torch.Tensor,
                x_pose: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """(N, C, h, w), (N, P, h, w) -> (N, C, h, w), (N, 2C, h, w).

        The image branch runs first, as in PATN, so that in training mode
        the dropout masks are drawn in PATN's order.
        """
        image_update = self.image_branch(x_img)
        pose_logits = self.pose_branch(x_pose)
        x_img = x_img + image_update * torch.sigmoid(pose_logits)
        return x_img, torch.cat([pose_logits, x_img], dim=1)


class UpBlock(nn.Module):
    """PATN's up-sampling layer: 3x3 stride-2 transposed conv, norm, act.

    ``output_size`` picks PATN's ``output_padding`` (0 or 1) per call, so an
    odd size on the way down is restored exactly on the way up.
    """

    def __init__(self, in_channels: int, out_channels: int,
                 norm_cfg: Optional[Mapping], act_cfg: Mapping) -> None:
        super().__init__()
        self.conv = nn.ConvTranspose2d(
            in_channels,
            out_channels,
            3,
            stride=2,
            padding=1,
            bias=norm_cfg is None)
        self.norm = nn.Identity() if norm_cfg is None else build_norm_layer(
            as_cfg(norm_cfg), out_channels)[1]
        self.act = build_activation_layer(as_cfg(act_cfg))

    def forward(self, x: torch.Tensor,
                output_size: Sequence[int]) -> torch.Tensor:
        """(N, C_in, h, w) -> (N, C_out, *output_size)."""
        return self.act(self.norm(self.conv(x, output_size=output_size)))


class AdaIN(nn.Module):
    """Adaptive instance normalisation driven by a texture code.

    ``AdaIN(x, z) = IN(x) * (1 + gamma(z)) + beta(z)`` with one linear map
    ``z -> (gamma, beta)`` per layer. The ``1 +`` keeps a freshly initialised
    layer (N(0, 0.02) weights) close to plain InstanceNorm.

    Args:
        channels (int): C of the normalised feature map.
        texture_dim (int): Z, length of the texture code.
    """

    def __init__(self, channels: int, texture_dim: int) -> None:
        super().__init__()
        self.norm = nn.InstanceNorm2d(channels, affine=False)
        self.affine = nn.Linear(texture_dim, 2 * channels)

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """(N, C, h, w), (N, Z) -> (N, C, h, w)."""
        gamma, beta = self.affine(z)[..., None, None].chunk(2, dim=1)
        return self.norm(x) * (1 + gamma) + beta


class AdaINResBlock(nn.Module):
    """Residual block whose two normalisations are AdaIN layers::

        x + AdaIN(conv(act(AdaIN(conv(x), z))), z)

    Args:
        channels (int): C, kept constant.
        texture_dim (int): Z.
        act_cfg (Mapping): Activation after the first AdaIN.
    """

    def __init__(self, channels: int, texture_dim: int,
                 act_cfg: Mapping) -> None:
        super().__init__()
        self.conv1 = conv3x3(channels, channels, None, None, bias=False)
        self.norm1 = AdaIN(channels, texture_dim)
        self.act = build_activation_layer(as_cfg(act_cfg))
        self.conv2 = conv3x3(channels, channels, None, None, bias=False)
        self.norm2 = AdaIN(channels, texture_dim)

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """(N, C, h, w), (N, Z) -> (N, C, h, w)."""
        out = self.act(self.norm1(self.conv1(x), z))
        return x + self.norm2(self.conv2(out), z)


class AdaINUpBlock(nn.Module):
    """Up-sampling layer modulated by the texture code: 3x3 stride-2
    transposed conv -> AdaIN -> act (``output_size`` as in :class:`UpBlock`).
    """

    def __init__(self, in_channels: int, out_channels: int, texture_dim: int,
                 act_cfg: Mapping) -> None:
        super().__init__()
        self.conv = nn.ConvTranspose2d(
            in_channels, out_channels, 3, stride=2, padding=1, bias=False)
        self.norm = AdaIN(out_channels, texture_dim)
        self.act = build_activation_layer(as_cfg(act_cfg))

    def forward(self, x: torch.Tensor, z: torch.Tensor,
                output_size: Sequence[int]) -> torch.Tensor:
        """(N, C_in, h, w), (N, Z) -> (N, C_out, *output_size)."""
        return self.act(self.norm(self.conv(x, output_size=output_size), z))
