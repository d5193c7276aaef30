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


THREADS_DRIVER = '''
import sys, threading
import numpy as np
from skimage import data
sys.path.insert(0, sys.argv[1])
from ratenet_plugin.apis import PoseExtractor

photo = data.astronaut()
small = np.ascontiguousarray(photo[::2, ::2])
results = {}
with PoseExtractor() as extractor:
    def work(name, image):
        results[name] = [extractor(image) for _ in range(15)]
    threads = [threading.Thread(target=work, args=(name, image))
               for name, image in (('big', photo), ('small', small))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    alone = {'big': extractor(photo), 'small': extractor(small)}
for name, found in results.items():
    assert len(found) == 15
    assert all(np.array_equal(k, alone[name]) for k in found), name
print('ok')
'''


def test_one_extractor_serves_two_threads(tmp_path):
    """Two users of the web app extract poses at once through the
    inferencer's one extractor: MediaPipe's graph crashed the process
    (segfault) when fed from two threads. In a child process, so that a
    crash fails this test and not the whole run."""
    import subprocess
    import sys
    from pathlib import Path

    driver = tmp_path / 'threads.py'
    driver.write_text(THREADS_DRIVER)
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, str(driver), str(root)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith('ok')


def test_a_joint_with_any_negative_coordinate_is_missing_everywhere():
    """One rule (datasets/keypoints.missing_mask) for every reader: a pose
    whose only joint is (5, -3) has no person, draws nothing, crops to
    nothing."""
    from ratenet_plugin.apis.pose_drawing import draw_pose
    from ratenet_plugin.apis.person_crop import person_crop
    keypoints = np.full((18, 2), -1.0, np.float32)
    keypoints[1] = (5, -3)
    assert not has_person(keypoints)
    assert (draw_pose(keypoints, (16, 12)) == 255).all()
    keypoints[1] = (5, 3)
    assert has_person(keypoints)
    keypoints[1] = (-5, 3)
    with pytest.raises(ValueError, match='without keypoints'):
        person_crop(keypoints, (16, 12))
