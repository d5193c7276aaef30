import numpy as np
import pytest

from ratenet_plugin.apis import PoseExtractor, has_person
from ratenet_plugin.datasets.keypoints import COCO18_NAMES

J = {name: i for i, name in enumerate(COCO18_NAMES)}
# Eyes and ears by OpenPose's indices (14/16 = person's right), see
# ratenet_plugin/apis/pose_extraction.py.
R_EYE, L_EYE, R_EAR, L_EAR = 14, 15, 16, 17


def test_astronaut_keypoints_are_plausible(astronaut_keypoints):
    kpts = astronaut_keypoints
    assert kpts.shape == (18, 2) and kpts.dtype == np.float32
    for joint in ('nose', 'neck', 'right_shoulder', 'left_shoulder'):
        assert (kpts[J[joint]] >= 0).all(), joint
    nose, neck = kpts[J['nose']], kpts[J['neck']]
    r_sho, l_sho = kpts[J['right_shoulder']], kpts[J['left_shoulder']]
    assert nose[1] < neck[1]
    # Frontal photo: the person's right shoulder is on the image's left.
    assert r_sho[0] < neck[0] < l_sho[0]
    np.testing.assert_allclose(neck, (r_sho + l_sho) / 2)
    shoulder_width = l_sho[0] - r_sho[0]
    for eye in (R_EYE, L_EYE):
        assert np.linalg.norm(kpts[eye] - nose) < 0.3 * shoulder_width
        assert kpts[eye, 1] < nose[1]
    assert kpts[R_EYE, 0] < nose[0] < kpts[L_EYE, 0]
    assert kpts[R_EAR, 0] < kpts[R_EYE, 0] and kpts[L_EAR, 0] > kpts[L_EYE, 0]
    # Legs are outside the 512x512 photo: reported missing, not guessed.
    for joint in ('right_knee', 'left_knee', 'right_ankle', 'left_ankle'):
        assert (kpts[J[joint]] == -1).all(), joint
    present = (kpts >= 0).all(axis=1)
    assert (kpts[present] < 512).all()


def test_no_person_gives_all_missing(extractor):
    blank = np.full((128, 96, 3), 255, np.uint8)
    kpts = extractor(blank)
    assert kpts.shape == (18, 2)
    assert (kpts == -1).all()
    assert not has_person(kpts)


def test_visibility_threshold_drops_joints(astronaut):
    with PoseExtractor(min_visibility=0.999) as strict:
        strict_kpts = strict(astronaut)
    with PoseExtractor(min_visibility=0.0) as lenient:
        lenient_kpts = lenient(astronaut)
    n_strict = int((strict_kpts >= 0).all(axis=1).sum())
    n_lenient = int((lenient_kpts >= 0).all(axis=1).sum())
    assert n_strict < n_lenient


def test_rejects_non_rgb_input(extractor):
    with pytest.raises(ValueError, match='uint8 \\(H, W, 3\\)'):
        extractor(np.zeros((32, 32), np.uint8))
