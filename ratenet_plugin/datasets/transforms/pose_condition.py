"""Pose pair -> one condition image, the input of MMagic's image-to-image
models (``configs/pix2pix_pose/``: MMagic's ``Pix2Pix`` on our data set)."""
import numpy as np
from mmcv.transforms import BaseTransform

from ratenet_plugin.registry import TRANSFORMS


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
