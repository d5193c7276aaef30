"""Geometric transforms that move keypoints (and heatmaps) with the images."""
from typing import Sequence, Tuple

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform

from ratenet_plugin.registry import TRANSFORMS
from ..keypoints import (COCO18_FLIP_INDEX, flip_keypoints_horizontal,
                         keep_in_frame, missing_mask, scale_pixel_centres)


@TRANSFORMS.register_module()
class PoseAwareFlip(BaseTransform):
    """Randomly mirror a pair horizontally, swapping left and right joints.

    One random draw flips every side in ``keys`` together (a mirrored pair is
    still a pair of one person). A flipped keypoint gets ``x' = W - 1 - x``
    and moves into the slot of its mirror joint (the left wrist's position
    becomes the right wrist's, see
    :data:`~ratenet_plugin.datasets.keypoints.COCO18_FLIP_INDEX`). Heatmaps
    already present are mirrored and their channels permuted the same way.

    Required keys: ``{key}_img`` (``(H, W, C)``), ``{key}_keypoints``.

    Modified keys: ``{key}_img``, ``{key}_keypoints``, ``{key}_pose`` (if
    present).

    Added keys: ``flip`` (bool, whether this sample was flipped).

    Args:
        prob (float): Probability of flipping. Defaults to 0.5.
        keys (Sequence[str]): Sides to flip. Defaults to ``('src', 'tgt')``.
    """

    def __init__(self, prob: float = 0.5,
                 keys: Sequence[str] = ('src', 'tgt')) -> None:
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        self.prob = prob
        self.keys = tuple(keys)

    def transform(self, results: dict) -> dict:
        """Flip all sides with probability ``prob``."""
        flip = bool(np.random.rand() < self.prob)
        results['flip'] = flip
        if not flip:
            return results
        for key in self.keys:
            img = results[f'{key}_img']
            results[f'{key}_img'] = np.ascontiguousarray(img[:, ::-1])
            results[f'{key}_keypoints'] = flip_keypoints_horizontal(
                results[f'{key}_keypoints'], img.shape[1])
            if f'{key}_pose' in results:
                pose = results[f'{key}_pose'][list(COCO18_FLIP_INDEX)]
                results[f'{key}_pose'] = np.ascontiguousarray(pose[:, :, ::-1])
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(prob={self.prob}, keys={self.keys})'


@TRANSFORMS.register_module()
class ResizePadPose(BaseTransform):
    """Resize a pair to a fixed size, keeping the aspect ratio by padding or
    cropping, and move the keypoints with it.

    Modes (``(h0, w0)`` is the input size, ``scale`` the output ``(H, W)``):

    - ``'pad'``: resize by ``min(H / h0, W / w0)``, then pad evenly on both
      sides with ``pad_value``: 256x176 -> 256x256 adds 40 white columns each
      side (PATN's evaluation protocol).
    - ``'crop'``: resize by ``max(H / h0, W / w0)``, then crop the centre:
      256x256 -> 256x176 takes columns 40..215 (PATN's crop of DeepFashion).
    - ``'fit_height'``: resize by ``H / h0``, then pad or crop the width
      evenly: how DeepFashion's frames relate (256x256 ``img`` <-> 256x176
      PATN crops <-> ~1101x750 ``img_highres``).
    - ``'stretch'``: resize to ``(H, W)`` without keeping the aspect ratio.

    Keypoints follow the pixel-centre convention of the resize,
    ``x' = (x + 0.5) * s - 0.5 + offset``; a joint that leaves the image
    (possible in ``'crop'`` mode) becomes missing (-1). Place this transform
    before ``GeneratePoseHeatmap``: rescaling Gaussian maps would change their
    sigma, so a sample that already has heatmaps is an error.

    Required keys: ``{key}_img``, ``{key}_keypoints``.

    Modified keys: ``{key}_img``, ``{key}_keypoints``, ``keypoint_frame``
    (set to ``scale``: the frame the keypoints now refer to).

    Args:
        scale (Sequence[int]): Output ``(H, W)``. Defaults to (256, 176).
        mode (str): ``'pad'``, ``'crop'``, ``'fit_height'`` or
            ``'stretch'``. Defaults to ``'pad'``.
        pad_value (int): Fill value of padded pixels, all channels. Defaults
            to 255 (white, like DeepFashion's backgrounds).
        interpolation (str): mmcv interpolation name. Defaults to
            ``'bilinear'``.
        keys (Sequence[str]): Sides to process. Defaults to ``('src',
            'tgt')``.
    """

    MODES = ('pad', 'crop', 'fit_height', 'stretch')

    def __init__(self,
                 scale: Sequence[int] = (256, 176),
                 mode: str = 'pad',
                 pad_value: int = 255,
                 interpolation: str = 'bilinear',
                 keys: Sequence[str] = ('src', 'tgt')) -> None:
        if mode not in self.MODES:
            raise ValueError(f'mode must be one of {self.MODES}, got {mode!r}')
        if len(scale) != 2 or min(scale) <= 0:
            raise ValueError(f'scale must be (H, W), got {scale}')
        self.scale: Tuple[int, int] = (int(scale[0]), int(scale[1]))
        self.mode = mode
        self.pad_value = pad_value
        self.interpolation = interpolation
        self.keys = tuple(keys)

    def layout(self, in_h: int, in_w: int) -> Tuple[int, int, int, int]:
        """Where an ``in_h x in_w`` image goes: ``(new_h, new_w, top, left)``,
        its resized size and the offset of its corner in the output (negative
        offsets crop)."""
        out_h, out_w = self.scale
        if self.mode == 'stretch':
            return out_h, out_w, 0, 0
        ratio = dict(pad=min(out_h / in_h, out_w / in_w),
                     crop=max(out_h / in_h, out_w / in_w),
                     fit_height=out_h / in_h)[self.mode]
        new_h = max(1, int(round(in_h * ratio)))
        new_w = max(1, int(round(in_w * ratio)))
        return new_h, new_w, (out_h - new_h) // 2, (out_w - new_w) // 2

    def apply_to_image(self, img: np.ndarray) -> np.ndarray:
        """Resize and pad/crop an ``(H, W[, C])`` image to ``scale``."""
        out_h, out_w = self.scale
        in_h, in_w = img.shape[:2]
        new_h, new_w, top, left = self.layout(in_h, in_w)
        if (new_h, new_w) != (in_h, in_w):
            img = mmcv.imresize(img, (new_w, new_h),
                                interpolation=self.interpolation)
        canvas = np.full((out_h, out_w) + img.shape[2:], self.pad_value,
                         dtype=img.dtype)
        src_y, dst_y = max(0, -top), max(0, top)
        src_x, dst_x = max(0, -left), max(0, left)
        h = min(new_h - src_y, out_h - dst_y)
        w = min(new_w - src_x, out_w - dst_x)
        canvas[dst_y:dst_y + h, dst_x:dst_x + w] = img[src_y:src_y + h,
                                                       src_x:src_x + w]
        return canvas

    def apply_to_keypoints(self,
                           keypoints: np.ndarray,
                           in_size: Sequence[int],
                           inverse: bool = False) -> np.ndarray:
        """Move ``(K, 2)`` ``(x, y)`` keypoints of an ``in_size`` ``(H, W)``
        image into the output frame (or back with ``inverse=True``).

        Missing joints stay ``-1``; joints that land outside the frame are
        kept (the caller decides: :meth:`transform` marks them missing).
        """
        new_h, new_w, top, left = self.layout(*in_size)
        factor = np.array([new_w / in_size[1], new_h / in_size[0]],
                          np.float32)
        offset = np.array([left, top], np.float32)
        keypoints = np.asarray(keypoints, dtype=np.float32)
        if inverse:
            moved = scale_pixel_centres(keypoints, 1 / factor, origin=offset)
        else:
            moved = scale_pixel_centres(keypoints, factor, offset=offset)
        moved[missing_mask(keypoints)] = -1
        return moved

    def transform(self, results: dict) -> dict:
        """Resize, pad or crop every side to ``scale``."""
        out_h, out_w = self.scale
        for key in self.keys:
            if f'{key}_pose' in results:
                raise ValueError(
                    f'{self.__class__.__name__} must come before '
                    f'GeneratePoseHeatmap ({key}_pose is already present)')
            img = results[f'{key}_img']
            given = results[f'{key}_keypoints']
            results[f'{key}_keypoints'] = keep_in_frame(
                self.apply_to_keypoints(given, img.shape[:2]),
                ~missing_mask(given), self.scale)
            results[f'{key}_img'] = self.apply_to_image(img)
        results['keypoint_frame'] = self.scale
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(scale={self.scale}, '
                f'mode={self.mode!r}, pad_value={self.pad_value}, '
                f'interpolation={self.interpolation!r}, keys={self.keys})')
