import numpy as np
import pytest

from ratenet_plugin.datasets.keypoints import (COCO18_FLIP_INDEX, COCO18_LIMBS,
                                               COCO18_NAMES, NUM_KEYPOINTS,
                                               flip_keypoints_horizontal,
                                               mediapipe_to_coco18,
                                               missing_mask, to_coco18)


def _mirror_name(name):
    if name.startswith('left_'):
        return 'right_' + name[len('left_'):]
    if name.startswith('right_'):
        return 'left_' + name[len('right_'):]
    return name


def test_names_follow_the_architecture_order():
    assert NUM_KEYPOINTS == len(COCO18_NAMES) == 18
    assert COCO18_NAMES[:8] == ('nose', 'neck', 'right_shoulder',
                                'right_elbow', 'right_wrist', 'left_shoulder',
                                'left_elbow', 'left_wrist')
    assert COCO18_NAMES[14:] == ('right_eye', 'left_eye', 'right_ear',
                                 'left_ear')  # OpenPose's meaning


def test_flip_index_maps_each_joint_to_its_mirror():
    for slot, source in enumerate(COCO18_FLIP_INDEX):
        assert COCO18_NAMES[source] == _mirror_name(COCO18_NAMES[slot])
    flip = np.array(COCO18_FLIP_INDEX)
    assert (flip[flip] == np.arange(18)).all()  # an involution


def test_limbs_name_valid_joints():
    assert all(0 <= a < 18 and 0 <= b < 18 and a != b for a, b in COCO18_LIMBS)


def test_flip_moves_left_wrist_to_right_wrist_slot_with_mirrored_x():
    keypoints = np.full((18, 2), -1, np.float32)
    keypoints[COCO18_NAMES.index('left_wrist')] = (30, 12)
    keypoints[COCO18_NAMES.index('nose')] = (5, 3)
    flipped = flip_keypoints_horizontal(keypoints, width=44)
    right_wrist = COCO18_NAMES.index('right_wrist')
    np.testing.assert_array_equal(flipped[right_wrist], (44 - 1 - 30, 12))
    np.testing.assert_array_equal(flipped[COCO18_NAMES.index('nose')],
                                  (38, 3))
    # Only those two are present; missing joints stay (-1, -1).
    assert missing_mask(flipped).sum() == 16
    assert (flipped[missing_mask(flipped)] == -1).all()
    assert (keypoints[COCO18_NAMES.index('left_wrist')] == (30, 12)).all()


def test_flip_twice_is_identity():
    rng = np.random.default_rng(0)
    keypoints = rng.integers(0, 44, (18, 2)).astype(np.float32)
    keypoints[[3, 9]] = -1
    np.testing.assert_array_equal(
        flip_keypoints_horizontal(flip_keypoints_horizontal(keypoints, 44),
                                  44), keypoints)


def test_to_coco18_neck_only_for_layouts_without_one():
    coco17 = np.arange(34, dtype=np.float32).reshape(17, 2)
    # COCO-17 shoulders: left 5 (10, 11), right 6 (12, 13).
    np.testing.assert_array_equal(
        to_coco18(coco17, None, 'coco17')[1], [11, 12])
    coco17[5] = -1  # one shoulder missing: no neck
    assert (to_coco18(coco17, None, 'coco17')[1] == -1).all()
    # COCO-18 and BODY_25 keep their own neck, also a missing one.
    coco18 = np.arange(36, dtype=np.float32).reshape(18, 2)
    confidence = np.ones(18)
    confidence[1] = 0
    converted = to_coco18(coco18, confidence, 'coco18')
    assert (converted[1] == -1).all()
    np.testing.assert_array_equal(converted[[0, 2]], coco18[[0, 2]])


def test_to_coco18_rejects_unknown_layouts_and_shapes():
    with pytest.raises(ValueError, match='unknown keypoint layout'):
        to_coco18(np.zeros((17, 2)), None, 'halpe')
    with pytest.raises(ValueError, match=r'body25 .* must be \(25, 2\)'):
        to_coco18(np.zeros((18, 2)), None, 'body25')


def test_mediapipe_landmarks_become_pixel_centres():
    """MediaPipe measures from the image's left/top edge: the centre of
    pixel i is (i + 0.5) / W. Landmarks outside the image are missing, and
    one in the outer half of an edge pixel lies on that pixel."""
    height, width = 64, 44
    landmarks = np.zeros((33, 3), np.float32)
    landmarks[:, 2] = 1.0  # all visible
    landmarks[0, :2] = (10.5 / width, 20.5 / height)  # nose: pixel (10, 20)
    landmarks[12, :2] = (0.0, 0.5)  # right shoulder on the left edge
    landmarks[11, :2] = (-0.1, 0.5)  # left shoulder outside the image
    keypoints = mediapipe_to_coco18(landmarks, (height, width), 0.5)
    np.testing.assert_allclose(keypoints[COCO18_NAMES.index('nose')],
                               (10, 20))
    np.testing.assert_allclose(
        keypoints[COCO18_NAMES.index('right_shoulder')], (0, 31.5))
    assert (keypoints[COCO18_NAMES.index('left_shoulder')] == -1).all()
