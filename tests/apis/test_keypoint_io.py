import json

import numpy as np
import pytest

from ratenet_plugin.apis import (KeypointFormatError, format_patn_row,
                                 keypoints_from_dict, keypoints_to_coco18,
                                 keypoints_to_openpose, load_keypoints_json,
                                 parse_patn_row, read_patn_annotation,
                                 save_keypoints_json)
from ratenet_plugin.apis.keypoint_io import BODY25_TO_COCO18


@pytest.fixture
def keypoints() -> np.ndarray:
    rng = np.random.default_rng(0)
    kpts = rng.uniform(0, 170, size=(18, 2)).astype(np.float32)
    kpts[[4, 10, 17]] = -1
    return kpts


@pytest.mark.parametrize('fmt', ['coco18', 'openpose'])
def test_json_round_trip(tmp_path, keypoints, fmt):
    path = str(tmp_path / 'pose.json')
    save_keypoints_json(path, keypoints, (256, 176), fmt=fmt)
    pose = load_keypoints_json(path)
    np.testing.assert_allclose(pose.keypoints, keypoints, atol=1e-4)
    assert pose.keypoints.dtype == np.float32
    # OpenPose files carry no image size.
    assert pose.image_size == ((256, 176) if fmt == 'coco18' else None)


def test_coco18_document_layout(keypoints):
    doc = keypoints_to_coco18(keypoints, (256, 176))
    assert doc['format'] == 'coco18' and doc['image_size'] == [256, 176]
    assert len(doc['keypoints']) == 18 and doc['keypoints'][4] == [-1, -1]
    json.dumps(doc)


def test_openpose_missing_joints_use_zero_confidence(keypoints):
    flat = keypoints_to_openpose(keypoints)['people'][0]['pose_keypoints_2d']
    assert len(flat) == 54
    assert flat[4 * 3:4 * 3 + 3] == [0.0, 0.0, 0.0]
    assert flat[0 * 3 + 2] == 1.0


def test_openpose_body25_is_remapped(keypoints):
    body25 = np.zeros((25, 3), np.float32)
    for coco_index, body25_index in enumerate(BODY25_TO_COCO18):
        if keypoints[coco_index, 0] >= 0:
            body25[body25_index] = (*keypoints[coco_index], 0.9)
    body25[8] = (50, 60, 0.9)  # MidHip: not a COCO-18 joint
    body25[19:] = (1, 2, 0.9)  # feet
    doc = {'people': [{'pose_keypoints_2d': body25.ravel().tolist()}]}
    pose = keypoints_from_dict(doc)
    np.testing.assert_allclose(pose.keypoints, keypoints, atol=1e-4)
    # Right hip (COCO 8) is BODY_25 9, not MidHip.
    np.testing.assert_allclose(pose.keypoints[8], keypoints[8], atol=1e-4)


def test_openpose_second_person(keypoints):
    other = keypoints_to_openpose(keypoints + 1)['people'][0]
    doc = keypoints_to_openpose(keypoints)
    doc['people'].append(other)
    pose = keypoints_from_dict(doc, person=1)
    present = keypoints[:, 0] >= 0
    np.testing.assert_allclose(pose.keypoints[present], keypoints[present] + 1)


@pytest.mark.parametrize('content, message', [
    ('{"format": "coco18", "keypoints": [[1, 2]]}', 'shape \\(1, 2\\)'),
    ('{"format": "coco18"}', 'no "keypoints"'),
    ('{"format": "coco18", "keypoints": [["a", 1]]}', 'not numbers'),
    ('{"format": "coco18", "image_size": [256], "keypoints": []}',
     'image_size'),
    ('{"people": []}', '0 people'),
    ('{"people": [{"pose_keypoints_2d": [1, 2, 3, 4]}]}', 'triplets'),
    ('{"people": [{"pose_keypoints_2d": [1, 2, 3]}]}', '1 joints'),
    ('{"people": [{"face_keypoints_2d": []}]}', 'no "pose_keypoints_2d"'),
    ('{"points": []}', 'unknown keypoint format'),
    ('[1, 2]', 'expected a JSON object'),
    ('{"format": "coco18", "keypoints": [', 'not valid JSON'),
])
def test_malformed_json_names_file_and_problem(tmp_path, content, message):
    path = tmp_path / 'bad_pose.json'
    path.write_text(content)
    with pytest.raises(KeypointFormatError, match=message) as info:
        load_keypoints_json(str(path))
    assert 'bad_pose.json' in str(info.value)


def test_missing_json_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='absent.json'):
        load_keypoints_json(str(tmp_path / 'absent.json'))


def test_patn_row_round_trip(keypoints):
    row = format_patn_row('fashionWOMENid0000001_1front.jpg', keypoints)
    name, parsed = parse_patn_row(row)
    assert name == 'fashionWOMENid0000001_1front.jpg'
    np.testing.assert_allclose(parsed, np.where(keypoints < 0, -1,
                                                np.rint(keypoints)))
    # y list first, x list second.
    assert row.split(':')[1].strip().startswith(f'[{int(parsed[0, 1])},')


def test_patn_row_parses_real_file_spacing():
    ys = list(range(10, 28))
    xs = list(range(100, 118))
    xs[3] = -1
    row = f'a.jpg:{ys}:  {xs}  \n'.replace(' ', '')
    name, kpts = parse_patn_row(row)
    assert name == 'a.jpg'
    assert kpts[0].tolist() == [100, 10]
    assert kpts[3].tolist() == [-1, -1]


@pytest.mark.parametrize('row, message', [
    ('a.jpg: [1, 2]', 'expected "name'),
    ('a.jpg: [1, 2]: [3, 4]', 'expected 18 y and 18 x'),
    ('a.jpg: 1, 2: [3, 4]', 'expected a list'),
    ('a.jpg: [1, x]: [3, 4]', 'non-numeric'),
])
def test_malformed_patn_row(row, message):
    with pytest.raises(KeypointFormatError, match=message):
        parse_patn_row(row)


def test_read_patn_annotation(tmp_path, keypoints):
    path = tmp_path / 'annotation.csv'
    path.write_text('name:keypoints_y:keypoints_x\n'
                    + format_patn_row('a.jpg', keypoints + 1) + '\n'
                    + format_patn_row('b.jpg', keypoints) + '\n')
    kpts = read_patn_annotation(str(path), 'b.jpg')
    np.testing.assert_allclose(kpts, np.where(keypoints < 0, -1,
                                              np.rint(keypoints)))
    with pytest.raises(KeyError, match='c.jpg'):
        read_patn_annotation(str(path), 'c.jpg')
