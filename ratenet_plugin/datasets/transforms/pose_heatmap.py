"""Keypoints to Gaussian heatmaps."""
from typing import Optional, Sequence

import numpy as np
from mmcv.transforms import BaseTransform

from ratenet_plugin.registry import TRANSFORMS
from ..keypoints import missing_mask
from .pipeline_errors import PosePipelineError

#: Heatmap values below this are stored as 0: 2^-24, half a unit in the
#: last place of the peak value 1.0 in float32 (the Gaussian falls below it
#: 5.8 sigma from the joint).
HEATMAP_FLOOR = np.float32(2.0**-24)


def keypoints_to_heatmaps(keypoints: np.ndarray, height: int, width: int,
                          sigma: float) -> np.ndarray:
    """One Gaussian per joint: ``exp(-d^2 / (2 sigma^2))``, peak 1.

    The Gaussian is separable, so each map is the outer product of a column
    and a row profile: no loop over pixels or joints.

    Args:
        keypoints (np.ndarray): ``(K, 2)`` ``(x, y)`` pixels; a joint with a
            negative coordinate is missing and gets an all-zero map.
        height (int): Map height.
        width (int): Map width.
        sigma (float): Standard deviation in pixels.

    Returns:
        np.ndarray: float32 ``(K, height, width)`` in [0, 1]; the tail
        below :data:`HEATMAP_FLOOR` (beyond 5.8 sigma) is 0.
    """
    if sigma <= 0:
        raise ValueError(f'sigma must be positive, got {sigma}')
    keypoints = np.asarray(keypoints, dtype=np.float32)
    xs = np.arange(width, dtype=np.float32)
    ys = np.arange(height, dtype=np.float32)
    scale = np.float32(-0.5 / sigma**2)
    row = np.exp((xs[None, :] - keypoints[:, :1])**2 * scale)  # (K, W)
    col = np.exp((ys[None, :] - keypoints[:, 1:])**2 * scale)  # (K, H)
    col[missing_mask(keypoints)] = 0
    heatmaps = col[:, :, None] * row[:, None, :]
    # The Gaussian's far tail is tiny (down to float32's subnormal range,
    # below 1.2e-38), and its products with gradients are subnormal, which
    # an Intel Xeon without AMX computes on a slow path (the stems' weight
    # gradients 4-6x slower under channels_last; a float32 main-job cycle
    # 1.45x slower when the map itself held subnormals; docs/benchmarks.md).
    # Values that small carry nothing the peak's own float32 precision
    # keeps: stored as exact zeros instead.
    heatmaps[heatmaps < HEATMAP_FLOOR] = 0
    return heatmaps


def keypoints_to_patn_heatmaps(keypoints: np.ndarray, height: int,
                               width: int, sigma: float) -> np.ndarray:
    """PATN's stored heatmaps: the Gaussians cast to ``uint8``, as floats.

    PATN's ``tool/generate_pose_map_fashion.py`` evaluates the Gaussian at
    integer keypoints into a ``uint8`` array, which truncates every value
    below 1 to 0: each present joint becomes a single pixel of value 1 (at
    the keypoint, if inside the map). Keypoints are rounded to the nearest
    pixel first (PATN's annotations are integers, so on its data this is
    exactly its map); a missing joint (negative coordinate) stays all-zero.

    Args:
        keypoints (np.ndarray): ``(K, 2)`` ``(x, y)`` pixels, negative for
            missing.
        height (int): Map height.
        width (int): Map width.
        sigma (float): The Gaussian's sigma (no effect on the result after
            truncation; kept for PATN's formula).

    Returns:
        np.ndarray: float32 ``(K, height, width)`` of 0s and 1s.
    """
    keypoints = np.asarray(keypoints, dtype=np.float32)
    rounded = np.floor(keypoints + 0.5)
    rounded[missing_mask(keypoints)] = -1
    gaussians = keypoints_to_heatmaps(rounded, height, width, sigma)
    return gaussians.astype(np.uint8).astype(np.float32)


#: ``GeneratePoseHeatmap`` encodings -> heatmap functions.
HEATMAP_ENCODINGS = {
    'gaussian': keypoints_to_heatmaps,
    'patn_uint8': keypoints_to_patn_heatmaps,
}


@TRANSFORMS.register_module()
class GeneratePoseHeatmap(BaseTransform):
    """Build 18-channel Gaussian pose heatmaps from keypoints.

    Place it after every geometric transform, so that the heatmaps match the
    final image size.

    Required keys: ``{key}_keypoints`` (np.float32 ``(18, 2)`` ``(x, y)``, -1
    missing) and ``{key}_img`` (for the size) for each key in ``keys``;
    ``keypoint_frame``, where given, must be the images' ``(H, W)`` (a
    transform that resized them without the keypoints is refused).

    Added keys: ``{key}_pose``: np.float32 ``(18, H, W)`` in [0, 1], COCO-18
    order, an all-zero map for a missing joint (0s and 1s with
    ``encoding='patn_uint8'``).

    Args:
        sigma (float): Gaussian standard deviation in pixels at an image of
            height ``sigma_reference_height``. Defaults to 6 (PATN, at 256).
        sigma_reference_height (int, optional): The sigma used is
            ``sigma * H / sigma_reference_height`` so that heatmaps keep their
            relative width on smaller images (1.5 px at H = 64). None: use
            ``sigma`` pixels at any size. Defaults to 256.
        keys (Sequence[str]): Sides to process. Defaults to ``('src',
            'tgt')``.
        encoding (str): ``'gaussian'`` (float Gaussians, as the papers
            describe) or ``'patn_uint8'``: PATN's stored maps, the Gaussians
            truncated by a ``uint8`` cast to single-pixel peaks
            (:func:`keypoints_to_patn_heatmaps`); what PATN's released
            weights were trained on. Defaults to ``'gaussian'``.
    """

    def __init__(self,
                 sigma: float = 6.0,
                 sigma_reference_height: Optional[int] = 256,
                 keys: Sequence[str] = ('src', 'tgt'),
                 encoding: str = 'gaussian') -> None:
        if sigma <= 0:
            raise ValueError(f'sigma must be positive, got {sigma}')
        if encoding not in HEATMAP_ENCODINGS:
            raise ValueError(f'encoding must be one of '
                             f'{list(HEATMAP_ENCODINGS)}, got {encoding!r}')
        self.encoding = encoding
        self.sigma = float(sigma)
        self.sigma_reference_height = sigma_reference_height
        self.keys = tuple(keys)

    def sigma_for(self, height: int) -> float:
        """The sigma in pixels used for images of ``height`` pixels."""
        if self.sigma_reference_height is None:
            return self.sigma
        return self.sigma * height / self.sigma_reference_height

    def transform(self, results: dict) -> dict:
        """Add ``{key}_pose`` for each key."""
        frame = results.get('keypoint_frame')
        if results.get('flip_infos'):
            raise PosePipelineError(
                'a transform before GeneratePoseHeatmap mirrored the images '
                "without their keypoints (MMagic's Flip); use PoseAwareFlip, "
                'which mirrors both and swaps left and right joints')
        for key in self.keys:
            height, width = results[f'{key}_img'].shape[:2]
            if frame is not None and tuple(frame) != (height, width):
                raise PosePipelineError(
                    f'{key}_img is {height}x{width} but its keypoints are '
                    f'in a {frame[0]}x{frame[1]} frame (keypoint_frame): a '
                    'transform before GeneratePoseHeatmap resized or cropped '
                    'the images without moving the keypoints (e.g. MMagic\'s '
                    'Resize); use ResizePadPose, which moves both')
            results[f'{key}_pose'] = HEATMAP_ENCODINGS[self.encoding](
                results[f'{key}_keypoints'], height, width,
                self.sigma_for(height))
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(sigma={self.sigma}, '
                f'sigma_reference_height={self.sigma_reference_height}, '
                f'keys={self.keys}, encoding={self.encoding!r})')
