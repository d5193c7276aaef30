"""Two small adapters that combine RATE-Net's parts with MMagic's models.

* :class:`ConcatPoseCondition` (transform): turns a pose pair into the single
  input image MMagic's image-to-image models expect, so MMagic's ``Pix2Pix``
  trains on our data set (source image + target pose -> target image).
* :class:`PosePix2Pix` (model): MMagic's ``Pix2Pix``, trained unchanged,
  whose validation outputs also carry ``gt_img`` and ``output.pred_img`` so
  the metric configs of RATE-Net (SSIM, LPIPS, FID, ...) score it too.
* :class:`ConcatConditionDiscriminator` (model): gives any single-input
  MMagic discriminator (e.g. ``PatchDiscriminator``) the ``(image,
  condition)`` call of RATE-Net's ``shape_discriminator`` /
  ``appearance_discriminator``.

Both are registered in MMagic's registries (``configs/ratenet/
ratenet_mmagic-patchgan_demo.py``, ``configs/pix2pix_pose/``).
"""
from typing import Optional, Union

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.model import BaseModule

from mmagic.models.editors import Pix2Pix
from mmagic.structures import DataSample

from ratenet_plugin.registry import MODELS, TRANSFORMS


@TRANSFORMS.register_module()
class ConcatPoseCondition(BaseTransform):
    """Stack the source image and pose heatmaps into one condition image.

    Heatmaps are scaled to [0, 255] so that MMagic's ``DataPreprocessor``
    (mean 127.5, std 127.5) maps image and heatmaps alike to [-1, 1].

    Required keys: ``src_img``, ``tgt_img`` (np.uint8 ``(H, W, 3)`` RGB),
    ``tgt_pose`` (np.float32 ``(18, H, W)`` in [0, 1]) and, with
    ``with_src_pose``, ``src_pose``.

    Added keys:

    - ``condition_key``: np.float32 ``(H, W, 3 + 18)`` (``3 + 36`` with
      ``with_src_pose``) in [0, 255]: source RGB, [source heatmaps,] target
      heatmaps, COCO-18 order.
    - ``target_key``: the target image, np.uint8 ``(H, W, 3)`` RGB.

    Args:
        condition_key (str): Defaults to ``'img_condition'`` (Pix2Pix's
            source domain ``condition``).
        target_key (str): Defaults to ``'img_person'`` (target domain
            ``person``).
        with_src_pose (bool): Also stack the source heatmaps (PATN's input).
            Defaults to False.
    """

    def __init__(self,
                 condition_key: str = 'img_condition',
                 target_key: str = 'img_person',
                 with_src_pose: bool = False) -> None:
        self.condition_key = condition_key
        self.target_key = target_key
        self.with_src_pose = with_src_pose

    def transform(self, results: dict) -> dict:
        """Add the condition and target images."""
        poses = (['src_pose'] if self.with_src_pose else []) + ['tgt_pose']
        parts = [results['src_img'].astype(np.float32)]
        for key in poses:
            parts.append(
                np.transpose(results[key], (1, 2, 0)).astype(np.float32) *
                255)
        results[self.condition_key] = np.concatenate(parts, axis=2)
        results[self.target_key] = results['tgt_img']
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(condition_key='
                f'{self.condition_key!r}, target_key={self.target_key!r}, '
                f'with_src_pose={self.with_src_pose})')


@MODELS.register_module()
class ConcatConditionDiscriminator(BaseModule):
    """``D(image, condition) = discriminator(cat(image, condition))``.

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
            img (Tensor): (N, 3, H, W) real or generated image in [-1, 1].
            condition (Tensor): (N, C, H, W) condition, e.g. target heatmaps
                (N, 18, H, W) in [0, 1] or the source image in [-1, 1].

        Returns:
            Tensor: The wrapped discriminator's output, e.g. (N, 1, h, w)
            patch scores.
        """
        return self.discriminator(torch.cat([img, condition], dim=1))


@MODELS.register_module()
class PosePix2Pix(Pix2Pix):
    """MMagic's ``Pix2Pix`` for pose transfer, evaluated like RATE-Net.

    Training (``train_step``, losses, optimisers ``generators`` /
    ``discriminators``) is MMagic's. Changes:

    - :meth:`val_step` / :meth:`test_step` add ``gt_img`` (the real target
      image) and ``output.pred_img`` (the generated one) to each sample,
      float (3, H, W) in [0, 255], RGB (the pipeline's order, which MMagic's
      ``DataPreprocessor`` keeps without ``output_channel_order``) and
      ``channel_order='RGB'`` in the metainfo, as RATE-Net's outputs, so
      RATE-Net's metric configs apply.
      (``test_step`` is the same as ``val_step``; MMagic's indexes a stacked
      ``DataSample``, which has no ``__getitem__``.)
    - :meth:`init_weights` initialises each network with its own
      ``init_weights`` (MMagic's ``generation_init_weights``, N(0, 0.02)).
      ``BaseTranslationModel.init_weights`` first tags each network with
      ``_params_init_info``, on which ``generation_init_weights`` raises
      ``UnboundLocalError`` (``init_info``) for modules without weights.
    """

    def init_weights(self) -> None:
        """Initialise every generator and discriminator."""
        for domain in self._reachable_domains:
            self.get_module(self.generators)[domain].init_weights()
            if self.discriminators is not None:
                self.get_module(self.discriminators)[domain].init_weights()

    def val_step(self, data: dict) -> list:
        """MMagic's outputs plus ``gt_img`` and ``output.pred_img``."""
        target = self._reachable_domains[0]
        samples = super().val_step(data)
        for sample in samples:
            real = sample.get(f'img_{target}').float()
            sample.set_tensor_data(dict(gt_img=real))
            sample.output = DataSample(pred_img=sample.get(f'fake_{target}'))
            sample.set_metainfo(dict(channel_order='RGB'))
        return samples

    def test_step(self, data: dict) -> list:
        """Same as :meth:`val_step`."""
        return self.val_step(data)
