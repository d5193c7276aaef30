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

Other layouts are converted here, one table each (:func:`to_coco18`): COCO-17
(MMPose, ViTPose, COCO's own keypoints), MediaPipe/BlazePose-33, OpenPose
BODY_25; docs/inference.md lists them joint by joint.
"""
from typing import Dict, Optional, Tuple

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


def keep_in_frame(keypoints: np.ndarray, present: np.ndarray,
                  frame: Tuple[int, int]) -> np.ndarray:
    """Joints of a resized or cropped image, in an ``(H, W)`` frame.

    Mapped pixel centre onto pixel centre, a shrunk image's edge pixels land
    up to half a pixel outside ``[0, W - 1] x [0, H - 1]`` while they are
    still drawn in the frame's border pixels: joints within half a pixel of
    the frame are clipped onto it, joints beyond are missing.

    Args:
        keypoints (np.ndarray): ``(18, 2)`` ``(x, y)`` mapped keypoints.
        present (np.ndarray): ``(18,)`` bool, the joints that exist.
        frame (tuple[int, int]): ``(H, W)``.

    Returns:
        np.ndarray: New ``(18, 2)`` float32 array, ``-1`` where missing.
    """
    height, width = frame
    keypoints = np.asarray(keypoints, dtype=np.float32)
    inside = present & (keypoints >= -0.5).all(axis=-1) & (
        keypoints < (width - 0.5, height - 0.5)).all(axis=-1)
    kept = np.clip(keypoints, 0, (width - 1, height - 1)).astype(np.float32)
    kept[~inside] = MISSING_VALUE
    return kept


def scale_pixel_centres(keypoints: np.ndarray, scale_xy,
                        origin=(0., 0.), offset=(0., 0.)) -> np.ndarray:
    """Where ``(..., 2)`` ``(x, y)`` keypoints land when the image is cut
    at ``origin`` (a window's top-left corner in the input's pixels),
    resized by ``scale_xy`` per axis and placed at ``offset`` in the output:
    ``(x - origin + 0.5) * scale - 0.5 + offset``, pixel centres kept on
    pixel centres (the rule of every resize, crop and letterbox here).

    Missing joints are not treated: callers mark them (:func:`missing_mask`
    of the input).

    Returns:
        np.ndarray: float32, the shape of ``keypoints``.
    """
    moved = (np.asarray(keypoints, np.float32) - np.asarray(origin) + 0.5
             ) * np.asarray(scale_xy) - 0.5 + np.asarray(offset)
    return moved.astype(np.float32)


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


# Index, in each layout, of every COCO-18 joint; None = the neck, which the
# layout lacks: the midpoint of the two shoulders when both are present.
LAYOUT_TO_COCO18: Dict[str, Tuple[Optional[int], ...]] = dict(
    coco18=tuple(range(NUM_KEYPOINTS)),
    # BODY_25 is COCO-18 with MidHip inserted at 8 and six foot joints
    # appended (19-24); both are dropped.
    body25=(0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18),
    # COCO-17: nose, L/R eye, L/R ear, L/R shoulder, elbow, wrist, hip,
    # knee, ankle (left first in each pair).
    coco17=(0, None, 6, 8, 10, 5, 7, 9, 12, 14, 16, 11, 13, 15, 2, 1, 4, 3),
    # BlazePose: 2/5 left/right eye, 7/8 left/right ear, 11-16 shoulders,
    # elbows, wrists, 23-28 hips, knees, ankles (left first in each pair).
    mediapipe33=(0, None, 12, 14, 16, 11, 13, 15, 24, 26, 28, 23, 25, 27, 5,
                 2, 8, 7),
)
#: Number of joints of each layout.
LAYOUT_SIZES: Dict[str, int] = dict(coco18=18, body25=25, coco17=17,
                                    mediapipe33=33)
_NECK, _RIGHT_SHOULDER, _LEFT_SHOULDER = 1, 2, 5


def to_coco18(points: np.ndarray,
              confidence: Optional[np.ndarray],
              layout: str,
              min_confidence: float = 0.0) -> np.ndarray:
    """Convert the joints of one person in another layout to COCO-18.

    Args:
        points (np.ndarray): ``(K, 2)`` ``(x, y)`` pixels in ``layout``
            order, ``K = LAYOUT_SIZES[layout]``.
        confidence (np.ndarray, optional): ``(K,)`` scores (OpenPose
            confidence, MMPose keypoint score, COCO visibility, MediaPipe
            visibility). A joint is present when its score is above
            ``min_confidence``; None: every joint with no negative coordinate
            is present.
        layout (str): ``'coco18'``, ``'body25'``, ``'coco17'`` or
            ``'mediapipe33'``.
        min_confidence (float): See ``confidence``. Defaults to 0.

    Returns:
        np.ndarray: float32 ``(18, 2)`` ``(x, y)``, ``-1`` for a missing
        joint. A layout without a neck gets the midpoint of the shoulders
        when both are present.
    """
    if layout not in LAYOUT_TO_COCO18:
        raise ValueError(f'unknown keypoint layout {layout!r}; known: '
                         f'{sorted(LAYOUT_TO_COCO18)}')
    points = np.asarray(points, dtype=np.float32)
    size = LAYOUT_SIZES[layout]
    if points.shape != (size, 2):
        raise ValueError(f'{layout} keypoints must be ({size}, 2), got '
                         f'{points.shape}')
    present = ~missing_mask(points)
    if confidence is not None:
        present &= np.asarray(confidence, dtype=np.float32) > min_confidence
    keypoints = np.full((NUM_KEYPOINTS, 2), MISSING_VALUE, np.float32)
    for joint, index in enumerate(LAYOUT_TO_COCO18[layout]):
        if index is not None and present[index]:
            keypoints[joint] = points[index]
    if LAYOUT_TO_COCO18[layout][_NECK] is None:
        shoulders = keypoints[[_RIGHT_SHOULDER, _LEFT_SHOULDER]]
        if not missing_mask(shoulders).any():
            keypoints[_NECK] = shoulders.mean(axis=0)
    return keypoints


def mediapipe_to_coco18(landmarks: np.ndarray, image_size: Tuple[int, int],
                        min_visibility: float) -> np.ndarray:
    """MediaPipe's 33 normalised pose landmarks -> COCO-18 pixels.

    Args:
        landmarks (np.ndarray): ``(33, 3)``: ``x`` (fraction of the width),
            ``y`` (fraction of the height), visibility.
        image_size (tuple[int, int]): ``(H, W)`` of the image.
        min_visibility (float): A landmark is present when its visibility is
            above this and it lies inside the image (MediaPipe also guesses
            landmarks outside it).

    Returns:
        np.ndarray: float32 ``(18, 2)`` ``(x, y)`` pixel centres (MediaPipe
        measures from the image's edge: ``x * W - 0.5``), ``-1`` missing.
    """
    height, width = image_size
    landmarks = np.asarray(landmarks, dtype=np.float32)
    edges = landmarks[:, :2] * np.array([width, height], np.float32)
    visibility = landmarks[:, 2].copy()
    outside = ((edges < 0) | (edges >= [width, height])).any(axis=1)
    visibility[outside] = -np.inf
    # Inside the image, a landmark in the outer half of an edge pixel is on
    # that pixel.
    points = np.clip(edges - 0.5, 0, [width - 1, height - 1])
    return to_coco18(points, visibility, 'mediapipe33', min_visibility)
