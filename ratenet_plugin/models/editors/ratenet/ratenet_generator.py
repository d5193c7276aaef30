"""RATEGenerator: G = G_P + G_t (paper section 3, Fig. 1)."""
from typing import Dict, Optional, Union

import torch
from mmengine.model import BaseModule

from ratenet_plugin.registry import MODELS

# How I_t = I_co + R_t (each in [-1, 1], so the sum in [-2, 2]) is mapped
# before the losses and the discriminators see it.
FINAL_RANGES = ('unbounded', 'clamp', 'tanh')


@MODELS.register_module()
class RATEGenerator(BaseModule):
    """The RATE-Net generator: I_t = G_P(I_s; P_s, P_t) + G_t(I_s; F_t).

    Submodules: ``pose_transfer`` (G_P, :class:`PoseTransferModule`) and
    ``texture_enhancer`` (G_t, :class:`TextureEnhancingModule`, or None for
    the PB Only ablation, where the final image is the coarse one).

    Args:
        pose_transfer (dict): Config of G_P.
        texture_enhancer (dict, optional): Config of G_t. Its
            ``feature_channels`` is filled in from G_P when absent; its
            decoder depth ``num_upsamples`` (by default its
            ``num_downsamples``) must equal G_P's ``num_downsamples``, e.g.
            ``num_upsamples=2`` on PATN's G_P. None for PB Only.
        freeze_pose_transfer (bool): Freeze G_P (PB Fixed ablation): its
            parameters get ``requires_grad=False`` and it stays in eval mode
            (no dropout), so no update changes it. Load it through G_P's
            ``init_cfg=dict(type='StrictPretrained', checkpoint=...,
            prefix='generator.pose_transfer.')``. Defaults to False.
        final_range (str): What happens to I_t = I_co + R_t, which lies in
            [-2, 2] while real images lie in [-1, 1]: ``'unbounded'`` (the
            paper: left as is; the discriminators and the VGG loss see values
            no real image has), ``'clamp'`` (clipped to [-1, 1]; no gradient
            through clipped pixels) or ``'tanh'`` (squashed by tanh: in
            (-1, 1), gradient everywhere). docs/ablation.md compares them.
            Defaults to ``'unbounded'``.
        init_cfg (dict, optional): MMEngine init config of the whole
            generator. Defaults to None (each submodule initialises itself).
    """

    def __init__(self,
                 pose_transfer: dict,
                 texture_enhancer: Optional[dict] = None,
                 *,
                 freeze_pose_transfer: bool = False,
                 final_range: str = 'unbounded',
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.pose_transfer = MODELS.build(pose_transfer)
        if texture_enhancer is None:
            self.texture_enhancer = None
        else:
            feature_channels = self.pose_transfer.feature_channels
            if ('feature_channels' in texture_enhancer and
                    texture_enhancer['feature_channels'] != feature_channels):
                raise ValueError(
                    'texture_enhancer.feature_channels='
                    f'{texture_enhancer["feature_channels"]} does not match '
                    f'the pose transfer module\'s F_t ({feature_channels} '
                    'channels); leave it out to have it filled in')
            self.texture_enhancer = MODELS.build(
                dict(texture_enhancer, feature_channels=feature_channels))
            if (self.texture_enhancer.num_upsamples !=
                    self.pose_transfer.num_downsamples):
                raise ValueError(
                    'texture_enhancer.num_upsamples '
                    f'({self.texture_enhancer.num_upsamples}; defaults to its '
                    'num_downsamples) must equal '
                    'pose_transfer.num_downsamples '
                    f'({self.pose_transfer.num_downsamples}): G_t up-samples '
                    'F_t back to the image size')
        if final_range not in FINAL_RANGES:
            raise ValueError(f'final_range must be one of {FINAL_RANGES}, '
                             f'got {final_range!r}')
        self.final_range = final_range
        self.freeze_pose_transfer = freeze_pose_transfer
        if freeze_pose_transfer:
            self.pose_transfer.requires_grad_(False)
            self.pose_transfer.eval()

    def train(self, mode: bool = True) -> 'RATEGenerator':
        """Set training mode; a frozen G_P stays in eval mode, never
        switched (MMEngine calls ``train()`` every cycle; what G_P keeps for
        inference, its Winograd filters, stays valid across cycles)."""
        self.training = mode
        for child in self.children():
            if not (self.freeze_pose_transfer
                    and child is self.pose_transfer):
                child.train(mode)
        return self

    def map_final(self, final: torch.Tensor) -> torch.Tensor:
        """Apply ``final_range`` to I_co + R_t (N, 3, H, W) in [-2, 2]."""
        if self.final_range == 'clamp':
            return final.clamp(-1, 1)
        if self.final_range == 'tanh':
            return torch.tanh(final)
        return final

    def forward(self,
                src_img: torch.Tensor,
                src_pose: torch.Tensor,
                tgt_pose: torch.Tensor,
                coarse_only: bool = False
                ) -> Dict[str, Optional[torch.Tensor]]:
        """Generate the target image.

        Args:
            src_img (Tensor): (N, 3, H, W) source image I_s in [-1, 1], RGB.
            src_pose (Tensor): (N, 18, H, W) heatmaps P_s, COCO-18, in [0, 1].
            tgt_pose (Tensor): (N, 18, H, W) heatmaps P_t, COCO-18, in [0, 1].
            coarse_only (bool): Run G_P only (the pose-transfer update):
                ``residual``, ``texture_code`` and ``final`` are then None,
                except that without G_t (PB Only) ``final`` is the coarse
                image as always. Defaults to False.

        Returns:
            dict: ``coarse`` (N, 3, H, W) I_co in [-1, 1]; ``feature`` F_t
            (N, C, ceil(H/2^n), ceil(W/2^n)) for G_P's n down-samplings;
            ``residual`` (N, 3, H, W) R_t in [-1, 1] or None;
            ``texture_code`` (N, texture_dim) z_t or None;
            ``final`` (N, 3, H, W) I_t = I_co + R_t, in [-2, 2] with
            ``final_range='unbounded'``, in [-1, 1] otherwise (I_co for
            PB Only) or None.
        """
        pose_out = self.pose_transfer(src_img, src_pose, tgt_pose)
        coarse, feature = pose_out['coarse'], pose_out['feature']
        outputs = dict(
            coarse=coarse,
            feature=feature,
            residual=None,
            texture_code=None,
            final=coarse if self.texture_enhancer is None else None)
        if self.texture_enhancer is not None and not coarse_only:
            texture_out = self.texture_enhancer(
                src_img, feature, src_pose=src_pose)
            outputs.update(
                residual=texture_out['residual'],
                texture_code=texture_out['texture_code'],
                final=self.map_final(coarse + texture_out['residual']))
        return outputs
