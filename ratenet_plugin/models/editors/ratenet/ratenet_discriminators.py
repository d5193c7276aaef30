"""Shape and appearance discriminators D_S and D_A (paper section 3.4), and
:class:`ConcatConditionDiscriminator`, which lets a single-input MMagic
discriminator (its patch discriminators: ``PatchDiscriminator``,
``SoftMaskPatchDiscriminator``) stand in for either."""
from typing import Mapping, Optional, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from ratenet_plugin.models.weight_init import refuse_lenient_pretrained
from ratenet_plugin.registry import MODELS
from ratenet_plugin.utils.arguments import (check_non_negative_int,
                                            check_positive_int)
from .ratenet_modules import (INSTANCE_NORM, LEAKY_RELU, ResBlock, conv3x3,
                              encoder_stem, level_channels, normal_init)


class PATNResDiscriminator(BaseModule):
    """PATN's ResnetDiscriminator on ``cat(image, condition)``.

    ::

        stem 7x7 -> num_downsamples x [3x3 stride 2, channels x2]
        -> num_res_blocks x ResBlock

    As in PATN there is no final 1-channel convolution: the (LSGAN) loss is
    taken over the whole last feature map, and there is no sigmoid. The
    paper's LeakyReLU(0.2) replaces PATN's ReLU. Subclasses fix what the
    condition is.

    Args:
        in_channels (int): Channels of ``cat(image, condition)``.
        base_channels (int): Channels after the stem (PATN's ndf).
            Defaults to 64.
        num_downsamples (int): Stride-2 layers (PATN: 2). Defaults to 2.
        num_res_blocks (int): Residual blocks (PATN: 3). Defaults to 3.
        norm_cfg (Mapping): Normalisation. Defaults to InstanceNorm.
        act_cfg (Mapping): Activation. Defaults to LeakyReLU(0.2).
        dropout (float): Dropout in the residual blocks (PATN: 0.5).
            Defaults to 0.5.
        init_cfg (dict, optional): MMEngine init config; None uses PATN's
            N(0, 0.02).
    """

    def __init__(self,
                 in_channels: int,
                 base_channels: int = 64,
                 num_downsamples: int = 2,
                 num_res_blocks: int = 3,
                 *,
                 norm_cfg: Mapping = INSTANCE_NORM,
                 act_cfg: Mapping = LEAKY_RELU,
                 dropout: float = 0.5,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        refuse_lenient_pretrained(init_cfg)
        super().__init__(init_cfg=init_cfg)
        check_positive_int('in_channels', in_channels)
        check_positive_int('base_channels', base_channels)
        check_non_negative_int('num_downsamples', num_downsamples)
        check_non_negative_int('num_res_blocks', num_res_blocks)
        channels = [
            level_channels(base_channels, level, None)
            for level in range(num_downsamples + 1)
        ]
        layers = [encoder_stem(in_channels, channels[0], norm_cfg, act_cfg)]
        layers += [
            conv3x3(c_in, c_out, norm_cfg, act_cfg, stride=2)
            for c_in, c_out in zip(channels[:-1], channels[1:])
        ]
        layers += [
            ResBlock(channels[-1], norm_cfg, act_cfg, dropout)
            for _ in range(num_res_blocks)
        ]
        self.body = nn.Sequential(*layers)

    def init_weights(self) -> None:
        """PATN's N(0, 0.02) init, or the ``init_cfg``."""
        if self.init_cfg is not None:
            super().init_weights()
            return
        normal_init(self)
        self._is_init = True

    def _score(self, img: torch.Tensor,
               condition: torch.Tensor) -> torch.Tensor:
        return self.body(torch.cat([img, condition], dim=1))


@MODELS.register_module()
class PoseShapeDiscriminator(PATNResDiscriminator):
    """D_S: is the image consistent with the target pose? (PATN's D_PB)

    Reads ``cat(image, P_t)``: 3 + 18 = 21 channels by default.

    Args:
        image_channels (int): Defaults to 3.
        pose_channels (int): Heatmap channels (18 for COCO-18).
            Defaults to 18.
        base_channels, num_downsamples, num_res_blocks, norm_cfg, act_cfg,
        dropout, init_cfg: As in :class:`PATNResDiscriminator`.
    """

    def __init__(self,
                 image_channels: int = 3,
                 pose_channels: int = 18,
                 base_channels: int = 64,
                 num_downsamples: int = 2,
                 num_res_blocks: int = 3,
                 *,
                 norm_cfg: Mapping = INSTANCE_NORM,
                 act_cfg: Mapping = LEAKY_RELU,
                 dropout: float = 0.5,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(
            image_channels + pose_channels,
            base_channels,
            num_downsamples,
            num_res_blocks,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg,
            dropout=dropout,
            init_cfg=init_cfg)

    def forward(self, img: torch.Tensor,
                tgt_pose: torch.Tensor) -> torch.Tensor:
        """Score R_S = D_S(image; P_t).

        Args:
            img (Tensor): (N, 3, H, W) real image in [-1, 1], or generated
            I_t (in [-2, 2] with the generator's ``final_range='unbounded'``).
            tgt_pose (Tensor): (N, 18, H, W) target heatmaps, COCO-18, in
                [0, 1].

        Returns:
            Tensor: (N, C, ceil(H/2^n), ceil(W/2^n)) score map for n
            down-samplings (LSGAN: real -> 1).
        """
        return self._score(img, tgt_pose)


@MODELS.register_module()
class AppearanceDiscriminator(PATNResDiscriminator):
    """D_A: does the image show the source person's appearance? (PATN's D_PP)

    Reads ``cat(image, I_s)``: 3 + 3 = 6 channels by default.

    Args:
        image_channels (int): Defaults to 3.
        base_channels, num_downsamples, num_res_blocks, norm_cfg, act_cfg,
        dropout, init_cfg: As in :class:`PATNResDiscriminator`.
    """

    def __init__(self,
                 image_channels: int = 3,
                 base_channels: int = 64,
                 num_downsamples: int = 2,
                 num_res_blocks: int = 3,
                 *,
                 norm_cfg: Mapping = INSTANCE_NORM,
                 act_cfg: Mapping = LEAKY_RELU,
                 dropout: float = 0.5,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(
            2 * image_channels,
            base_channels,
            num_downsamples,
            num_res_blocks,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg,
            dropout=dropout,
            init_cfg=init_cfg)

    def forward(self, img: torch.Tensor,
                src_img: torch.Tensor) -> torch.Tensor:
        """Score R_A = D_A(image; I_s).

        Args:
            img (Tensor): (N, 3, H, W) real image in [-1, 1], or generated
            I_t (in [-2, 2] with the generator's ``final_range='unbounded'``).
            src_img (Tensor): (N, 3, H, W) source image I_s in [-1, 1].

        Returns:
            Tensor: (N, C, ceil(H/2^n), ceil(W/2^n)) score map for n
            down-samplings (LSGAN: real -> 1).
        """
        return self._score(img, src_img)


@MODELS.register_module()
class ConcatConditionDiscriminator(BaseModule):
    """``D(image, condition) = discriminator(cat(image, condition))``.

    ``RATENet`` checks, when it is built, that the wrapped network's first
    convolution reads image + condition channels (21 for D_S, 6 for D_A).

    Args:
        discriminator (dict): Config of a discriminator taking one tensor,
            e.g. ``dict(type='PatchDiscriminator', in_channels=3 + 18, ...)``
            for a shape discriminator; its input channels must equal image
            plus condition channels.
        init_cfg (dict, optional): MMEngine init config. Defaults to None.
    """

    def __init__(self,
                 discriminator: dict,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        refuse_lenient_pretrained(init_cfg)
        super().__init__(init_cfg=init_cfg)
        self.discriminator = MODELS.build(discriminator)

    def init_weights(self) -> None:
        """Initialise the wrapped discriminator with its own
        ``init_weights``.

        MMagic's discriminators call ``generation_init_weights``, which
        raises ``UnboundLocalError`` (``init_info``) on weight-less modules
        that MMEngine's ``BaseModule.init_weights`` has tagged with
        ``_params_init_info``; the tags are lifted for that call and put
        back for MMEngine's init report.
        """
        tags = {
            module: module.__dict__.pop('_params_init_info')
            for module in self.discriminator.modules()
            if '_params_init_info' in module.__dict__
        }
        try:
            self.discriminator.init_weights()
        finally:
            for module, tag in tags.items():
                module._params_init_info = tag
        self._is_init = True

    def forward(self, img: torch.Tensor,
                condition: torch.Tensor) -> torch.Tensor:
        """Score an image under its condition.

        Args:
            img (Tensor): (N, 3, H, W) real image in [-1, 1], or generated
            I_t (in [-2, 2] with the generator's ``final_range='unbounded'``).
            condition (Tensor): (N, C, H, W) condition, e.g. target heatmaps
                (N, 18, H, W) in [0, 1] or the source image in [-1, 1].

        Returns:
            Tensor: The wrapped discriminator's output, e.g. (N, 1, h, w)
            patch scores.
        """
        return self.discriminator(torch.cat([img, condition], dim=1))
