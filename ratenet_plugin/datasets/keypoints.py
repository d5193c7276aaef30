"""The COCO-18 (OpenPose) keypoint layout used everywhere in ratenet_plugin.

Keypoints are ``np.float32`` arrays of shape ``(18, 2)`` holding ``(x, y)``
pixel coordinates (pixel centres at integer positions) in this order::

    0 nose            1 neck          2 right_shoulder  3 right_elbow
    4 right_wrist     5 left_shoulder 6 left_elbow      7 left_wrist
    8 right_hip       9 right_knee   10 right_ankle    11 left_hip
    12 left_knee     13 left_ankle   14 right_eye      15 left_eye
    16 right_ear     17 left_ear

"Left" and "right" are the person's. A missing joint is stored as ``(-1, -1)``;
any negative coordinate counts as missing.

Indices 14-17 mean what OpenPose's COCO-18 output means (right eye, left eye,
right ear, left ear), because the DeepFashion annotations were made with
OpenPose. Deformable GAN's and PATN's label lists (and ../shared/DESIGN.md)
name them ``Leye, Reye, Lear, Rear``; the indices, the data and every flip
are the same either way (14/15 and 16/17 swap as pairs), only the names
differ, and MediaPipe extraction (:mod:`ratenet_plugin.apis`) places the
person's right eye at 14 like OpenPose.
"""
from typing import Tuple

import numpy as np

NUM_KEYPOINTS = 18

COCO18_NAMES: Tuple[str, ...] = (
    'nose', 'neck', 'right_shoulder', 'right_elbow', 'right_wrist',
    'left_shoulder', 'left_elbow', 'left_wrist', 'right_hip', 'right_knee',
    'right_ankle', 'left_hip', 'left_knee', 'left_ankle', 'right_eye',
    'left_eye', 'right_ear', 'left_ear')

# COCO18_FLIP_INDEX[i] is the joint that takes slot i after a horizontal flip.
COCO18_FLIP_INDEX: Tuple[int, ...] = (0, 1, 5, 6, 7, 2, 3, 4, 11, 12, 13, 8, 9,
                                      10, 15, 14, 17, 16)

# Bones (pairs of joint indices) of the OpenPose skeleton, for drawing.
COCO18_LIMBS: Tuple[Tuple[int, int], ...] = (
    (1, 2), (2, 3), (3, 4), (1, 5), (5, 6), (6, 7), (1, 8), (8, 9), (9, 10),
    (1, 11), (11, 12), (12, 13), (1, 0), (0, 14), (14, 16), (0, 15), (15, 17))

MISSING_VALUE = -1.0


def missing_mask(keypoints: np.ndarray) -> np.ndarray:
    """Return a bool array ``(18,)``: True where a joint is missing.

    Args:
        keypoints (np.ndarray): ``(18, 2)`` ``(x, y)`` keypoints.
    """
    return (keypoints < 0).any(axis=-1)


def flip_keypoints_horizontal(keypoints: np.ndarray,
                              width: int) -> np.ndarray:
    """Mirror keypoints in an image of ``width`` pixels and swap left/right.

    Present joints get ``x' = width - 1 - x`` (pixel centres); missing joints
    stay ``(-1, -1)``. Then slot ``i`` receives joint ``COCO18_FLIP_INDEX[i]``,
    so the mirrored left wrist lands in the right-wrist slot.

    Args:
        keypoints (np.ndarray): ``(18, 2)`` ``(x, y)`` keypoints.
        width (int): Image width in pixels.

    Returns:
        np.ndarray: New ``(18, 2)`` float32 array.
    """
    flipped = np.asarray(keypoints, dtype=np.float32).copy()
    present = ~missing_mask(flipped)
    flipped[present, 0] = width - 1 - flipped[present, 0]
    return flipped[list(COCO18_FLIP_INDEX)]
