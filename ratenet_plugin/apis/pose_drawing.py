"""Draw COCO-18 skeletons and source | pose | result panels."""
from typing import Sequence, Tuple

import cv2
import numpy as np

from ratenet_plugin.datasets.keypoints import COCO18_LIMBS, missing_mask

# OpenPose's limb colours (RGB), one per entry of COCO18_LIMBS.
LIMB_COLOURS = ((255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0),
                (170, 255, 0), (85, 255, 0), (0, 255, 0), (0, 255, 85),
                (0, 255, 170), (0, 255, 255), (0, 170, 255), (0, 85, 255),
                (0, 0, 255), (85, 0, 255), (170, 0, 255), (255, 0, 255),
                (255, 0, 170))


def draw_pose(keypoints: np.ndarray,
              size: Tuple[int, int],
              background: int = 255) -> np.ndarray:
    """Render ``(18, 2)`` ``(x, y)`` keypoints as an OpenPose-style skeleton.

    Args:
        keypoints (np.ndarray): COCO-18 keypoints, ``-1`` for missing joints.
        size (tuple[int, int]): ``(H, W)`` of the drawing.
        background (int): Grey level of the background. Defaults to 255.

    Returns:
        np.ndarray: ``uint8 (H, W, 3)`` RGB drawing.
    """
    height, width = size
    canvas = np.full((height, width, 3), background, np.uint8)
    thickness = max(1, round(min(height, width) / 64))
    present = ~missing_mask(keypoints)
    for (a, b), colour in zip(COCO18_LIMBS, LIMB_COLOURS):
        if present[a] and present[b]:
            pa = tuple(int(round(v)) for v in keypoints[a])
            pb = tuple(int(round(v)) for v in keypoints[b])
            cv2.line(canvas, pa, pb, colour, thickness, cv2.LINE_AA)
    for joint in np.flatnonzero(present):
        centre = tuple(int(round(v)) for v in keypoints[joint])
        cv2.circle(canvas, centre, thickness + 1, (40, 40, 40), -1,
                   cv2.LINE_AA)
    return canvas


def make_panel(images: Sequence[np.ndarray], gap: int = 4) -> np.ndarray:
    """Place ``uint8 (H, W, 3)`` images of one height side by side with
    white gaps."""
    height = images[0].shape[0]
    if any(img.shape[0] != height for img in images):
        raise ValueError('panel images must share one height, got '
                         f'{[img.shape for img in images]}')
    spacer = np.full((height, gap, 3), 255, np.uint8)
    parts = []
    for img in images:
        parts += [img, spacer]
    return np.concatenate(parts[:-1], axis=1)
