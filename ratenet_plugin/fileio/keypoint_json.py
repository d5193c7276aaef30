"""Keypoint JSON files: ours (COCO-18) and other tools', read and written here.

Every reader returns :class:`PoseKeypoints`: ``keypoints`` ``np.float32
(18, 2)`` of ``(x, y)`` pixels in COCO-18 order
(:mod:`ratenet_plugin.datasets.keypoints`), ``-1`` for a missing joint, and
``image_size`` ``(H, W)`` of the image the pixels refer to, or None when the
file does not say. The format is recognised from the document:

* **coco18** (ours, written by :func:`write_keypoint_json`)::

      {"format": "coco18",
       "image_size": [H, W],
       "keypoints": [[x0, y0], [x1, y1], ..., [x17, y17]]}

  ``image_size`` may be ``null``; ``[-1, -1]`` (any negative coordinate)
  marks a missing joint.
* **openpose**: ``{"people": [{"pose_keypoints_2d": [x, y, c, ...]}]}``, 18
  joints (COCO / BODY_18, our order) or 25 (BODY_25, mapped). A joint is
  present when ``c > 0`` (OpenPose writes 0 for a joint it did not find).
  OpenPose stores no image size.
* **mmpose** (COCO-17, e.g. MMPose/ViTPose predictions): a list of instances,
  or ``{"instance_info": [...]}`` as MMPose's demos save them, each instance
  ``{"keypoints": [[x, y], ...], "keypoint_scores": [...]}``; also COCO's own
  ``"keypoints": [x, y, v, ...]`` triplets. 17 joints, or 26 (Halpe) and 133
  (COCO-WholeBody), whose first 17 are COCO-17's. Present when the score (or
  visibility ``v``) is above 0.3, MMPose's default keypoint threshold. The
  neck is the midpoint of the shoulders. A single instance (a dict with
  ``"keypoints"`` and no ``"format"``) is read as a list of one.
* **coco**: a COCO keypoint annotation file, ``{"images": [...],
  "annotations": [{"image_id": .., "keypoints": [x, y, v, ...]}, ...]}``
  (e.g. exported by an annotation tool): its annotations with keypoints are
  the instances above (``person`` picks one); the image size is the
  annotated image's ``height`` and ``width``.
* **mediapipe33**: ``{"format": "mediapipe33", "image_size": [H, W],
  "landmarks": [{"x": .., "y": .., "z": .., "visibility": ..}, ...]}`` with
  MediaPipe's 33 normalised landmarks (``x`` in [0, 1] of the width, ``y`` of
  the height; a field left out counts as 0, as protobuf's JSON does).
  Present when the visibility is above 0.5 and the landmark lies inside the
  image; the neck is the midpoint of the shoulders.

``min_confidence`` overrides a format's threshold. A file whose person has
no joint present (or that lists no person) raises :class:`EmptyPoseError`
naming the file. Files are UTF-8 (:mod:`.text_file`).
"""
import json
import os.path as osp
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from ratenet_plugin.datasets.keypoints import (LAYOUT_SIZES, NUM_KEYPOINTS,
                                               mediapipe_to_coco18,
                                               missing_mask, to_coco18)
from .errors import UserInputError
from .text_file import read_text, write_text

COCO18_FORMAT = 'coco18'
MEDIAPIPE_FORMAT = 'mediapipe33'
#: Formats :func:`write_keypoint_json` writes.
WRITE_FORMATS = (COCO18_FORMAT, 'openpose')
#: Score above which a joint is present, per format read.
DEFAULT_MIN_CONFIDENCE = dict(
    openpose=0.0, mmpose=0.3, coco=0.3, mediapipe33=0.5)
# Joint counts of MMPose layouts whose first 17 joints are COCO-17's.
_COCO17_PREFIXED = (17, 26, 133)


class KeypointFormatError(UserInputError):
    """A keypoint file or document that cannot be read; names it."""


class EmptyPoseError(KeypointFormatError):
    """A keypoint file that lists no person, or whose person has no joint."""


@dataclass
class PoseKeypoints:
    """Keypoints with the frame they refer to.

    Attributes:
        keypoints (np.ndarray): ``float32 (18, 2)`` ``(x, y)`` pixels,
            COCO-18 order, ``-1`` for a missing joint.
        image_size (tuple[int, int] | None): ``(H, W)`` of the image the
            pixels refer to; ``None`` when the source format does not say.
    """
    keypoints: np.ndarray
    image_size: Optional[Tuple[int, int]] = None


def _numbers(values: Any, where: str, what: str) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=np.float32)
    except (TypeError, ValueError) as error:
        raise KeypointFormatError(
            f'{where}: {what} are not numbers ({error})') from None
    if not np.isfinite(array).all():
        raise KeypointFormatError(f'{where}: {what} contain NaN or inf')
    return array


def _as_keypoints(values: Any, where: str) -> np.ndarray:
    """Validate a ``(18, 2)`` array and mark negative joints ``-1``."""
    kpts = _numbers(values, where, 'keypoints')
    if kpts.shape != (NUM_KEYPOINTS, 2):
        raise KeypointFormatError(
            f'{where}: expected {NUM_KEYPOINTS} (x, y) keypoints, '
            f'got an array of shape {kpts.shape}')
    kpts[missing_mask(kpts)] = -1
    return kpts


def _as_image_size(value: Any, where: str) -> Optional[Tuple[int, int]]:
    if value is None:
        return None
    if (not isinstance(value, (list, tuple)) or len(value) != 2
            or not all(isinstance(v, int) and v > 0 for v in value)):
        raise KeypointFormatError(
            f'{where}: "image_size" must be [H, W] with positive integers, '
            f'got {value!r}')
    return int(value[0]), int(value[1])


def _pick(items: Any, person: int, where: str, what: str) -> Any:
    if not isinstance(items, list):
        raise KeypointFormatError(f'{where}: {what} must be a list')
    if not items:
        raise EmptyPoseError(f'{where}: the file lists no person')
    if not 0 <= person < len(items):
        raise KeypointFormatError(f'{where}: the file lists {len(items)} '
                                  f'people, person {person} requested')
    return items[person]


# ------------------------------------------------------------ the formats
def _from_coco18(doc: dict, where: str) -> PoseKeypoints:
    if 'keypoints' not in doc:
        raise KeypointFormatError(f'{where}: no "keypoints" entry')
    image_size = _as_image_size(doc.get('image_size'), where)
    return PoseKeypoints(_as_keypoints(doc['keypoints'], where), image_size)


def _from_openpose(doc: dict, where: str, person: int,
                   min_confidence: float) -> PoseKeypoints:
    entry = _pick(doc['people'], person, where, '"people"')
    flat = entry.get('pose_keypoints_2d') if isinstance(entry,
                                                        dict) else None
    if not isinstance(flat, list):
        raise KeypointFormatError(
            f'{where}: people[{person}] has no "pose_keypoints_2d" list')
    values = _numbers(flat, where, '"pose_keypoints_2d" values')
    if values.ndim != 1 or len(values) % 3:
        raise KeypointFormatError(
            f'{where}: "pose_keypoints_2d" must hold (x, y, c) triplets, '
            f'got {len(flat)} numbers')
    triplets = values.reshape(-1, 3)
    layouts = {LAYOUT_SIZES[name]: name for name in ('coco18', 'body25')}
    if len(triplets) not in layouts:
        raise KeypointFormatError(
            f'{where}: "pose_keypoints_2d" has {len(triplets)} joints; '
            'supported are 18 (COCO/BODY_18) and 25 (BODY_25)')
    return PoseKeypoints(
        to_coco18(triplets[:, :2], triplets[:, 2], layouts[len(triplets)],
                  min_confidence))


def _from_mmpose(instances: Any, where: str, person: int,
                 min_confidence: float) -> PoseKeypoints:
    instance = _pick(instances, person, where, 'the instances')
    if not isinstance(instance, dict) or 'keypoints' not in instance:
        if isinstance(instance, dict) and 'instances' in instance:
            raise KeypointFormatError(
                f'{where}: holds the predictions of a video (per frame '
                '"instances"); save or split it into one file per frame')
        raise KeypointFormatError(
            f'{where}: instance {person} has no "keypoints" entry')
    points = _numbers(instance['keypoints'], where, '"keypoints"')
    if points.ndim == 1 and len(points) % 3 == 0:  # COCO's x, y, v
        points = points.reshape(-1, 3)
    scores = instance.get('keypoint_scores')
    if points.ndim == 2 and points.shape[1] == 3:
        points, scores = points[:, :2], points[:, 2]
    if points.ndim != 2 or points.shape[1] != 2 or \
            len(points) not in _COCO17_PREFIXED:
        raise KeypointFormatError(
            f'{where}: "keypoints" has shape {points.shape}; expected 17 '
            '(COCO), 26 (Halpe) or 133 (COCO-WholeBody) joints of (x, y) or '
            '(x, y, v)')
    if scores is not None:
        scores = _numbers(scores, where, '"keypoint_scores"').reshape(-1)
        if len(scores) != len(points):
            raise KeypointFormatError(
                f'{where}: {len(scores)} keypoint scores for '
                f'{len(points)} joints')
        scores = scores[:17]
    return PoseKeypoints(
        to_coco18(points[:17], scores, 'coco17', min_confidence))


def _from_mediapipe(doc: dict, where: str,
                    min_confidence: float) -> PoseKeypoints:
    image_size = _as_image_size(doc.get('image_size'), where)
    if image_size is None:
        raise KeypointFormatError(
            f'{where}: a mediapipe33 file needs "image_size": [H, W] to turn '
            'its normalised landmarks into pixels')
    landmarks = doc.get('landmarks')
    size = LAYOUT_SIZES[MEDIAPIPE_FORMAT]
    if not isinstance(landmarks, list) or len(landmarks) != size or \
            not all(isinstance(mark, dict) for mark in landmarks):
        raise KeypointFormatError(
            f'{where}: "landmarks" must be a list of {size} objects with x, '
            'y and visibility')
    values = _numbers([[mark.get(k, 0.0) for k in ('x', 'y', 'visibility')]
                       for mark in landmarks], where, 'landmarks')
    return PoseKeypoints(
        mediapipe_to_coco18(values, image_size, min_confidence), image_size)


def detect_format(doc: Any) -> Optional[str]:
    """The format of a decoded keypoint document, or None if unknown."""
    if isinstance(doc, list) or (isinstance(doc, dict)
                                 and 'instance_info' in doc):
        return 'mmpose'
    if not isinstance(doc, dict):
        return None
    if doc.get('format') in (COCO18_FORMAT, MEDIAPIPE_FORMAT):
        return doc['format']
    if isinstance(doc.get('annotations'), list):
        return 'coco'
    if 'keypoints' in doc and 'format' not in doc:
        return 'mmpose'  # one instance
    return 'openpose' if 'people' in doc else None


def _from_coco_file(doc: dict, where: str, person: int,
                    min_confidence: float) -> PoseKeypoints:
    annotations = [a for a in doc['annotations']
                   if isinstance(a, dict) and 'keypoints' in a]
    if doc['annotations'] and not annotations:
        raise KeypointFormatError(
            f'{where}: a COCO file whose annotations have no "keypoints" '
            '(boxes or masks only); give a keypoint annotation file')
    pose = _from_mmpose(annotations, where, person, min_confidence)
    image_id = annotations[person].get('image_id')
    for image in doc.get('images') or []:
        if isinstance(image, dict) and image.get('id') == image_id:
            size = [image.get('height'), image.get('width')]
            # COCO's sizes are integers; a tool that writes them otherwise
            # (or not at all) leaves the size unknown, as other formats do.
            if all(isinstance(v, int) and v > 0 for v in size):
                return PoseKeypoints(pose.keypoints, (size[0], size[1]))
    return pose


def keypoints_from_dict(doc: Any,
                        where: str = 'keypoint JSON',
                        person: int = 0,
                        min_confidence: Optional[float] = None
                        ) -> PoseKeypoints:
    """Parse a decoded keypoint document in any of the module's formats.

    Args:
        doc: The decoded JSON.
        where (str): Name used in error messages (e.g. the file path).
        person (int): Which person (OpenPose ``people``, MMPose instance).
        min_confidence (float, optional): Score a joint must exceed; None:
            the format's default (:data:`DEFAULT_MIN_CONFIDENCE`).

    Raises:
        KeypointFormatError: Unknown or malformed document.
        EmptyPoseError: No person, or no joint present.
    """
    fmt = detect_format(doc)
    if fmt is None:
        raise KeypointFormatError(
            f'{where}: unknown keypoint format; expected '
            f'{{"format": "{COCO18_FORMAT}", "keypoints": [...]}}, OpenPose '
            '{"people": [{"pose_keypoints_2d": [...]}]}, MMPose [{"keypoints":'
            ' [...], "keypoint_scores": [...]}], a COCO keypoint file '
            '{"annotations": [{"keypoints": [...]}]} or {"format": '
            f'"{MEDIAPIPE_FORMAT}", ...}} (docs/inference.md)')
    threshold = DEFAULT_MIN_CONFIDENCE.get(fmt, 0.0) \
        if min_confidence is None else min_confidence
    if fmt == COCO18_FORMAT:
        pose = _from_coco18(doc, where)
    elif fmt == 'openpose':
        pose = _from_openpose(doc, where, person, threshold)
    elif fmt == 'mmpose':
        instances = doc if isinstance(doc, list) else doc.get(
            'instance_info', [doc])
        pose = _from_mmpose(instances, where, person, threshold)
    elif fmt == 'coco':
        pose = _from_coco_file(doc, where, person, threshold)
    else:
        pose = _from_mediapipe(doc, where, threshold)
    if missing_mask(pose.keypoints).all():
        raise EmptyPoseError(
            f'{where}: person {person} has no joint present ({fmt} file; '
            f'every joint missing or with a score at most {threshold:g})')
    return pose


def read_keypoint_json(path: str,
                       person: int = 0,
                       min_confidence: Optional[float] = None
                       ) -> PoseKeypoints:
    """Read a keypoint JSON file in any of the module's formats.

    Args:
        path (str): The file.
        person (int): Which person (OpenPose ``people``, MMPose instance).
        min_confidence (float, optional): See :func:`keypoints_from_dict`.

    Returns:
        PoseKeypoints: ``keypoints`` float32 ``(18, 2)`` ``(x, y)``, ``-1``
        missing; ``image_size`` ``(H, W)`` or None.

    Raises:
        FileNotFoundError: No such file.
        TextEncodingError: Not UTF-8.
        KeypointFormatError: Not JSON, or not a known keypoint format.
        EmptyPoseError: No person, or no joint present.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'keypoint file not found: {path}')
    try:
        doc = json.loads(read_text(path))
    except json.JSONDecodeError as error:
        raise KeypointFormatError(
            f'{path}: not valid JSON ({error})') from None
    return keypoints_from_dict(doc, where=path, person=person,
                               min_confidence=min_confidence)


def keypoints_to_coco18(
        keypoints: np.ndarray,
        image_size: Optional[Tuple[int, int]] = None) -> Dict[str, Any]:
    """Our JSON document for ``(18, 2)`` keypoints and their ``(H, W)``."""
    kpts = _as_keypoints(keypoints, 'keypoints')
    return dict(
        format=COCO18_FORMAT,
        image_size=None if image_size is None else
        [int(image_size[0]), int(image_size[1])],
        keypoints=[[float(x), float(y)] for x, y in kpts])


def keypoints_to_openpose(keypoints: np.ndarray) -> Dict[str, Any]:
    """An OpenPose (COCO / BODY_18) document with one person.

    Missing joints are written as ``(0, 0, 0)`` as OpenPose does; present
    joints get confidence 1.
    """
    kpts = _as_keypoints(keypoints, 'keypoints')
    flat: List[float] = []
    for x, y in kpts:
        flat += [0.0, 0.0, 0.0] if x < 0 else [float(x), float(y), 1.0]
    return dict(version=1.3, people=[dict(pose_keypoints_2d=flat)])


def write_keypoint_json(path: str,
                        keypoints: np.ndarray,
                        image_size: Optional[Tuple[int, int]] = None,
                        fmt: str = COCO18_FORMAT) -> None:
    """Write ``(18, 2)`` keypoints as our coco18 JSON (``fmt='coco18'``,
    with ``image_size``) or as OpenPose JSON (``fmt='openpose'``, which
    stores no image size)."""
    if fmt == COCO18_FORMAT:
        doc = keypoints_to_coco18(keypoints, image_size)
    elif fmt == 'openpose':
        doc = keypoints_to_openpose(keypoints)
    else:
        raise ValueError(f'fmt must be one of {WRITE_FORMATS}, got {fmt!r}')
    write_text(path, json.dumps(doc, indent=1) + '\n')
