"""Pose transfer module G_P (paper section 3.2)."""
from types import MappingProxyType
from typing import Dict, Mapping, Optional, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmengine.model.weight_init import initialize

from ratenet_plugin.models.weight_init import refuse_lenient_pretrained
from ratenet_plugin.registry import MODELS
from ratenet_plugin.utils.arguments import (check_non_negative_int,
                                            check_positive_int)
from .ratenet_modules import (INSTANCE_NORM, LEAKY_RELU, PADDING_MODES, TANH,
                              PATBlock, UpBlock, conv3x3, downsampled_sizes,
                              encoder_stem, image_head, level_channels,
                              normal_init)

#: PATN's DeepFashion generator (tengteng95/Pose-Transfer, ``--which_model_netG
#: PATN --norm instance``, dropout on) as :class:`PoseTransferModule`
#: arguments: 2 zero-padded stride-2 convolutions (bottleneck 256 channels at
#: 1/4 resolution), ReLU, 9 PAT blocks, dropout 0.5. Its released
#: ``latest_net_netG.pth`` converts to this layout
#: (``tools/convert_patn_checkpoint.py``).
PATN_DEEPFASHION_LAYOUT = MappingProxyType(
    dict(
        base_channels=64,
        num_downsamples=2,
        num_blocks=9,
        max_channels=None,
        norm_cfg=dict(type='IN'),
        act_cfg=dict(type='ReLU'),
        downsample_padding='zeros',
        dropout=0.5))


@MODELS.register_module()
class PoseTransferModule(BaseModule):
    """G_P: PATN-style two-stream pose transfer to a coarse image.

    Two encoders with the same shape and separate weights read the source
    image and the concatenated source + target pose heatmaps; a cascade of
    pose-attentional transfer (PAT) blocks moves the image stream towards the
    target pose; the last image-stream feature map F_t is decoded into the
    coarse image and also returned, since it guides the texture enhancing
    module::

        stem 7x7 -> num_downsamples x [3x3 stride 2, channels x2]  (per stream)
        num_blocks x PATBlock
        num_downsamples x [3x3 transposed stride 2, channels /2] -> 7x7 -> tanh

    From the paper: 3 down-sampling layers, 9 PAT blocks, LeakyReLU(0.2).
    Where the paper is silent this follows PATN: 7x7 stems and heads with
    reflection padding, channels doubled per down-sampling, InstanceNorm
    without affine parameters, dropout 0.5 inside the PAT blocks, only the
    image stream decoded. With 3 down-samplings PATN's doubling rule gives
    512 channels at 1/8 resolution; ``max_channels=256`` keeps PATN's width.
    The stride-2 convolutions are reflection-padded by default (PATN
    zero-pads them: ``downsample_padding='zeros'``).

    ``PoseTransferModule(**PATN_DEEPFASHION_LAYOUT)`` is PATN's DeepFashion
    generator layer for layer (2 zero-padded down-samplings, ReLU); the only
    difference is that convolutions followed by InstanceNorm have no bias,
    which InstanceNorm would subtract anyway, so PATN's weights load (after
    ``tools/convert_patn_checkpoint.py``) without changing the function.

    Args:
        image_channels (int): Channels of the source image. Defaults to 3.
        pose_channels (int): Channels of ONE pose heatmap stack (18 for
            COCO-18); the pose stream reads ``2 * pose_channels``.
            Defaults to 18.
        out_channels (int): Channels of the coarse image. Defaults to 3.
        base_channels (int): Channels after the stem (PATN's ngf).
            Defaults to 64.
        num_downsamples (int): Stride-2 layers per encoder. Defaults to 3.
        num_blocks (int): PAT blocks. Defaults to 9.
        max_channels (int, optional): Cap on the channel count; None for
            PATN's unbounded doubling. Defaults to None.
        norm_cfg (Mapping): Normalisation. Defaults to InstanceNorm.
        act_cfg (Mapping): Activation. Defaults to LeakyReLU(0.2).
        downsample_padding (str): Padding of the stride-2 convolutions:
            ``'reflect'`` or ``'zeros'`` (PATN). Defaults to ``'reflect'``.
        dropout (float): Dropout probability in the PAT blocks (PATN: 0.5;
            0 disables). Defaults to 0.5.
        init_cfg (dict, optional): MMEngine init config applied after PATN's
            N(0, 0.02) init, e.g. ``dict(type='StrictPretrained',
            checkpoint=..., prefix='generator.pose_transfer.')`` to load G_P
            from a checkpoint (PB Fixed), failing on any missing, unexpected
            or wrongly shaped key. MMEngine's ``'Pretrained'`` (which only
            warns on a mismatch) is refused. None: N(0, 0.02) only.
    """

    def __init__(self,
                 image_channels: int = 3,
                 pose_channels: int = 18,
                 out_channels: int = 3,
                 base_channels: int = 64,
                 num_downsamples: int = 3,
                 num_blocks: int = 9,
                 max_channels: Optional[int] = None,
                 *,
                 norm_cfg: Mapping = INSTANCE_NORM,
                 act_cfg: Mapping = LEAKY_RELU,
                 downsample_padding: str = 'reflect',
                 dropout: float = 0.5,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        refuse_lenient_pretrained(init_cfg)
        super().__init__(init_cfg=init_cfg)
        for name, value in (('image_channels', image_channels),
                            ('pose_channels', pose_channels),
                            ('out_channels', out_channels),
                            ('base_channels', base_channels),
                            ('num_blocks', num_blocks)):
            check_positive_int(name, value)
        if max_channels is not None:
            check_positive_int('max_channels', max_channels)
        self.num_downsamples = check_non_negative_int('num_downsamples',
                                                      num_downsamples)
        if downsample_padding not in PADDING_MODES:
            raise ValueError(f'downsample_padding must be one of '
                             f'{PADDING_MODES}, got {downsample_padding!r}')
        channels = [
            level_channels(base_channels, level, max_channels)
            for level in range(num_downsamples + 1)
        ]
        #: C of the content feature map F_t.
        self.feature_channels = channels[-1]

        self.image_encoder = self._encoder(image_channels, channels, norm_cfg,
                                           act_cfg, downsample_padding)
        self.pose_encoder = self._encoder(2 * pose_channels, channels,
                                          norm_cfg, act_cfg,
                                          downsample_padding)
        feature = self.feature_channels
        self.pat_blocks = nn.ModuleList([
            PATBlock(feature, feature if i == 0 else 2 * feature, norm_cfg,
                     act_cfg, dropout) for i in range(num_blocks)
        ])
        self.up_blocks = nn.ModuleList([
            UpBlock(channels[level + 1], channels[level], norm_cfg, act_cfg)
            for level in reversed(range(num_downsamples))
        ])
        self.head = image_head(channels[0], out_channels, TANH)

    @staticmethod
    def _encoder(in_channels: int, channels: list, norm_cfg: Mapping,
                 act_cfg: Mapping, padding_mode: str) -> nn.Sequential:
        layers = [encoder_stem(in_channels, channels[0], norm_cfg, act_cfg)]
        layers += [
            conv3x3(
                c_in,
                c_out,
                norm_cfg,
                act_cfg,
                stride=2,
                padding_mode=padding_mode)
            for c_in, c_out in zip(channels[:-1], channels[1:])
        ]
        return nn.Sequential(*layers)

    def init_weights(self) -> None:
        """PATN's N(0, 0.02) init, then the ``init_cfg`` if any.

        The ``init_cfg`` runs last, so a ``StrictPretrained`` load is what
        stays (MMEngine's own ordering runs only its ``'Pretrained'`` last).
        """
        normal_init(self)
        if self.init_cfg is not None:
            initialize(self, self.init_cfg)
        self._is_init = True

    def forward(self, src_img: torch.Tensor, src_pose: torch.Tensor,
                tgt_pose: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Transfer the source person to the target pose.

        Args:
            src_img (Tensor): (N, 3, H, W) source image I_s in [-1, 1].
            src_pose (Tensor): (N, 18, H, W) heatmaps P_s, COCO-18, in [0, 1].
            tgt_pose (Tensor): (N, 18, H, W) heatmaps P_t, COCO-18, in [0, 1].

        Returns:
            dict: ``coarse`` (N, 3, H, W) I_co in [-1, 1]; ``feature``
            (N, feature_channels, h, w) F_t, with (h, w) the size after
            ``num_downsamples`` halvings (rounded up).
        """
        x_img = self.image_encoder(src_img)
        x_pose = self.pose_encoder(torch.cat([src_pose, tgt_pose], dim=1))
        for block in self.pat_blocks:
            x_img, x_pose = block(x_img, x_pose)
        feature = x_img
        sizes = downsampled_sizes(*src_img.shape[-2:], self.num_downsamples)
        x = feature
        for block, size in zip(self.up_blocks, reversed(sizes[:-1])):
            x = block(x, size)
        return dict(coarse=self.head(x), feature=feature)

