import numpy as np
import pytest

from ratenet_plugin.apis.person_crop import FrameCrop
from ratenet_plugin.apis.pose_retargeting import (KINEMATIC_TREE,
                                                  retarget_pose,
                                                  retarget_sequence)
from ratenet_plugin.datasets.keypoints import missing_mask

# A standing COCO-18 skeleton in a 256x176 frame (the source person).
SOURCE = np.array(
    [[88, 30], [88, 55], [68, 56], [60, 95], [58, 130], [108, 56],
     [116, 95], [118, 130], [76, 130], [74, 180], [72, 230], [100, 130],
     [102, 180], [104, 230], [84, 26], [92, 26], [80, 28], [96, 28]],
    np.float32)


def bones(keypoints: np.ndarray) -> np.ndarray:
    """(B, 2) bone vectors of the kinematic tree."""
    return np.array([keypoints[c] - keypoints[p] for p, c in KINEMATIC_TREE])


def other_person(seed: int = 0) -> np.ndarray:
    """A bigger person elsewhere in another posture: the source scaled by
    1.7, moved, every joint displaced by ~10 px (new bone directions and
    proportions)."""
    rng = np.random.default_rng(seed)
    return (SOURCE * 1.7 + (300, 40) +
            rng.normal(0, 10, SOURCE.shape)).astype(np.float32)


def test_bones_take_source_lengths_and_driver_directions():
    driver = other_person()
    out = retarget_pose(driver, SOURCE)
    out_bones, src_bones, drv_bones = bones(out), bones(SOURCE), bones(driver)
    np.testing.assert_allclose(
        np.linalg.norm(out_bones, axis=1), np.linalg.norm(src_bones, axis=1),
        rtol=1e-5)
    unit = lambda v: v / np.linalg.norm(v, axis=1, keepdims=True)  # noqa
    np.testing.assert_allclose(unit(out_bones), unit(drv_bones), atol=1e-5)
    # Anchored at the source's neck, so on the source's scale and place.
    np.testing.assert_allclose(out[1], SOURCE[1])
    assert np.ptp(out[:, 1]) == pytest.approx(np.ptp(SOURCE[:, 1]), rel=0.1)


def test_sequence_follows_the_driver_relative_to_its_first_frame():
    first = other_person()
    # The driver steps right by 34 px (20 source px at the 1.7 ratio) and
    # its forearm (elbow 3 -> wrist 4) shrinks to half (pointing at the
    # camera).
    second = first + (34, 0)
    second[4] = second[3] + 0.5 * (first[4] - first[3])
    out = retarget_sequence(np.stack([first, second]), SOURCE)
    np.testing.assert_allclose(out[0, 1], SOURCE[1])
    # Sizes compare the source with the driver's median bones (forearm:
    # 3/4 of the first frame's).
    median = np.linalg.norm(bones(first), axis=1)
    median[KINEMATIC_TREE.index((3, 4))] *= 0.75
    ratio = np.linalg.norm(bones(SOURCE), axis=1).sum() / median.sum()
    np.testing.assert_allclose(out[1, 1], SOURCE[1] + (34 * ratio, 0),
                               rtol=1e-5)
    forearm = [np.linalg.norm(o[4] - o[3]) for o in out]
    # Median reference of the two lengths: 4/3 and 2/3 of the source's.
    source_forearm = np.linalg.norm(SOURCE[4] - SOURCE[3])
    np.testing.assert_allclose(forearm, [source_forearm * 4 / 3,
                                         source_forearm * 2 / 3], rtol=1e-5)


def test_missing_joints():
    driver = other_person()
    driver[3] = -1  # right elbow: the wrist below it cannot be placed
    source = SOURCE.copy()
    source[9:11] = -1  # the source photo shows no right knee and ankle
    out = retarget_pose(driver, source)
    assert (out[[3, 4]] == -1).all()
    assert (out[[0, 2, 5, 9, 10]] >= 0).all()
    # The source's missing shin takes the driver's, scaled by the ratio of
    # the sizes over the bones both have.
    both = [b for b, (p, c) in enumerate(KINEMATIC_TREE)
            if {p, c}.isdisjoint({3, 4, 9, 10})]
    ratio = (np.linalg.norm(bones(source)[both], axis=1).sum() /
             np.linalg.norm(bones(driver)[both], axis=1).sum())
    assert np.linalg.norm(out[10] - out[9]) == pytest.approx(
        np.linalg.norm(driver[10] - driver[9]) * ratio, rel=1e-5)
    no_neck = other_person()
    no_neck[1] = -1
    assert (retarget_pose(no_neck, SOURCE) == -1).all()
    with pytest.raises(ValueError, match='source skeleton has no neck'):
        retarget_pose(other_person(), no_neck)


def test_joints_above_the_photo_stay_in_the_frame():
    """A raised arm retargeted onto a photo that cuts it off: the wrist lies
    above the photo (negative y), yet inside the source's window, and must
    reach the model's frame there, not read as missing."""
    driver = SOURCE + (0, 100)  # the driver's photo shows the raised arm
    driver[3] = driver[2] + (0, -40)  # right elbow straight up
    driver[4] = driver[3] + (0, -35)  # right wrist above the head
    crop = FrameCrop(-30, -60, 236, 344, (64, 44))
    uncut = retarget_pose(driver, SOURCE)
    # The wrist lands above the source photo, where a negative coordinate
    # reads as missing.
    assert -30 < uncut[4, 1] < -10 and missing_mask(uncut)[4]
    framed = retarget_sequence(driver[None], SOURCE, crop=crop)[0]
    expected = (uncut - (crop.x0, crop.y0) + 0.5) * crop.scale_xy - 0.5
    np.testing.assert_allclose(framed, expected, rtol=1e-5)
    assert (framed >= 0).all()
    # Without a crop the joints are in the photo's pixels, as before.
    np.testing.assert_allclose(
        retarget_sequence(driver[None], SOURCE)[0], uncut)
