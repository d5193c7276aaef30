import os.path as osp

import cv2
import numpy as np
import pytest

from ratenet_plugin.apis import (PairInput, PoseKeypoints,
                                 RATENetInferencer, write_keypoint_json)
from ratenet_plugin.apis.animation import (PoseSequence, PoseSequenceError,
                                           animate, read_pose_sequence)
from ratenet_plugin.datasets.synthetic import render_synthetic_motion
from ratenet_plugin.fileio.errors import UserInputError
from ratenet_plugin.fileio.video import (VideoFileError, read_video,
                                         write_animation)
from tests.apis.inference_testing import FRAME, OUT_SIZE, tiny_config
from tests.tools.tool_testing import load_tool, run_tool, user_error_line

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
NUM_FRAMES = 6


@pytest.fixture(scope='module')
def source():
    """Synthetic identity 3 (the driver is identity 0, another build),
    with its keypoints: MediaPipe is not needed at 64x44."""
    frames, keypoints = render_synthetic_motion(2, identity=3, height=FRAME[0],
                                                width=FRAME[1])
    return frames[0], PoseKeypoints(keypoints[0], FRAME)


@pytest.fixture(scope='module')
def driving():
    """A synthetic person moving (identity 0), 6 frames at 64x44."""
    return render_synthetic_motion(NUM_FRAMES, identity=0, height=FRAME[0],
                                   width=FRAME[1])


@pytest.fixture(scope='module')
def json_folder(tmp_path_factory, driving):
    """Our JSONs for frames 0-5, and an OpenPose file for a frame without a
    person (people: []) in between."""
    folder = tmp_path_factory.mktemp('poses')
    _, keypoints = driving
    for t, kpts in enumerate(keypoints):
        write_keypoint_json(str(folder / f'frame_{2 * t}.json'), kpts, FRAME)
    (folder / 'frame_5_keypoints.json').write_text('{"people": []}')
    return str(folder)


def test_synthetic_sequence_to_gif(inferencer, source, json_folder, tmp_path):
    image, source_pose = source
    messages = []
    animation = animate(inferencer, image, json_folder,
                        source_pose=source_pose, side_by_side=True,
                        batch_size=4, progress=False, log=messages.append)
    # Natural order (frame_10 after frame_8), the empty frame skipped,
    # counted and reported.
    assert animation.names == [f'frame_{2 * t}.json' for t in range(6)]
    assert animation.skipped == {'frame_5_keypoints.json': 'no person found'}
    assert len(messages) == 1 and 'skipped 1 of 7 frames' in messages[0]
    assert 'frame_5_keypoints.json (no person found)' in messages[0]
    # Drawn driving skeleton | result, at the model's output size.
    assert len(animation.frames) == NUM_FRAMES
    assert animation.frames[0].shape == (OUT_SIZE[0], 2 * OUT_SIZE[1] + 4, 3)
    skeleton = animation.frames[0][:, :OUT_SIZE[1]]
    assert (skeleton != 255).any()
    # The results follow the moving pose.
    results = [frame[:, OUT_SIZE[1] + 4:] for frame in animation.frames]
    assert not np.array_equal(results[0], results[NUM_FRAMES // 2])

    gif = str(tmp_path / 'anim.gif')
    write_animation(animation.frames, gif, animation.fps)
    frames, fps = read_video(gif)
    frames = list(frames)
    assert len(frames) == NUM_FRAMES and fps == pytest.approx(25, rel=0.05)
    assert frames[0].shape == animation.frames[0].shape


def test_keypoint_files_start_no_pose_extractor(checkpoint, source,
                                                json_folder):
    """A folder of keypoint JSONs with the source's keypoints given needs
    no MediaPipe graph (seconds to start): none is made."""
    image, source_pose = source
    inferencer = RATENetInferencer(tiny_config(), checkpoint)
    try:
        animation = animate(inferencer, image, json_folder,
                            source_pose=source_pose, progress=False,
                            log=lambda _: None)
        assert len(animation.frames) == NUM_FRAMES
        assert inferencer._extractor is None
    finally:
        inferencer.close()


def test_batches_give_the_frames_of_single_passes(inferencer, source,
                                                  json_folder):
    image, source_pose = source
    calls = []
    batched = animate(inferencer, image, json_folder, batch_size=4,
                      source_pose=source_pose,
                      progress=lambda done, total: calls.append(
                          (done, total)), log=print)
    assert calls == [(4, 6), (6, 6)]  # a progress callback per batch
    single = animate(inferencer, image, json_folder, batch_size=1,
                     source_pose=source_pose, progress=False, log=print)
    for a, b in zip(batched.frames, single.frames):
        np.testing.assert_allclose(a, b, atol=1)


def test_retargeted_poses_keep_the_source_in_place(inferencer, source,
                                                   driving):
    """The driver (another build) is rebuilt on the source's skeleton: in
    the first frame the neck is the source's neck, in the model's frame,
    whatever the driver's size and place."""
    image, source_pose = source
    _, keypoints = driving
    bigger = PoseSequence(keypoints * 3 + 100, [str(t) for t in range(6)])
    animation = animate(inferencer, image, bigger, source_pose=source_pose,
                        smooth=False, progress=False)
    prepared = inferencer.prepare(
        PairInput(image, source_pose, source_pose=source_pose,
                  target_crop='source'))
    source_in_frame = prepared['target_keypoints']
    np.testing.assert_allclose(animation.target_keypoints[0, 1],
                               source_in_frame[1], atol=1e-3)
    # The right upper arm (2 -> 3) has the source's length, times the
    # driver's length in this frame over its median length.
    arm = np.linalg.norm(bigger.keypoints[:, 3] - bigger.keypoints[:, 2],
                         axis=1)
    length = np.linalg.norm(animation.target_keypoints[0, 3] -
                            animation.target_keypoints[0, 2])
    source_length = np.linalg.norm(source_in_frame[3] - source_in_frame[2])
    assert length == pytest.approx(source_length * arm[0] / np.median(arm),
                                   rel=1e-3)


def test_a_raised_hand_the_source_photo_cuts_off_reaches_the_model(
        inferencer, source):
    """The source photo cut just above the shoulders; the driver raises the
    right hand, which retargeted lands above the photo (negative y) but
    inside the source's window: it must be in the pose the model gets, not
    dropped as a missing joint."""
    image, source_pose = source
    cut = 8
    image = np.ascontiguousarray(image[cut:])
    kpts = source_pose.keypoints - (0, cut)
    kpts[(kpts < 0).any(axis=1)] = -1  # the head is cut off
    cut_pose = PoseKeypoints(kpts, image.shape[:2])
    driver = np.where(kpts >= 0, kpts + (0, 30), -1)  # the whole driver
    upper_arm = np.linalg.norm(kpts[3] - kpts[2])
    forearm = np.linalg.norm(kpts[4] - kpts[3])
    up_left = np.array([-0.66, -0.75]) / np.hypot(0.66, 0.75)
    driver[3] = driver[2] + (-upper_arm, 0)
    driver[4] = driver[3] + forearm * up_left
    expected_wrist = kpts[2] + (-upper_arm, 0) + forearm * up_left
    assert -3 < expected_wrist[1] < 0  # above the photo
    animation = animate(inferencer, image, PoseSequence(driver[None], ['0']),
                        source_pose=cut_pose, smooth=False, progress=False)
    crop = inferencer.source_crop(image.shape[:2], cut_pose)
    assert crop.y0 < expected_wrist[1]  # inside the window
    in_frame = (expected_wrist -
                (crop.x0, crop.y0) + 0.5) * crop.scale_xy - 0.5
    # The test pipeline pads the 64x44 frame to the model's 64x64 input.
    padding = ((OUT_SIZE[1] - FRAME[1]) // 2, (OUT_SIZE[0] - FRAME[0]) // 2)
    np.testing.assert_allclose(animation.target_keypoints[0, 4],
                               in_frame + padding, rtol=1e-4)


def test_video_and_frame_folder_inputs(inferencer, source, tmp_path):
    """Synthetic frames at 256x176 (MediaPipe finds the figure) as a video
    and as a folder, blank frames among them skipped and reported."""
    frames, _ = render_synthetic_motion(4, identity=0)
    blank = np.full_like(frames[0], 240)
    sequence = [frames[0], blank, frames[1], frames[2], blank, frames[3]]
    video = str(tmp_path / 'drive.mp4')
    write_animation(sequence, video, 10)
    folder = tmp_path / 'frames'
    folder.mkdir()
    for t, frame in enumerate(sequence):
        cv2.imwrite(str(folder / f'{t}.png'), frame[..., ::-1])
    image, source_pose = source
    # The video's rate, the default rate for a folder.
    for poses, names, fps in ((video, ['drive.mp4#1', 'drive.mp4#4'], 10),
                              (str(folder), ['1.png', '4.png'], 25)):
        messages = []
        animation = animate(inferencer, image, poses,
                            source_pose=source_pose, side_by_side=True,
                            progress=False, log=messages.append)
        assert sorted(animation.skipped) == names, poses
        assert len(animation.frames) == 4
        assert 'skipped 2 of 6 frames' in messages[0]
        assert animation.fps == pytest.approx(fps)
        # Driving frame | result: the frame scaled to the result's height.
        assert animation.frames[0].shape == (64, 44 + 4 + 64, 3)


def test_unusable_sequences_are_clear_errors(inferencer, source, tmp_path):
    image, source_pose = source
    not_video = tmp_path / 'clip.mp4'
    not_video.write_text('not a video')
    with pytest.raises(VideoFileError, match='cannot read .*clip.mp4'):
        read_pose_sequence(str(not_video))
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(PoseSequenceError, match='holds no frames'):
        read_pose_sequence(str(empty))
    with pytest.raises(PoseSequenceError, match='not found'):
        read_pose_sequence(str(tmp_path / 'nothing'))
    nobody = tmp_path / 'nobody'
    nobody.mkdir()
    (nobody / 'a_keypoints.json').write_text('{"people": []}')
    with pytest.raises(PoseSequenceError, match='no usable pose in any of '
                       'its 1 frames \\(no person found\\)'):
        animate(inferencer, image, str(nobody), source_pose=source_pose,
                progress=False)
    assert issubclass(PoseSequenceError, UserInputError)
    assert issubclass(VideoFileError, UserInputError)


def test_frames_of_different_sizes_stop_before_generation(extractor,
                                                          tmp_path):
    """Poses of frames of different sizes cannot be compared (the person
    would jump), and side by side could not be written at the end: one
    error, before any frame is generated."""
    frames = tmp_path / 'frames'
    frames.mkdir()
    cv2.imwrite(str(frames / '0.png'), np.full((64, 64, 3), 250, np.uint8))
    cv2.imwrite(str(frames / '1.png'), np.full((60, 40, 3), 250, np.uint8))
    with pytest.raises(PoseSequenceError,
                       match='1.png is 60x40 but 0.png 64x64; the frames of '
                       'a sequence must have one size'):
        read_pose_sequence(str(frames), extractor=extractor)
    jsons = tmp_path / 'jsons'
    jsons.mkdir()
    _, keypoints = render_synthetic_motion(2, identity=0, height=FRAME[0],
                                           width=FRAME[1])
    write_keypoint_json(str(jsons / '0.json'), keypoints[0], FRAME)
    write_keypoint_json(str(jsons / '1.json'), keypoints[1] * 2,
                        (2 * FRAME[0], 2 * FRAME[1]))
    with pytest.raises(PoseSequenceError, match='1.json is 128x88 but '
                       '0.json 64x44'):
        read_pose_sequence(str(jsons))


def test_cli_writes_a_gif_and_reports_errors(checkpoint, source, json_folder,
                                             tmp_path, capsys):
    config = tmp_path / 'tiny_config.py'
    tiny_config().dump(str(config))
    image, source_pose = source
    photo, pose = tmp_path / 'person.png', tmp_path / 'person.json'
    cv2.imwrite(str(photo), image[..., ::-1])
    write_keypoint_json(str(pose), source_pose.keypoints, FRAME)
    tool = load_tool('animate')
    common = ['--config', str(config), '--checkpoint', checkpoint,
              '--source', str(photo), '--source-pose', str(pose)]
    out = tmp_path / 'out' / 'anim.gif'
    assert tool.main(common + ['--poses', json_folder, '--out', str(out),
                               '--side-by-side', '--fps', '5']) == 0
    printed = capsys.readouterr()
    assert f'wrote {out}: 6 frames of 64x132 at 5 fps, 1 skipped' in \
        printed.out
    frames, fps = read_video(str(out))
    assert len(list(frames)) == 6 and fps == pytest.approx(5)

    bad = tmp_path / 'clip.avi'
    bad.write_text('not a video')
    bad_call = common + ['--poses', str(bad), '--out', str(tmp_path / 'x.gif')]
    with pytest.raises(VideoFileError, match='cannot read.*clip.avi'):
        tool.main(bad_call)
    # As a user runs it: one error line, exit code 2, no traceback.
    line = user_error_line(
        run_tool(osp.join(ROOT, 'tools', 'animate.py'), *bad_call, cwd=ROOT))
    assert line.startswith('error: cannot read') and 'clip.avi' in line
