"""Packing a pose pair for MMagic's data preprocessor."""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from ratenet_plugin.registry import TRANSFORMS
from mmagic.structures import DataSample

# Meta keys every packed sample carries (docs/architecture.md).
REQUIRED_META_KEYS = ('src_name', 'tgt_name', 'src_img_path', 'tgt_img_path',
                      'src_keypoints', 'tgt_keypoints')


def _image_to_tensor(img: np.ndarray) -> torch.Tensor:
    """``(H, W, 3)`` array -> ``(3, H, W)`` tensor of the same dtype."""
    return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))


@TRANSFORMS.register_module()
class PackPoseInputs(BaseTransform):
    """Pack a pose pair into ``{'inputs': dict, 'data_samples': DataSample}``.

    ``inputs``:

    - ``src_img``, ``tgt_img``: torch.uint8 ``(3, H, W)``, RGB.
    - ``src_pose``, ``tgt_pose``: torch.float32 ``(18, H, W)`` in [0, 1].

    ``data_samples``: a ``mmagic.structures.DataSample`` with ``gt_img`` (the
    target image, torch.uint8 ``(3, H, W)`` RGB, its own copy) and metainfo
    from ``meta_keys``.

    Required keys: ``src_img``, ``tgt_img`` (np.uint8 ``(H, W, 3)`` RGB),
    ``src_pose``, ``tgt_pose`` (np.float32 ``(18, H, W)``), and ``src_name``,
    ``tgt_name``, ``src_img_path``, ``tgt_img_path``, ``src_keypoints``,
    ``tgt_keypoints``.

    Args:
        meta_keys (Sequence[str]): Keys copied into the metainfo. The six
            required ones above must be present; others (by default
            ``keypoint_frame``, ``sample_idx``, ``flip``, ``pair_ref``) are
            copied when present.
    """

    def __init__(self,
                 meta_keys: Sequence[str] = REQUIRED_META_KEYS +
                 ('keypoint_frame', 'sample_idx', 'flip', 'pair_ref')) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        """Return ``dict(inputs=..., data_samples=...)``."""
        missing = [k for k in REQUIRED_META_KEYS if k not in results]
        if missing:
            raise KeyError(f'{self.__class__.__name__} needs the keys '
                           f'{missing}, which the sample lacks')
        inputs = {}
        for side in ('src', 'tgt'):
            img = results[f'{side}_img']
            if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
                raise ValueError(f'{side}_img must be uint8 (H, W, 3), got '
                                 f'{img.dtype} {img.shape}')
            inputs[f'{side}_img'] = _image_to_tensor(img)
            inputs[f'{side}_pose'] = torch.from_numpy(
                np.ascontiguousarray(results[f'{side}_pose'],
                                     dtype=np.float32))
        metainfo = {k: results[k] for k in self.meta_keys if k in results}
        data_sample = DataSample(
            gt_img=inputs['tgt_img'].clone(), metainfo=metainfo)
        return dict(inputs=inputs, data_samples=data_sample)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(meta_keys={self.meta_keys})'
