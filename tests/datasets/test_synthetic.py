import hashlib
import os

import cv2
import numpy as np
import pytest

from ratenet_plugin.datasets.keypoints import COCO18_NAMES
from ratenet_plugin.datasets.synthetic import (MARKER_FILE,
                                               ensure_synthetic_deepfashion,
                                               generate_synthetic_deepfashion,
                                               render_synthetic_motion)
from ratenet_plugin.fileio.garment_labels import (BACKGROUND, LOWER, UPPER,
                                                  read_labels)
from ratenet_plugin.fileio.patn_csv import (identity_of, read_annotation_csv,
                                            read_pairs_csv)
from tests.datasets.deepfashion_testing import SYNTHETIC


def _digests(root):
    digests = {}
    for folder, _, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            with open(path, 'rb') as f:
                digests[os.path.relpath(path, root)] = hashlib.sha1(
                    f.read()).hexdigest()
    return digests


def _read(root, split):
    rows = read_annotation_csv(
        str(root / f'fasion-resize-annotation-{split}.csv'))
    pairs = read_pairs_csv(str(root / f'fasion-resize-pairs-{split}.csv'))
    return rows, pairs


def test_layout_split_by_identity_and_pairs(synthetic_root):
    poses = SYNTHETIC['poses_per_identity']
    identities = {}
    for split, count in (('train', 3), ('test', 1)):
        rows, pairs = _read(synthetic_root, split)
        assert sorted(os.listdir(synthetic_root / split)) == sorted(
            r.name for r in rows)
        assert len(rows) == count * poses
        identities[split] = {identity_of(r.name) for r in rows}
        assert len(identities[split]) == count
        # Every ordered pair of distinct images of one identity, no other.
        assert len(pairs) == count * poses * (poses - 1)
        assert all(identity_of(p.source) == identity_of(p.target) and
                   p.source != p.target for p in pairs)
        for row in rows:
            assert row.name.startswith('fashion') and 'Synthid0000000' in \
                row.name and row.name.endswith('.jpg')
            visible = (row.keypoints >= 0).all(axis=1)
            assert visible[[1, 2, 5, 8, 11]].all()  # neck, shoulders, hips
            assert ((row.keypoints == -1).all(axis=1) | visible).all()
            assert (row.keypoints[visible] <= [43, 63]).all()
            img = cv2.imread(str(synthetic_root / split / row.name))
            assert img.shape == (64, 44, 3)
    assert not identities['train'] & identities['test']
    assert (synthetic_root / MARKER_FILE).is_file()


def test_figures_are_drawn_at_their_keypoints(synthetic_root):
    rows, _ = _read(synthetic_root, 'train')
    for row in rows:
        img = cv2.imread(str(synthetic_root / 'train' / row.name)).astype(int)
        background = img[0, 0]
        for joint in (1, 8, 11):  # neck and hips lie on the figure
            x, y = row.keypoints[joint].astype(int)
            assert np.abs(img[y, x] - background).sum() > 40, row.name


def test_right_and_left_mean_the_persons_sides_in_every_joint(
        synthetic_root):
    """COCO-18's slots (14 the right eye, 16 the right ear, as OpenPose and
    MediaPipe give them): a right eye or ear lies on the right shoulder's
    side of the left one, in front and back views alike."""
    index = {name: COCO18_NAMES.index(name) for name in COCO18_NAMES}
    checked = 0
    for split in ('train', 'test'):
        rows, _ = _read(synthetic_root, split)
        for row in rows:
            kpts = row.keypoints
            shoulders = np.sign(kpts[index['right_shoulder'], 0] -
                                kpts[index['left_shoulder'], 0])
            for part in ('eye', 'ear'):
                right, left = (kpts[index[f'{side}_{part}']]
                               for side in ('right', 'left'))
                if (right >= 0).all() and (left >= 0).all():
                    assert np.sign(right[0] - left[0]) == shoulders, row.name
                    checked += 1
    assert checked >= 4


def test_garment_labels_mark_each_garment(synthetic_root):
    for split in ('train', 'test'):
        rows, _ = _read(synthetic_root, split)
        # Only images in the image folder; labels in their own.
        assert sorted(os.listdir(synthetic_root / f'{split}_labels')) == sorted(
            os.path.splitext(r.name)[0] + '.png' for r in rows)
        for row in rows:
            image_path = str(synthetic_root / split / row.name)
            labels = read_labels(image_path)
            img = cv2.imread(image_path).astype(int)
            assert labels.shape == img.shape[:2]
            assert labels[0, 0] == BACKGROUND
            # The middle of the torso (between neck and hips) is upper
            # garment; the hips lie on the lower garment or the upper's hem.
            neck, hip = row.keypoints[1], row.keypoints[[8, 11]].mean(axis=0)
            x, y = ((neck + hip) / 2).round().astype(int)
            assert labels[y, x] == UPPER, row.name
            assert (labels == LOWER).sum() > 0 or \
                (row.keypoints[[9, 12]] == -1).all(), row.name
            # Background pixels look like the background (but for the
            # anti-aliased outline and JPEG ringing near it).
            background = np.abs(img[labels == BACKGROUND] - img[0, 0])
            assert np.median(background.max(axis=1)) < 6, row.name


def test_identities_wear_textures(tmp_path):
    # At full size, the torso of textured garments is full of edges.
    generate_synthetic_deepfashion(str(tmp_path), num_identities=6,
                                   poses_per_identity=2,
                                   num_test_identities=0, seed=0,
                                   image_format='png')
    rows, _ = _read(tmp_path, 'train')
    energies = []
    for row in rows:
        img = cv2.imread(str(tmp_path / 'train' / row.name), 0).astype(float)
        neck, hip = row.keypoints[1], row.keypoints[8]
        y0, y1 = int(neck[1]) + 10, int(hip[1]) - 10
        x0 = int(neck[0]) - 10
        patch = img[y0:y1, x0:x0 + 20]
        energies.append(np.abs(cv2.Laplacian(patch, cv2.CV_64F)).mean())
    energies = np.array(energies).reshape(6, 2)
    assert (energies.max(axis=1) > 20).sum() >= 3  # several textured ids
    assert (energies.min(axis=1) < 5).any()  # and some plain ones


def test_deterministic_for_a_seed(tmp_path, synthetic_root):
    generate_synthetic_deepfashion(str(tmp_path / 'again'), **SYNTHETIC)
    assert _digests(tmp_path / 'again') == _digests(synthetic_root)
    other = dict(SYNTHETIC, seed=SYNTHETIC['seed'] + 1)
    generate_synthetic_deepfashion(str(tmp_path / 'other'), **other)
    differing = [
        k for k, v in _digests(tmp_path / 'other').items()
        if _digests(synthetic_root).get(k) != v
    ]
    assert len(differing) > 10
    # Identity i is the same whatever the number of identities.
    fewer = dict(SYNTHETIC, num_identities=2, num_test_identities=0)
    generate_synthetic_deepfashion(str(tmp_path / 'fewer'), **fewer)
    fewer_digests = _digests(tmp_path / 'fewer')
    images = [k for k in fewer_digests if k.startswith('train' + os.sep)]
    assert len(images) == 6
    assert all(fewer_digests[k] == _digests(synthetic_root)[k] for k in images)


def test_any_size_and_png(tmp_path):
    summary = generate_synthetic_deepfashion(
        str(tmp_path), num_identities=2, poses_per_identity=2,
        num_test_identities=1, height=32, width=22, image_format='png')
    assert summary['num_images_train'] == summary['num_images_test'] == 2
    assert summary['num_pairs_train'] == 2
    rows, _ = _read(tmp_path, 'test')
    img = cv2.imread(str(tmp_path / 'test' / rows[0].name))
    assert rows[0].name.endswith('.png') and img.shape == (32, 22, 3)


@pytest.mark.parametrize('kwargs, message', [
    (dict(poses_per_identity=1), 'poses_per_identity'),
    (dict(num_test_identities=11), 'num_test_identities'),
    (dict(height=8), 'at least 16x16'),
    (dict(image_format='gif'), 'image_format'),
])
def test_invalid_arguments(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        generate_synthetic_deepfashion(str(tmp_path), **kwargs)


def test_ensure_uses_an_existing_empty_folder_and_rejects_typos(tmp_path):
    root = tmp_path / 'set'
    root.mkdir()
    ensure_synthetic_deepfashion(str(root), num_identities=2,
                                 poses_per_identity=2, num_test_identities=1,
                                 height=32, width=22)
    assert (root / 'fasion-resize-pairs-train.csv').is_file()
    assert [p for p in os.listdir(tmp_path) if p != 'set'] == []
    with pytest.raises(TypeError, match='num_identitys'):
        ensure_synthetic_deepfashion(str(tmp_path / 'b'), num_identitys=2)


def test_ensure_keeps_a_folder_that_is_not_synthetic(tmp_path, mmlogs):
    root = tmp_path / 'real'
    root.mkdir()
    (root / 'fasion-resize-pairs-train.csv').write_text('from,to\n')
    ensure_synthetic_deepfashion(str(root))
    assert os.listdir(root) == ['fasion-resize-pairs-train.csv']
    assert any('is not a synthetic set; using it as is' in m for m in mmlogs)


def test_motion_moves_one_person_smoothly_and_loops():
    frames, keypoints = render_synthetic_motion(8, identity=1, height=64,
                                                width=44)
    assert frames.shape == (8, 64, 44, 3) and frames.dtype == np.uint8
    assert keypoints.shape == (8, 18, 2)
    # Front view, full body: every joint inside the frame.
    assert (keypoints >= 0).all()
    steps = np.abs(np.diff(keypoints, axis=0)).max(axis=(1, 2))
    assert 0 < steps.max() < 10  # pixels per frame at 64 px
    # Cosine easing: the last frame leads back to the first.
    assert np.abs(keypoints[-1] - keypoints[0]).max() < steps.max()
    # Same background every frame; the figure is drawn at the neck.
    np.testing.assert_array_equal(frames[:, 0, 0], frames[:1, 0, 0].repeat(
        8, axis=0))
    for frame, kpts in zip(frames, keypoints):
        x, y = kpts[1].astype(int)
        assert np.abs(frame[y, x].astype(int) - frame[0, 0]).sum() > 40
    with pytest.raises(ValueError, match='num_frames'):
        render_synthetic_motion(1)
