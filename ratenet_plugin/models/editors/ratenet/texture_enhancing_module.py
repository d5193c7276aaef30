"""Texture enhancing module G_t (paper section 3.3)."""
from typing import Dict, Mapping, Optional, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmengine.model.weight_init import kaiming_init

from ratenet_plugin.models.weight_init import refuse_lenient_pretrained
from ratenet_plugin.registry import MODELS
from ratenet_plugin.utils.arguments import (check_non_negative_int,
                                            check_positive_int)
from .ratenet_modules import (LEAKY_RELU, TANH, AdaINResBlock, AdaINUpBlock,
                              ResBlock, conv3x3, downsampled_sizes,
                              encoder_stem, image_head, level_channels,
                              normal_init)


@MODELS.register_module()
class TextureEnhancingModule(BaseModule):
    """G_t: residual texture map R_t = G_t(I_s; F_t).

    A texture encoder turns the source image into a texture code z_t; a
    decoder turns the pose-aligned content feature map F_t of G_P into the
    residual map, with every normalisation an AdaIN driven by z_t::

        encoder: I_s (with ``pose_channels``: [I_s, P_s])
                 -> stem 7x7 -> num_downsamples x [3x3 stride 2, channels x2]
                 -> num_res_blocks x ResBlock -> global average pool
                 -> linear -> z_t (texture_dim)
        decoder: F_t -> num_adain_blocks x AdaINResBlock(z_t)
                 -> num_upsamples x [3x3 transposed stride 2, AdaIN(z_t)]
                 -> 7x7 -> tanh -> R_t

    From the paper: strided convolutions, residual blocks and average
    pooling in the encoder; AdaIN injection of z_t; 3 down-sampling layers;
    z_t of length 128 (64 in the Texture64dim ablation); LeakyReLU(0.2).
    The paper is silent on the rest, which follows PATN's layer shapes
    (7x7 stem/head with reflection padding, channel doubling, transposed
    convolutions) and the AdaIN generators the paper builds on (MUNIT,
    FUNIT): no normalisation in the texture encoder by default, since
    InstanceNorm would remove the channel statistics that carry texture;
    2 residual blocks on each side (FUNIT); one linear z_t -> (gamma, beta)
    per AdaIN layer. R_t ends in tanh, so I_t = I_co + R_t stays in [-2, 2]
    (what :class:`RATEGenerator` does with it: its ``final_range``).

    Args:
        feature_channels (int): Channels of F_t (``PoseTransferModule.
            feature_channels``). :class:`RATEGenerator` fills it in.
        image_channels (int): Channels of the source image. Defaults to 3.
        pose_channels (int): Channels of the source pose heatmaps P_s fed to
            the texture encoder beside the image (the paper's "we
            incorporate the pose guidance into our appearance encoding
            network", section 2): with 18 the encoder sees where each body
            part of the source is, so that z_t can hold the colour of the
            upper and of the lower garment apart. 0: the image alone.
            Defaults to 0.
        out_channels (int): Channels of R_t. Defaults to 3.
        base_channels (int): Channels after the encoder stem; the decoder
            mirrors the encoder's widths. Defaults to 64.
        num_downsamples (int): Stride-2 layers of the texture encoder.
            Defaults to 3.
        num_upsamples (int, optional): Up-sampling layers of the decoder;
            must equal G_P's down-samplings, so that R_t has the image size
            (2 on top of PATN's G_P, whose F_t is at 1/4 resolution). None:
            ``num_downsamples`` (the paper's 3 and 3). Defaults to None.
        num_res_blocks (int): Residual blocks of the encoder. Defaults to 2.
        num_adain_blocks (int): AdaIN residual blocks of the decoder.
            Defaults to 2.
        texture_dim (int): Length of z_t. Defaults to 128.
        max_channels (int, optional): Cap on channel counts. Defaults to None.
        encoder_norm_cfg (Mapping, optional): Normalisation of the texture
            encoder. Defaults to None (none).
        act_cfg (Mapping): Activation. Defaults to LeakyReLU(0.2).
        out_act_cfg (Mapping, optional): Activation of R_t. Defaults to Tanh.
        init_cfg (dict, optional): MMEngine init config; None for
            :meth:`init_weights` (Kaiming encoder, N(0, 0.02) decoder).
    """

    def __init__(self,
                 feature_channels: int,
                 image_channels: int = 3,
                 pose_channels: int = 0,
                 out_channels: int = 3,
                 base_channels: int = 64,
                 num_downsamples: int = 3,
                 num_upsamples: Optional[int] = None,
                 num_res_blocks: int = 2,
                 num_adain_blocks: int = 2,
                 texture_dim: int = 128,
                 max_channels: Optional[int] = None,
                 *,
                 encoder_norm_cfg: Optional[Mapping] = None,
                 act_cfg: Mapping = LEAKY_RELU,
                 out_act_cfg: Optional[Mapping] = TANH,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        refuse_lenient_pretrained(init_cfg)
        super().__init__(init_cfg=init_cfg)
        for name, value in (('feature_channels', feature_channels),
                            ('image_channels', image_channels),
                            ('out_channels', out_channels),
                            ('base_channels', base_channels),
                            ('texture_dim', texture_dim)):
            check_positive_int(name, value)
        if max_channels is not None:
            check_positive_int('max_channels', max_channels)
        #: Source-pose channels concatenated to the encoder's image input.
        self.pose_channels = check_non_negative_int('pose_channels',
                                                    pose_channels)
        check_non_negative_int('num_res_blocks', num_res_blocks)
        check_non_negative_int('num_adain_blocks', num_adain_blocks)
        self.num_downsamples = check_non_negative_int('num_downsamples',
                                                      num_downsamples)
        #: Up-sampling layers of the decoder (F_t at 1/2^num_upsamples).
        self.num_upsamples = (num_downsamples
                              if num_upsamples is None else num_upsamples)
        self.texture_dim = texture_dim
        channels = [
            level_channels(base_channels, level, max_channels)
            for level in range(num_downsamples + 1)
        ]

        layers = [
            encoder_stem(image_channels + pose_channels, channels[0],
                         encoder_norm_cfg, act_cfg)
        ]
        layers += [
            conv3x3(c_in, c_out, encoder_norm_cfg, act_cfg, stride=2)
            for c_in, c_out in zip(channels[:-1], channels[1:])
        ]
        layers += [
            ResBlock(channels[-1], encoder_norm_cfg, act_cfg, dropout=0.)
            for _ in range(num_res_blocks)
        ]
        self.texture_encoder = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.to_code = nn.Linear(channels[-1], texture_dim)

        self.adain_blocks = nn.ModuleList([
            AdaINResBlock(feature_channels, texture_dim, act_cfg)
            for _ in range(num_adain_blocks)
        ])
        # Up-sampling from F_t's width down to the stem's width.
        decoder_channels = [
            level_channels(base_channels, level, max_channels)
            for level in range(self.num_upsamples)
        ]
        widths = decoder_channels + [feature_channels]
        self.up_blocks = nn.ModuleList([
            AdaINUpBlock(widths[level + 1], widths[level], texture_dim,
                         act_cfg)
            for level in reversed(range(self.num_upsamples))
        ])
        self.head = image_head(channels[0], out_channels, out_act_cfg)

    def init_weights(self) -> None:
        """Kaiming init for the texture encoder, PATN's N(0, 0.02) for the
        decoder; or the ``init_cfg`` (e.g. StrictPretrained; MMEngine's
        lenient Pretrained is refused).

        The encoder has no normalisation by default, so N(0, 0.02) would
        shrink its signal at every layer and start from a texture code of
        ~0 with vanishing gradients; Kaiming init (as in MUNIT and FUNIT)
        keeps its scale. The decoder normalises (AdaIN) after every conv.
        """
        if self.init_cfg is not None:
            super().init_weights()
            return
        normal_init(self)
        for m in self.texture_encoder.modules():
            if isinstance(m, nn.Conv2d):
                kaiming_init(
                    m, a=0.2, mode='fan_in', nonlinearity='leaky_relu')
        kaiming_init(self.to_code, mode='fan_in', nonlinearity='linear')
        self._is_init = True

    def encode_texture(self,
                       src_img: torch.Tensor,
                       src_pose: Optional[torch.Tensor] = None
                       ) -> torch.Tensor:
        """Texture code z_t (N, texture_dim) of the source image I_s
        (N, 3, H, W) in [-1, 1]; with ``pose_channels``, of I_s and its pose
        heatmaps ``src_pose`` (N, pose_channels, H, W) in [0, 1]."""
        if self.pose_channels:
            if src_pose is None or src_pose.shape[1] != self.pose_channels:
                got = None if src_pose is None else tuple(src_pose.shape)
                raise ValueError(
                    f'the texture encoder takes {self.pose_channels} source '
                    f'pose channels beside the image (pose_channels); got '
                    f'src_pose of shape {got}')
            src_img = torch.cat([src_img, src_pose.to(src_img.dtype)], dim=1)
        features = self.texture_encoder(src_img)
        return self.to_code(self.pool(features).flatten(1))

    def forward(self,
                src_img: torch.Tensor,
                feature: torch.Tensor,
                src_pose: Optional[torch.Tensor] = None
                ) -> Dict[str, torch.Tensor]:
        """Synthesise the residual texture map.

        Args:
            src_img (Tensor): (N, 3, H, W) source image I_s in [-1, 1].
            feature (Tensor): (N, feature_channels, h, w) F_t from G_P, with
                (h, w) the size after ``num_upsamples`` halvings of (H, W).
            src_pose (Tensor, optional): (N, pose_channels, H, W) source pose
                heatmaps P_s in [0, 1]; needed with ``pose_channels``,
                ignored without.

        Returns:
            dict: ``residual`` (N, 3, H, W) R_t in [-1, 1] (with the default
            tanh); ``texture_code`` (N, texture_dim) z_t.
        """
        z = self.encode_texture(src_img, src_pose)
        sizes = downsampled_sizes(*src_img.shape[-2:], self.num_upsamples)
        if tuple(feature.shape[-2:]) != sizes[-1]:
            raise ValueError(
                f'F_t has spatial size {tuple(feature.shape[-2:])}, expected '
                f'{sizes[-1]} for a {tuple(src_img.shape[-2:])} image after '
                f'{self.num_upsamples} down-samplings')
        x = feature
        for block in self.adain_blocks:
            x = block(x, z)
        for block, size in zip(self.up_blocks, reversed(sizes[:-1])):
            x = block(x, z, size)
        return dict(residual=self.head(x), texture_code=z)
