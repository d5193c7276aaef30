"""The web app's behaviour without a browser: what each click answers."""
import json
import os
import os.path as osp
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from ratenet_plugin.apis import RATENetInferencer
from ratenet_plugin.apis.web_app import (
    GALLERY_HEIGHT, POSE_FROM_GALLERY, POSE_FROM_JSON, POSE_FROM_PHOTO,
    SEQUENCE_FROM_EXAMPLE, SEQUENCE_FROM_UPLOAD, PoseTransferApp,
    newest_checkpoint, no_checkpoint_message)
from ratenet_plugin.fileio.keypoint_json import write_keypoint_json
from ratenet_plugin.fileio.video import write_animation

EXAMPLES = Path(__file__).resolve().parents[2] / 'demo' / 'examples'
RESULT_SIZE = (32, 22)  # the tiny config's frame (H, W)


@pytest.fixture(scope='module')
def app(tiny_model_files):
    config, checkpoint = tiny_model_files
    inferencer = RATENetInferencer(config, checkpoint)
    yield PoseTransferApp(inferencer, str(EXAMPLES))
    inferencer.close()


@pytest.fixture(scope='module')
def uploads(tmp_path_factory, astronaut) -> dict:
    """Files as a browser would upload them (any name, any folder)."""
    folder = tmp_path_factory.mktemp('uploads')
    files = dict(
        photo=folder / 'me.png', empty=folder / 'wall.png',
        text=folder / 'notes.txt', pose=folder / 'pose.json',
        broken=folder / 'broken.json', no_joints=folder / 'nobody.json')
    cv2.imwrite(str(files['photo']), astronaut[..., ::-1])
    cv2.imwrite(str(files['empty']), np.full((80, 60, 3), 230, np.uint8))
    files['text'].write_text('not a photo\n')
    pose = np.array(json.loads(
        (EXAMPLES / 'poses' / '1_back.json').read_text())['keypoints'])
    write_keypoint_json(str(files['pose']), pose, (256, 176), fmt='openpose')
    files['broken'].write_text('{"format": "coco18", "keypoints": [[1, 2],')
    write_keypoint_json(str(files['no_joints']), np.full((18, 2), -1.),
                        (256, 176))
    return {key: str(path) for key, path in files.items()}


def assert_result(answer, height_width=RESULT_SIZE):
    assert answer.result.shape == height_width + (3, ), answer.message
    assert answer.result.dtype == np.uint8
    # source | target pose | result, 4-pixel gaps
    assert answer.panel.shape == (height_width[0],
                                  3 * height_width[1] + 8, 3)
    assert answer.message.startswith('Done')


def test_bundled_examples_and_gallery(app):
    names = [osp.basename(path) for path in app.example_photos]
    assert names == ['astronaut.jpg', 'synthetic_1.png', 'synthetic_2.png']
    assert len(app.gallery) == 6
    for drawing, caption in app.gallery_items():
        assert drawing.shape[0] == GALLERY_HEIGHT and drawing.dtype == np.uint8
        assert (drawing < 255).any(), f'{caption}: nothing drawn'
        assert caption[0].isdigit()


def test_example_person_with_its_bundled_keypoints_to_gallery_pose(app):
    # MediaPipe sees no person in the synthetic figures: the keypoints
    # bundled with this exact image are used.
    example = [p for p in app.example_photos if 'synthetic_1' in p][0]
    answer = app.generate(example, POSE_FROM_GALLERY, gallery_index=2)
    assert_result(answer)
    # The chosen gallery pose and the bundled keypoints, as the inferencer
    # generates them; another gallery pose gives another picture.
    expected = app.inferencer(
        example, app.gallery[2].pose,
        source_pose=example.replace('.png', '.json'))['predictions'][0]
    np.testing.assert_array_equal(answer.result, expected['result'])
    other = app.generate(example, POSE_FROM_GALLERY, gallery_index=0)
    assert not np.array_equal(other.result, answer.result)


def test_uploaded_photo_to_pose_of_a_photo_and_of_a_json(app, uploads):
    assert_result(
        app.generate(uploads['photo'], POSE_FROM_PHOTO,
                     pose_photo=uploads['photo']))
    assert_result(
        app.generate(uploads['photo'], POSE_FROM_JSON,
                     pose_json=uploads['pose']))


@pytest.mark.parametrize('inputs, expected', [
    (dict(source='text', pose_from=POSE_FROM_GALLERY, gallery_index=0),
     'The source photo "notes.txt" is not an image'),
    (dict(source='empty', pose_from=POSE_FROM_GALLERY, gallery_index=0),
     'No person found in the source photo "wall.png"'),
    (dict(source=None, pose_from=POSE_FROM_GALLERY, gallery_index=0),
     'No source photo: upload a photo or pick an example.'),
    # The pose-photo tab has no examples to pick.
    (dict(source='photo', pose_from=POSE_FROM_PHOTO, pose_photo=None),
     'No pose photo: upload a photo.'),
    (dict(source='photo', pose_from=POSE_FROM_GALLERY, gallery_index=None),
     'No target pose: click a pose in the gallery'),
    (dict(source='photo', pose_from=POSE_FROM_PHOTO, pose_photo='empty'),
     'No person found in the pose photo "wall.png"'),
    (dict(source='photo', pose_from=POSE_FROM_PHOTO, pose_photo='text'),
     'The pose photo "notes.txt" is not an image'),
    (dict(source='photo', pose_from=POSE_FROM_JSON, pose_json='broken'),
     'Cannot use this keypoint file: "broken.json": not valid JSON'),
    (dict(source='photo', pose_from=POSE_FROM_JSON, pose_json='no_joints'),
     'Cannot use this keypoint file: "nobody.json": person 0 has no joint'),
    (dict(source='photo', pose_from=POSE_FROM_JSON, pose_json=None),
     'No keypoint JSON'),
])
def test_bad_input_becomes_a_message_naming_the_upload(
        app, uploads, inputs, expected):
    inputs = {
        key: uploads.get(value, value) if isinstance(value, str)
        and key != 'pose_from' else value
        for key, value in inputs.items()
    }
    answer = app.generate(**inputs)
    assert answer.result is None and answer.panel is None
    assert answer.message.startswith('**Error:** ' + expected)
    # The server's temporary folder is not shown, only the file's name.
    assert osp.dirname(uploads['photo']) not in answer.message


def test_without_checkpoint_every_click_says_how_to_get_one(tmp_path):
    config = ('configs/ratenet/'
              'ratenet_demo-pat32x22_1xb4-1800cycles_synthetic-64x44.py')
    message = no_checkpoint_message(
        str(tmp_path), config, f'.venv/bin/python tools/train.py {config}')
    app = PoseTransferApp(None, str(EXAMPLES), message)
    assert not app.ready
    answer = app.generate(app.example_photos[0], POSE_FROM_GALLERY, 0)
    assert answer.result is None and answer.message == message
    assert f'tools/train.py {config}' in message
    with pytest.raises(ValueError, match='setup_message'):
        PoseTransferApp(None, str(EXAMPLES))


def test_newest_checkpoint_is_the_last_written(tmp_path):
    assert newest_checkpoint(str(tmp_path)) is None
    for age, name in ((30, 'iter_1500.pth'), (10, 'iter_2000.pth'),
                      (20, 'epoch_1.pth')):
        path = tmp_path / name
        path.write_bytes(b'')
        os.utime(path, (1e9 - age, 1e9 - age))
    assert newest_checkpoint(str(tmp_path)) == str(tmp_path / 'iter_2000.pth')


def test_preview_shows_the_photo_or_says_why_not(app, uploads, astronaut):
    image, message = app.preview(uploads['photo'])
    np.testing.assert_array_equal(image, astronaut)
    assert message == ''
    assert app.preview(None) == (None, '')
    image, message = app.preview(uploads['text'])
    assert image is None and '"notes.txt" is not an image' in message


@pytest.fixture(scope='module')
def sequence_uploads(tmp_path_factory) -> dict:
    """Pose sequences as a browser would upload them: keypoint JSONs (one
    frame without a person, as OpenPose writes it), a malformed JSON, a text
    file named like a video and a video without a person."""
    folder = tmp_path_factory.mktemp('sequence_uploads')
    frames = sorted((EXAMPLES / 'sequences' / 'synthetic_motion').glob(
        '*.json'))[:3]
    jsons = []
    for k, frame in enumerate(frames):
        # Each upload in its own folder, as Gradio stores them.
        path = tmp_path_factory.mktemp(f'upload{k}') / f'frame_{k}.json'
        path.write_text(frame.read_text())
        jsons.append(str(path))
    nobody = folder / 'frame_9.json'
    nobody.write_text('{"version": 1.3, "people": []}')
    broken = folder / 'frame_5.json'
    broken.write_text('{"format": "coco18", "keypoints": [[1, 2],')
    text_video = folder / 'clip.mp4'
    text_video.write_text('not a video\n')
    empty_video = folder / 'wall.mp4'
    write_animation([np.full((64, 48, 3), 230, np.uint8)] * 3,
                    str(empty_video), 10)
    return dict(jsons=jsons, nobody=str(nobody), broken=str(broken),
                text_video=str(text_video), empty_video=str(empty_video))


def gif_frames(path: str) -> list:
    with Image.open(path) as gif:
        assert gif.format == 'GIF'
        frames = []
        for k in range(gif.n_frames):
            gif.seek(k)
            frames.append(np.asarray(gif.convert('RGB')))
    return frames


def test_example_sequence_animates_the_example_person(app):
    assert app.example_sequence_names() == ['synthetic_motion']
    example = [p for p in app.example_photos if 'synthetic_1' in p][0]
    calls = []
    answer = app.generate_animation(
        example, SEQUENCE_FROM_EXAMPLE, example_index=0,
        progress=lambda done, total: calls.append((done, total)))
    assert answer.message.startswith('Done: 8 frames of 32x22'), \
        answer.message
    assert '0 driving frame(s) skipped' in answer.message
    frames = gif_frames(answer.gif)
    assert len(frames) == answer.num_frames == 8
    assert frames[0].shape == RESULT_SIZE + (3, )
    assert calls[-1] == (8, 8)  # the page's progress bar reaches the end
    # side by side: the driving skeleton | the result, 4-pixel gap
    wide = app.generate_animation(
        example, SEQUENCE_FROM_EXAMPLE, example_index=0, side_by_side=True,
        retarget=False, smooth=False)
    assert gif_frames(wide.gif)[0].shape == (RESULT_SIZE[0],
                                             2 * RESULT_SIZE[1] + 4, 3)


def test_uploaded_jsons_count_the_frame_without_a_person(
        app, uploads, sequence_uploads):
    files = sequence_uploads['jsons'] + [sequence_uploads['nobody']]
    answer = app.generate_animation(uploads['photo'], SEQUENCE_FROM_UPLOAD,
                                    uploads=files)
    assert answer.num_frames == 3, answer.message
    assert answer.skipped == {'frame_9.json': 'no person found'}
    assert ('1 driving frame(s) skipped: frame_9.json (no person found)'
            in answer.message)


@pytest.mark.parametrize('files, expected', [
    # The page's advice, not the command line's (no folders to give here).
    (['text_video'], '"clip.mp4" cannot be read as a video; upload one video '
     '(.mp4, .avi, .mov, .mkv, .webm, .gif) or keypoint JSON files (one per '
     'frame).'),
    (['empty_video'], '"wall.mp4": no usable pose in any of its 3 frames'),
    (['nobody'], 'the uploaded keypoint files: no usable pose'),
    (['jsons', 'broken'], 'frame_5.json'),
    (['jsons', 'text_video'], 'Upload either one video or keypoint JSON '
     'files, not both: clip.mp4'),
    (['text_video', 'empty_video'], '2 videos uploaded'),
    ([], 'No pose sequence'),
])
def test_bad_sequence_upload_becomes_a_message_naming_it(
        app, uploads, sequence_uploads, files, expected):
    paths = []
    for key in files:
        value = sequence_uploads[key]
        paths += value if isinstance(value, list) else [value]
    answer = app.generate_animation(uploads['photo'], SEQUENCE_FROM_UPLOAD,
                                    uploads=paths)
    assert answer.gif is None and answer.num_frames == 0
    assert answer.message.startswith('**Error:** '), answer.message
    assert expected in answer.message, answer.message
    assert osp.dirname(sequence_uploads['nobody']) not in answer.message
    assert app.work_dir not in answer.message


def test_closing_the_app_removes_its_animations(tiny_model_files):
    """The GIFs and staged uploads live in the app's own temporary folder,
    removed when the app closes (the page's server stopped)."""
    config, checkpoint = tiny_model_files
    app = PoseTransferApp(RATENetInferencer(config, checkpoint),
                          str(EXAMPLES))
    example = [p for p in app.example_photos if 'synthetic_1' in p][0]
    answer = app.generate_animation(example, SEQUENCE_FROM_EXAMPLE,
                                    example_index=0)
    folder = os.path.dirname(answer.gif)
    assert os.path.isfile(answer.gif)
    app.close()
    assert not os.path.exists(folder)


def test_animation_without_source_or_model_says_what_is_missing(app):
    answer = app.generate_animation(None, SEQUENCE_FROM_EXAMPLE, 0)
    assert answer.message.startswith('**Error:** No source photo')
    example = app.example_photos[1]
    answer = app.generate_animation(example, SEQUENCE_FROM_EXAMPLE, None)
    assert answer.message == '**Error:** No pose sequence: pick an example ' \
        'sequence.'
    idle = PoseTransferApp(None, str(EXAMPLES), 'train first')
    assert idle.generate_animation(example, SEQUENCE_FROM_EXAMPLE,
                                   0).message == 'train first'
