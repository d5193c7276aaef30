"""Body keypoints for any photo with MediaPipe Pose, in COCO-18 order.

MediaPipe (a dependency of MMagic 1.2.0) ships its pose detector and its
"full" landmark model (``model_complexity=1``) inside the wheel, so extraction
runs offline. Its 33 BlazePose landmarks are mapped to the 18 OpenPose/COCO
joints used by the DeepFashion annotations with the ``mediapipe33`` table of
:mod:`ratenet_plugin.datasets.keypoints` (the one keypoint JSON files of that
layout use too); the neck, which BlazePose lacks, is the midpoint of the
shoulders.

Left/right follow the person (OpenPose's convention): ``Rsho`` (index 2) is
the person's right shoulder, on the image's left in a frontal photo. For the
eyes and ears we follow OpenPose's COCO-18 output, which the DeepFashion
annotations come from: index 14 is the person's right eye, 15 the left eye,
16 the right ear, 17 the left ear. (PATN's label list calls index 14
``Leye``; the data are OpenPose's. Heatmaps and flips treat 14/15 and 16/17
as pairs either way.)
"""
import threading

import numpy as np

from ratenet_plugin.datasets.keypoints import (NUM_KEYPOINTS,
                                               mediapipe_to_coco18,
                                               missing_mask)
from ratenet_plugin.fileio.errors import UserInputError


class NoPersonError(UserInputError):
    """No person was found in an image where one is required."""


class PoseExtractor:
    """MediaPipe Pose -> COCO-18 ``(x, y)`` pixel keypoints.

    One extractor holds one MediaPipe graph; reuse it for many images and
    :meth:`close` it (or use ``with``) when done.

    Args:
        min_visibility (float): A landmark whose MediaPipe visibility is below
            this (or equal to it), or that falls outside the image, is
            reported missing (``-1``). Defaults to 0.5.
        min_detection_confidence (float): Person detector threshold.
            Defaults to 0.5.
        model_complexity (int): MediaPipe landmark model, 0 (lite), 1 (full)
            or 2 (heavy). Only 1 ships with the mediapipe wheel; 0 and 2 are
            downloaded by MediaPipe on first use. Defaults to 1.
    """

    def __init__(self,
                 min_visibility: float = 0.5,
                 min_detection_confidence: float = 0.5,
                 model_complexity: int = 1) -> None:
        # Imported here: mediapipe is slow to import and only needed here.
        from mediapipe.python.solutions import pose as mp_pose

        if model_complexity not in (0, 1, 2):
            raise ValueError(
                f'model_complexity must be 0, 1 or 2, got {model_complexity}')
        self.min_visibility = min_visibility
        # One graph, one image at a time: MediaPipe's graph crashes the
        # process when two threads (two users of the web app) feed it.
        self._lock = threading.Lock()
        try:
            self._pose = mp_pose.Pose(
                static_image_mode=True,
                model_complexity=model_complexity,
                min_detection_confidence=min_detection_confidence)
        except OSError as err:
            raise RuntimeError(
                f'MediaPipe could not load its pose model for '
                f'model_complexity={model_complexity} ({err}). Only '
                'model_complexity=1 ships with the mediapipe wheel; the lite '
                'and heavy models are downloaded from the internet on first '
                'use.') from err

    def __call__(self, image: np.ndarray) -> np.ndarray:
        """Keypoints of the most prominent person.

        Args:
            image (np.ndarray): ``uint8 (H, W, 3)`` RGB image.

        Returns:
            np.ndarray: ``float32 (18, 2)`` ``(x, y)`` pixels in COCO-18
            order, ``-1`` for missing joints; all ``-1`` when no person is
            found (see :func:`has_person`).
        """
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise ValueError('expected a uint8 (H, W, 3) RGB image, got '
                             f'{image.dtype} {image.shape}')
        height, width = image.shape[:2]
        with self._lock:
            result = self._pose.process(np.ascontiguousarray(image))
        if result.pose_landmarks is None:
            return np.full((NUM_KEYPOINTS, 2), -1, dtype=np.float32)
        marks = result.pose_landmarks.landmark
        return mediapipe_to_coco18(
            np.array([(m.x, m.y, m.visibility) for m in marks], np.float32),
            (height, width), self.min_visibility)

    def close(self) -> None:
        """Release the MediaPipe graph."""
        with self._lock:
            self._pose.close()

    def __enter__(self) -> 'PoseExtractor':
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def has_person(keypoints: np.ndarray) -> bool:
    """Whether any joint of ``(18, 2)`` keypoints is present."""
    return not missing_mask(keypoints).all()
