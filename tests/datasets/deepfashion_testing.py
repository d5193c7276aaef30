"""Helpers shared by tests/datasets (a module, so tests can import them)."""
import zlib
from typing import Dict, Optional

import cv2
import numpy as np

# A tiny synthetic set shared by the tests that only read it.
SYNTHETIC = dict(num_identities=4, poses_per_identity=3, num_test_identities=1,
                 height=64, width=44, seed=7)


def keypoint_rows(keypoints: np.ndarray) -> Dict[str, str]:
    """PATN y and x list strings for ``(18, 2)`` (x, y) keypoints."""
    def fmt(values):
        return '[' + ', '.join(str(int(v)) for v in values) + ']'

    return dict(y=fmt(keypoints[:, 1]), x=fmt(keypoints[:, 0]))


def standing_keypoints(height: int = 64, width: int = 44) -> np.ndarray:
    """Plausible (x, y) keypoints of a person filling the image."""
    unit = np.array([[0.50, 0.10], [0.50, 0.20], [0.35, 0.21], [0.30, 0.35],
                     [0.28, 0.48], [0.65, 0.21], [0.70, 0.35], [0.72, 0.48],
                     [0.42, 0.50], [0.41, 0.70], [0.40, 0.92], [0.58, 0.50],
                     [0.59, 0.70], [0.60, 0.92], [0.53, 0.08], [0.47, 0.08],
                     [0.56, 0.09], [0.44, 0.09]])
    return np.round(unit * [width - 1, height - 1]).astype(np.float32)


def write_image(path, height: int = 64, width: int = 44,
                value: Optional[int] = None) -> np.ndarray:
    """Write a random (or constant) RGB image; return it as RGB."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(zlib.crc32(path.name.encode()))
    img = rng.integers(0, 256, (height, width, 3), dtype=np.uint8) \
        if value is None else np.full((height, width, 3), value, np.uint8)
    cv2.imwrite(str(path), img[..., ::-1])
    return img
