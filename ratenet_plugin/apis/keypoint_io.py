"""Read and write body keypoints in the formats the inferencer accepts.

All functions return keypoints as ``np.float32 (18, 2)`` arrays of ``(x, y)``
pixels in COCO-18 (OpenPose) order, ``-1`` for a missing joint (see
``ratenet_plugin.datasets.keypoints`` and docs/architecture.md).

Formats:

* **coco18 JSON** (ours)::

      {"format": "coco18",
       "image_size": [H, W],
       "keypoints": [[x0, y0], [x1, y1], ..., [x17, y17]]}

  ``image_size`` is the size of the image the pixels refer to (may be
  ``null`` when unknown); ``[-1, -1]`` marks a missing joint.
* **OpenPose JSON**: ``people[i].pose_keypoints_2d`` as flat ``(x, y, c)``
  triplets, 18 joints (COCO / BODY_18 model, our order) or 25 joints
  (BODY_25, remapped); ``c == 0`` marks a missing joint. OpenPose stores no
  image size.
* **PATN annotation row** ``name: [y0, ..., y17]: [x0, ..., x17]`` (the
  DeepFashion ``fasion-resize-annotation-*.csv`` format, header
  ``name:keypoints_y:keypoints_x``).
"""
import json
import os.path as osp
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from ratenet_plugin.datasets.keypoints import NUM_KEYPOINTS
from ratenet_plugin.datasets.patn_format import read_annotation_csv

COCO18_FORMAT = 'coco18'
PATN_HEADER = 'name:keypoints_y:keypoints_x'

# OpenPose BODY_25 index of each COCO-18 joint: BODY_25 is COCO-18 with
# MidHip inserted at 8 and six foot joints appended (19-24).
BODY25_TO_COCO18 = (0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17,
                    18)


class KeypointFormatError(ValueError):
    """A keypoint file or row that cannot be read; the message names it."""


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


def _as_keypoints(values: Any, where: str) -> np.ndarray:
    """Validate a ``(18, 2)`` array and mark negative joints ``-1``."""
    try:
        kpts = np.asarray(values, dtype=np.float32)
    except (TypeError, ValueError) as err:
        raise KeypointFormatError(
            f'{where}: keypoints are not numbers ({err})') from None
    if kpts.shape != (NUM_KEYPOINTS, 2):
        raise KeypointFormatError(
            f'{where}: expected {NUM_KEYPOINTS} (x, y) keypoints, '
            f'got an array of shape {kpts.shape}')
    if not np.isfinite(kpts).all():
        raise KeypointFormatError(f'{where}: keypoints contain NaN or inf')
    kpts[(kpts < 0).any(axis=1)] = -1
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


# ---------------------------------------------------------------- coco18 JSON
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


def keypoints_from_dict(doc: Any,
                        where: str = 'keypoint JSON',
                        person: int = 0) -> PoseKeypoints:
    """Parse a coco18 or OpenPose document (already ``json.load``-ed).

    Args:
        doc: The decoded JSON.
        where (str): Name used in error messages (e.g. the file path).
        person (int): Which of OpenPose's ``people`` to take.
    """
    if not isinstance(doc, dict):
        raise KeypointFormatError(
            f'{where}: expected a JSON object, got {type(doc).__name__}')
    if doc.get('format') == COCO18_FORMAT:
        if 'keypoints' not in doc:
            raise KeypointFormatError(f'{where}: no "keypoints" entry')
        image_size = _as_image_size(doc.get('image_size'), where)
        return PoseKeypoints(_as_keypoints(doc['keypoints'], where),
                             image_size)
    if 'people' in doc:
        return _from_openpose(doc['people'], where, person)
    raise KeypointFormatError(
        f'{where}: unknown keypoint format; expected '
        f'{{"format": "{COCO18_FORMAT}", "keypoints": [...]}} or OpenPose '
        f'{{"people": [{{"pose_keypoints_2d": [...]}}]}}')


def _from_openpose(people: Any, where: str, person: int) -> PoseKeypoints:
    if not isinstance(people, list) or len(people) <= person:
        count = len(people) if isinstance(people, list) else 0
        raise KeypointFormatError(
            f'{where}: OpenPose file has {count} people, '
            f'person {person} requested')
    flat = people[person].get('pose_keypoints_2d') if isinstance(
        people[person], dict) else None
    if not isinstance(flat, list):
        raise KeypointFormatError(
            f'{where}: people[{person}] has no "pose_keypoints_2d" list')
    try:
        triplets = np.asarray(flat, dtype=np.float32).reshape(-1, 3)
    except ValueError:
        raise KeypointFormatError(
            f'{where}: "pose_keypoints_2d" must hold (x, y, c) triplets, '
            f'got {len(flat)} numbers') from None
    if len(triplets) == 25:
        triplets = triplets[list(BODY25_TO_COCO18)]
    elif len(triplets) != NUM_KEYPOINTS:
        raise KeypointFormatError(
            f'{where}: "pose_keypoints_2d" has {len(triplets)} joints; '
            f'supported are {NUM_KEYPOINTS} (COCO/BODY_18) and 25 (BODY_25)')
    kpts = triplets[:, :2].copy()
    kpts[triplets[:, 2] <= 0] = -1
    return PoseKeypoints(_as_keypoints(kpts, where), None)


def load_keypoints_json(path: str, person: int = 0) -> PoseKeypoints:
    """Read a coco18 or OpenPose keypoint JSON file."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'keypoint file not found: {path}')
    with open(path, encoding='utf-8') as f:
        try:
            doc = json.load(f)
        except json.JSONDecodeError as err:
            raise KeypointFormatError(
                f'{path}: not valid JSON ({err})') from None
    return keypoints_from_dict(doc, where=path, person=person)


def save_keypoints_json(path: str,
                        keypoints: np.ndarray,
                        image_size: Optional[Tuple[int, int]] = None,
                        fmt: str = COCO18_FORMAT) -> None:
    """Write keypoints as our coco18 JSON (``fmt='coco18'``) or OpenPose
    JSON (``fmt='openpose'``)."""
    if fmt == COCO18_FORMAT:
        doc = keypoints_to_coco18(keypoints, image_size)
    elif fmt == 'openpose':
        doc = keypoints_to_openpose(keypoints)
    else:
        raise ValueError(f"fmt must be 'coco18' or 'openpose', got {fmt!r}")
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(doc, f, indent=1)


# ------------------------------------------------------------ PATN CSV rows
def _parse_int_list(text: str, where: str) -> List[int]:
    text = text.strip()
    if not (text.startswith('[') and text.endswith(']')):
        raise KeypointFormatError(
            f'{where}: expected a list like [y0, ..., y17], got {text!r}')
    items = [item.strip() for item in text[1:-1].split(',')]
    try:
        return [int(float(item)) for item in items if item]
    except ValueError:
        raise KeypointFormatError(
            f'{where}: non-numeric coordinate in {text!r}') from None


def parse_patn_row(row: str,
                   where: str = 'PATN row') -> Tuple[str, np.ndarray]:
    """Parse ``name: [y0, ..., y17]: [x0, ..., x17]``.

    Returns:
        tuple[str, np.ndarray]: The image name and ``float32 (18, 2)``
        ``(x, y)`` keypoints with ``-1`` for missing joints.
    """
    parts = row.strip().split(':')
    if len(parts) != 3:
        raise KeypointFormatError(
            f'{where}: expected "name: [y...]: [x...]", got {row.strip()!r}')
    name = parts[0].strip()
    ys = _parse_int_list(parts[1], where)
    xs = _parse_int_list(parts[2], where)
    if len(ys) != NUM_KEYPOINTS or len(xs) != NUM_KEYPOINTS:
        raise KeypointFormatError(
            f'{where}: expected {NUM_KEYPOINTS} y and {NUM_KEYPOINTS} x '
            f'values, got {len(ys)} and {len(xs)}')
    kpts = np.stack([xs, ys], axis=1).astype(np.float32)
    missing = (kpts[:, 0] < 0) | (kpts[:, 1] < 0)
    kpts[missing] = -1
    return name, kpts


def format_patn_row(name: str, keypoints: np.ndarray) -> str:
    """``name: [y0, ..., y17]: [x0, ..., x17]`` with integer pixels."""
    if ':' in name:
        raise ValueError(f'image name {name!r} contains ":", which the PATN '
                         'format uses as separator')
    kpts = _as_keypoints(keypoints, name)
    missing = kpts[:, 0] < 0
    ints = np.where(missing[:, None], -1, np.rint(kpts)).astype(int)
    ys = ', '.join(str(v) for v in ints[:, 1])
    xs = ', '.join(str(v) for v in ints[:, 0])
    return f'{name}: [{ys}]: [{xs}]'


def read_patn_annotation(path: str, name: str) -> np.ndarray:
    """The keypoints of image ``name`` in a PATN annotation CSV (read with
    the dataset's tolerant reader)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'annotation file not found: {path}')
    for row in read_annotation_csv(path):
        if row.name == name:
            return _as_keypoints(row.keypoints, f'{path}, line {row.line}')
    raise KeyError(f'{path}: no annotation row for image {name!r}')
