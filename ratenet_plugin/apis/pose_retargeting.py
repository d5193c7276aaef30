"""Retarget the poses of one person onto the skeleton of another.

To animate a source person with someone else's movement, each driving pose
is rebuilt on the source's skeleton: walking the COCO-18 kinematic tree from
the neck (:data:`KINEMATIC_TREE`), every bone takes the driving bone's
direction and the source bone's length, starting from the source's neck. So
the result has the source's proportions, scale and position, and the
driver's posture.

Over a sequence, each bone's length follows the driver's relative changes
(a driving bone that appears shorter because it points at the camera
appears shorter by the same factor on the source): bone ``b`` in frame ``t``
has length ``source_length[b] * driving_length[t, b] / reference[b]``, where
``reference[b]`` is the driver's median length of that bone over the
sequence. For a single pose this is exactly the source's length. The neck
moves as the driver's neck, relative to the driver's first frame, scaled by
the ratio of the two skeletons' sizes. A bone the source lacks (e.g. legs
outside the source photo) takes the driver's length times that ratio.
"""
import warnings
from typing import Optional, Tuple

import numpy as np

from ratenet_plugin.datasets.keypoints import (COCO18_LIMBS, NUM_KEYPOINTS,
                                               missing_mask)
from .person_crop import FrameCrop

ROOT_JOINT = 1  # the neck
#: ``(parent, child)`` bones of the COCO-18 skeleton, parents before
#: children, rooted at the neck (the drawing's limbs form this tree).
KINEMATIC_TREE: Tuple[Tuple[int, int], ...] = COCO18_LIMBS


def _bone_lengths(keypoints: np.ndarray) -> np.ndarray:
    """``(..., B)`` lengths of :data:`KINEMATIC_TREE`'s bones, NaN where a
    joint is missing, for ``(..., 18, 2)`` keypoints."""
    parents, children = np.array(KINEMATIC_TREE).T
    lengths = np.linalg.norm(
        keypoints[..., children, :] - keypoints[..., parents, :], axis=-1)
    missing = missing_mask(keypoints)
    lengths[missing[..., parents] | missing[..., children]] = np.nan
    return lengths


def _size_ratio(source_lengths: np.ndarray,
                driving_lengths: np.ndarray) -> float:
    """Source size over driver size, over the bones both have."""
    both = ~np.isnan(source_lengths) & ~np.isnan(driving_lengths)
    driving_total = driving_lengths[both].sum()
    if not both.any() or driving_total <= 0:
        raise ValueError('the source and driving skeletons share no bone '
                         '(with both joints present); cannot compare their '
                         'sizes')
    return float(source_lengths[both].sum() / driving_total)


def retarget_sequence(driving: np.ndarray,
                      source: np.ndarray,
                      reference: Optional[np.ndarray] = None,
                      crop: Optional[FrameCrop] = None) -> np.ndarray:
    """Rebuild each driving pose on the source's skeleton.

    Args:
        driving (np.ndarray): ``(T, 18, 2)`` ``(x, y)`` driving keypoints,
            COCO-18 order, ``-1`` for missing joints (any frame size).
        source (np.ndarray): ``(18, 2)`` keypoints of the source person,
            in the pixels the result should be in (the source photo's).
        reference (np.ndarray, optional): ``(18, 2)`` driving keypoints that
            pair with the source's bone lengths and neck position; by default
            the median bone lengths and the first neck of ``driving``.
        crop (FrameCrop, optional): The source's window into the model's
            frame. Given, the result is in that frame, and a joint placed
            left of or above the source photo (a raised arm the photo cuts
            off) is kept wherever the window holds it; without it such a
            joint's negative coordinate would read as missing.

    Returns:
        np.ndarray: ``float32 (T, 18, 2)`` in the source's pixels, or in
        ``crop``'s frame. A joint is missing (``-1``) where it, or a joint on
        its path to the neck, is missing in the driving frame (or where it
        falls outside ``crop``'s frame); a frame without a neck is all
        missing.

    Raises:
        ValueError: if the source has no neck (its root) or shares no bone
            with the driver.
    """
    driving = np.asarray(driving, np.float32)
    source = np.asarray(source, np.float32)
    if driving.ndim != 3 or driving.shape[1:] != (NUM_KEYPOINTS, 2):
        raise ValueError('driving keypoints must be (T, 18, 2), got shape '
                         f'{driving.shape}')
    if source.shape != (NUM_KEYPOINTS, 2):
        raise ValueError(
            f'source keypoints must be (18, 2), got shape {source.shape}')
    if missing_mask(source)[ROOT_JOINT]:
        raise ValueError('the source skeleton has no neck (joint 1, or both '
                         'shoulders): cannot anchor the retargeted poses')
    out = np.full_like(driving, -1)
    necks = driving[~missing_mask(driving)[:, ROOT_JOINT], ROOT_JOINT]
    if not len(necks):
        return out
    if reference is None:
        lengths = _bone_lengths(driving)  # (T, B)
        with warnings.catch_warnings():  # a bone never seen stays NaN
            warnings.simplefilter('ignore', RuntimeWarning)
            reference_lengths = np.nanmedian(lengths, axis=0)
        reference_neck = necks[0]
    else:
        reference = np.asarray(reference, np.float32)
        if missing_mask(reference)[ROOT_JOINT]:
            raise ValueError('the reference driving pose has no neck')
        reference_lengths = _bone_lengths(reference)
        reference_neck = reference[ROOT_JOINT]
    source_lengths = _bone_lengths(source)
    ratio = _size_ratio(source_lengths, reference_lengths)
    # Per bone: output length = driving length * gain.
    with np.errstate(divide='ignore', invalid='ignore'):  # 0-length bones
        gain = np.where(np.isnan(source_lengths), ratio,
                        source_lengths / reference_lengths)
    gain = np.where(np.isfinite(gain), gain, ratio)

    for t, frame in enumerate(driving):
        missing = missing_mask(frame)
        if missing[ROOT_JOINT]:
            continue
        placed = np.zeros(NUM_KEYPOINTS, bool)
        out[t, ROOT_JOINT] = source[ROOT_JOINT] + ratio * (
            frame[ROOT_JOINT] - reference_neck)
        placed[ROOT_JOINT] = True
        for bone, (parent, child) in enumerate(KINEMATIC_TREE):
            if placed[parent] and not missing[child]:
                out[t, child] = out[t, parent] + gain[bone] * (
                    frame[child] - frame[parent])
                placed[child] = True
        if crop is not None:
            out[t] = crop.apply_keypoints(out[t], present=placed)
    return out


def retarget_pose(driving: np.ndarray, source: np.ndarray) -> np.ndarray:
    """One driving pose on the source's skeleton: each bone with the
    driver's direction and the source's length, the neck at the source's
    neck (see :func:`retarget_sequence`).

    Args:
        driving (np.ndarray): ``(18, 2)`` driving keypoints.
        source (np.ndarray): ``(18, 2)`` source keypoints.

    Returns:
        np.ndarray: ``float32 (18, 2)`` in the source's pixels.
    """
    return retarget_sequence(np.asarray(driving)[None], source)[0]
