import json

import numpy as np
import pytest

from ratenet_plugin.fileio.keypoint_json import (EmptyPoseError,
                                                 KeypointFormatError,
                                                 keypoints_from_dict,
                                                 keypoints_to_coco18,
                                                 keypoints_to_openpose,
                                                 read_keypoint_json,
                                                 write_keypoint_json)
from ratenet_plugin.fileio.text_file import TextEncodingError

M = [-1, -1]  # a missing joint


@pytest.fixture
def keypoints() -> np.ndarray:
    rng = np.random.default_rng(0)
    kpts = rng.uniform(0, 170, size=(18, 2)).astype(np.float32)
    kpts[[4, 10, 17]] = -1
    return kpts


@pytest.mark.parametrize('fmt', ['coco18', 'openpose'])
def test_json_round_trip(tmp_path, keypoints, fmt):
    path = str(tmp_path / 'pose.json')
    write_keypoint_json(path, keypoints, (256, 176), fmt=fmt)
    pose = read_keypoint_json(path)
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


def test_openpose_body25_hand_checked():
    # BODY_25 joint j at (10 j, 10 j + 1); LEar (18) not found (c = 0).
    body25 = [[10 * j, 10 * j + 1, 0.5] for j in range(25)]
    body25[18][2] = 0.0
    doc = {'people': [{'pose_keypoints_2d': sum(body25, [])}]}
    pose = keypoints_from_dict(doc)
    # COCO-18 0-7 are BODY_25 0-7; 8-17 are BODY_25 9-18 (MidHip 8 and the
    # feet 19-24 dropped).
    expected = [[0, 1], [10, 11], [20, 21], [30, 31], [40, 41], [50, 51],
                [60, 61], [70, 71], [90, 91], [100, 101], [110, 111],
                [120, 121], [130, 131], [140, 141], [150, 151], [160, 161],
                [170, 171], M]
    np.testing.assert_array_equal(pose.keypoints, expected)
    assert pose.image_size is None


# COCO-17 order: nose, L/R eye, L/R ear, L/R shoulder, elbow, wrist, hip,
# knee, ankle.
COCO17 = [[50, 10], [53, 8], [47, 8], [56, 9], [44, 9], [60, 25], [40, 25],
          [65, 40], [35, 40], [68, 55], [32, 55], [56, 60], [44, 60],
          [57, 80], [43, 80], [58, 99], [42, 99]]
COCO17_SCORES = [0.9] * 15 + [0.2, 0.9]  # left ankle below MMPose's 0.3
# The same person in COCO-18 (right side first, neck = shoulder midpoint).
COCO17_AS_COCO18 = [[50, 10], [50, 25], [40, 25], [35, 40], [32, 55],
                    [60, 25], [65, 40], [68, 55], [44, 60], [43, 80],
                    [42, 99], [56, 60], [57, 80], M, [47, 8], [53, 8],
                    [44, 9], [56, 9]]


@pytest.mark.parametrize('doc', [
    [{'keypoints': COCO17, 'keypoint_scores': COCO17_SCORES,
      'bbox': [[30, 5, 70, 100]]}],  # MMPose inferencer predictions
    {'meta_info': {}, 'instance_info': [
        {'keypoints': COCO17, 'keypoint_scores': COCO17_SCORES}]},  # demos
    [{'image_id': 1, 'category_id': 1, 'score': 0.8,  # COCO results
      'keypoints': sum([[x, y, s] for (x, y), s in zip(COCO17,
                                                      COCO17_SCORES)], [])}],
])
def test_mmpose_coco17_hand_checked(doc):
    pose = keypoints_from_dict(doc)
    np.testing.assert_array_equal(pose.keypoints, COCO17_AS_COCO18)


# COCO's visibility: 0 not labelled, 1 labelled but hidden, 2 visible.
COCO17_TRIPLETS = sum([[x, y, 0 if i == 15 else 2]
                       for i, (x, y) in enumerate(COCO17)], [])


@pytest.mark.parametrize('doc, image_size', [
    # An annotation file (e.g. exported by an annotation tool): the second
    # annotation is a box without keypoints, the image gives the size.
    ({'images': [{'id': 7, 'height': 120, 'width': 80, 'file_name': 'a'}],
      'annotations': [{'id': 1, 'image_id': 7, 'bbox': [0, 0, 5, 5]},
                      {'id': 2, 'image_id': 7, 'num_keypoints': 16,
                       'keypoints': COCO17_TRIPLETS}],
      'categories': [{'id': 1, 'name': 'person'}]}, (120, 80)),
    # One annotation object on its own.
    ({'image_id': 7, 'keypoints': COCO17_TRIPLETS}, None),
    # An image entry without (integer) sizes: the size stays unknown.
    ({'images': [{'id': 7, 'height': 120.0}],
      'annotations': [{'image_id': 7, 'keypoints': COCO17_TRIPLETS}]}, None),
])
def test_coco_annotation_files_and_objects(doc, image_size):
    pose = keypoints_from_dict(doc)
    np.testing.assert_array_equal(pose.keypoints, COCO17_AS_COCO18)
    assert pose.image_size == image_size


def test_a_coco_file_without_keypoints_is_named():
    doc = {'images': [], 'annotations': [{'bbox': [0, 0, 5, 5]}]}
    with pytest.raises(KeypointFormatError, match='x.json: a COCO file whose '
                       'annotations have no "keypoints"'):
        keypoints_from_dict(doc, 'x.json')


def test_mmpose_wholebody_uses_its_first_17_joints():
    doc = [{'keypoints': COCO17 + [[1, 1]] * 116,
            'keypoint_scores': COCO17_SCORES + [1.0] * 116}]
    np.testing.assert_array_equal(
        keypoints_from_dict(doc).keypoints, COCO17_AS_COCO18)


def test_mediapipe33_hand_checked():
    # Landmark k at the centre of pixel (k, k) of a 100x50 (HxW) image
    # (MediaPipe measures from the edge); left ear (7) barely visible, left
    # ankle (27) guessed outside the image; the nose's x = 0, on the edge.
    landmarks = [dict(x=(k + 0.5) / 50, y=(k + 0.5) / 100, z=0.0,
                      visibility=0.9) for k in range(33)]
    landmarks[7]['visibility'] = 0.4
    landmarks[27]['x'] = 1.2
    del landmarks[0]['x']  # protobuf's JSON leaves out zeros
    doc = dict(format='mediapipe33', image_size=[100, 50],
               landmarks=landmarks)
    pose = keypoints_from_dict(doc)
    expected = [[0, 0], [11.5, 11.5], [12, 12], [14, 14], [16, 16], [11, 11],
                [13, 13], [15, 15], [24, 24], [26, 26], [28, 28], [23, 23],
                [25, 25], M, [5, 5], [2, 2], [8, 8], M]
    np.testing.assert_allclose(pose.keypoints, expected, atol=1e-4)
    assert pose.image_size == (100, 50)


def test_min_confidence_overrides_the_format_default():
    doc = [{'keypoints': COCO17, 'keypoint_scores': COCO17_SCORES}]
    pose = keypoints_from_dict(doc, min_confidence=0.1)
    np.testing.assert_array_equal(pose.keypoints[13], [58, 99])


def test_openpose_second_person(keypoints):
    other = keypoints_to_openpose(keypoints + 1)['people'][0]
    doc = keypoints_to_openpose(keypoints)
    doc['people'].append(other)
    pose = keypoints_from_dict(doc, person=1)
    present = keypoints[:, 0] >= 0
    np.testing.assert_allclose(pose.keypoints[present], keypoints[present] + 1)


def test_all_zero_confidences_name_the_json(tmp_path):
    path = tmp_path / 'frame_0007_keypoints.json'
    path.write_text(json.dumps(
        {'people': [{'pose_keypoints_2d': [12.0, 30.0, 0.0] * 25}]}))
    with pytest.raises(EmptyPoseError,
                       match=f'{path}: person 0 has no joint present'):
        read_keypoint_json(str(path))
    path.write_text('{"people": []}')
    with pytest.raises(EmptyPoseError, match=f'{path}: the file lists no'):
        read_keypoint_json(str(path))


@pytest.mark.parametrize('content, message', [
    ('{"format": "coco18", "keypoints": [[1, 2]]}', 'shape \\(1, 2\\)'),
    ('{"format": "coco18"}', 'no "keypoints"'),
    ('{"format": "coco18", "keypoints": [["a", 1]]}', 'not numbers'),
    ('{"format": "coco18", "image_size": [256], "keypoints": []}',
     'image_size'),
    ('{"people": [{"pose_keypoints_2d": [1, 2, 3, 4]}]}', 'triplets'),
    ('{"people": [{"pose_keypoints_2d": [1, 2, 3]}]}', '1 joints'),
    ('{"people": [{"face_keypoints_2d": []}]}', 'no "pose_keypoints_2d"'),
    ('{"people": [{"pose_keypoints_2d": []}]}', '1 people, person 1'),
    ('[{"keypoints": [[1, 2]]}]', 'shape \\(1, 2\\)'),
    ('[{"frame_id": 1, "instances": []}]', 'video'),
    ('{"format": "mediapipe33", "landmarks": []}', 'needs "image_size"'),
    ('{"format": "mediapipe33", "image_size": [9, 9], "landmarks": []}',
     '33 objects'),
    ('{"points": []}', 'unknown keypoint format'),
    ('"text"', 'unknown keypoint format'),
    ('{"format": "coco18", "keypoints": [', 'not valid JSON'),
])
def test_malformed_json_names_file_and_problem(tmp_path, content, message):
    path = tmp_path / 'bad_pose.json'
    path.write_text(content)
    person = 1 if 'person 1' in message else 0
    with pytest.raises(KeypointFormatError, match=message) as info:
        read_keypoint_json(str(path), person=person)
    assert str(info.value).startswith(str(path))


def test_latin1_json_names_file_and_offset(tmp_path):
    path = tmp_path / 'pose.json'
    path.write_bytes('{"format": "coco18",\n "person": "Ren\xe9e"}'.encode(
        'latin-1'))
    with pytest.raises(TextEncodingError,
                       match=f'{path}, line 2: not UTF-8 text \\(byte 0xe9 '
                       'at offset 36\\)'):
        read_keypoint_json(str(path))


def test_missing_json_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='absent.json'):
        read_keypoint_json(str(tmp_path / 'absent.json'))
