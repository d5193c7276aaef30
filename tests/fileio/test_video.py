import numpy as np
import pytest

from ratenet_plugin.fileio.errors import UserInputError
from ratenet_plugin.fileio.video import (VideoFileError, frames_written,
                                         gif_timing, read_video,
                                         write_animation)


def grey_ramp(count: int = 5, size=(33, 21)) -> list:
    """Frames of one grey level each (0, 50, 100, ...), an odd size."""
    return [np.full(size + (3, ), 50 * i, np.uint8) for i in range(count)]


def test_gif_round_trip_is_exact_and_keeps_the_rate(tmp_path):
    path = str(tmp_path / 'sub' / 'ramp.gif')
    write_animation(grey_ramp(), path, fps=10)
    frames, fps = read_video(path)
    frames = list(frames)
    assert fps == pytest.approx(10)
    assert len(frames) == 5 and frames[0].shape == (33, 21, 3)
    for i, frame in enumerate(frames):
        np.testing.assert_array_equal(frame, 50 * i)


def test_mp4_is_h264_padded_to_even_sizes(tmp_path):
    import imageio.v3 as iio

    path = str(tmp_path / 'ramp.mp4')
    write_animation(grey_ramp(), path, fps=12)
    assert iio.immeta(path, plugin='pyav')['codec'] == 'h264'
    frames, fps = read_video(path)
    frames = list(frames)
    assert fps == pytest.approx(12) and len(frames) == 5
    # One white row and column pad 33x21 to 34x22; H.264 is lossy.
    assert frames[0].shape == (34, 22, 3)
    for i, frame in enumerate(frames):
        assert np.abs(frame[:30, :18].astype(int) - 50 * i).max() <= 4
        assert (frame[-1] > 245).all()


def test_bad_files_are_named(tmp_path):
    text = tmp_path / 'clip.mp4'
    text.write_text('not a video')
    with pytest.raises(VideoFileError, match='cannot read .*clip.mp4 as a '
                       'video'):
        read_video(str(text))
    with pytest.raises(VideoFileError, match='video not found'):
        read_video(str(tmp_path / 'none.mp4'))
    with pytest.raises(VideoFileError, match=r'use one of \.gif, \.mp4'):
        write_animation(grey_ramp(), str(tmp_path / 'a.avi'), 10)
    with pytest.raises(VideoFileError, match='no frames'):
        write_animation([], str(tmp_path / 'a.gif'), 10)
    with pytest.raises(VideoFileError, match='of one size'):
        write_animation(grey_ramp() + grey_ramp(1, (8, 8)),
                        str(tmp_path / 'a.gif'), 10)
    assert issubclass(VideoFileError, UserInputError)


def test_gifs_above_50_fps_keep_their_speed(tmp_path):
    """Browsers play GIF delays under 2/100 s as 1/10 s: 60 fps is written
    as every second frame at 30 fps, the delays alternating so that the
    animation lasts as long as the frames it was given."""
    step, delays = gif_timing(60, 60.0)
    assert step == 2 and len(delays) == 30
    assert set(delays) <= {30, 40} and sum(delays) == 1000
    assert gif_timing(5, 10.0) == (1, [100] * 5)
    path = str(tmp_path / 'fast.gif')
    assert write_animation(grey_ramp(6), path, fps=60) == pytest.approx(30)
    frames, fps = read_video(path)
    frames = list(frames)
    assert len(frames) == 3 and fps == pytest.approx(30, rel=0.05)
    for i, frame in enumerate(frames):
        np.testing.assert_array_equal(frame, 100 * i)  # frames 0, 2, 4


def test_gif_rate_is_what_browsers_play(tmp_path):
    """The mean of the frames' delays; a delay under 2/100 s (often 0)
    plays as 1/10 s."""
    from PIL import Image

    frames = [Image.fromarray(f) for f in grey_ramp(4)]
    for name, delays, rate in (('uneven.gif', [500, 100, 100, 100], 5.0),
                               ('zero.gif', [0, 0, 0, 0], 10.0)):
        path = tmp_path / name
        frames[0].save(path, save_all=True, append_images=frames[1:],
                       duration=delays, loop=0)
        assert read_video(str(path))[1] == pytest.approx(rate)


def test_portrait_phone_videos_are_read_upright(tmp_path):
    """Phones store portrait video as landscape frames and the rotation
    that shows them upright (FFmpeg's display matrix)."""
    import av

    upright = np.zeros((48, 32, 3), np.uint8)
    upright[:16] = (250, 20, 20)  # red at the top
    stored = np.ascontiguousarray(np.rot90(upright, 1))  # 32x48 landscape
    path = str(tmp_path / 'portrait.mp4')
    with av.open(path, 'w') as container:
        stream = container.add_stream('libx264', rate=10)
        stream.width, stream.height = 48, 32
        stream.pix_fmt = 'yuv420p'
        stream.set_display_rotation(-90)
        for _ in range(3):
            frame = av.VideoFrame.from_ndarray(stored, format='rgb24')
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    frames, _ = read_video(path)
    first = next(frames)
    assert first.shape == (48, 32, 3)
    assert first[:12, :, 0].mean() > 200 and first[-12:, :, 0].mean() < 60


def test_frames_written_says_what_a_gif_kept():
    assert frames_written(8, 25.0, 25.0) == '8 frames'
    assert frames_written(60, 60.0, 30.0) == (
        'every 2 of 60 frames (a GIF plays at most 50 fps)')


@pytest.mark.parametrize('extension', ['.gif', '.mp4'])
def test_one_frame_is_an_animation_too(tmp_path, extension):
    """One generated pose (a one-file pose folder, or a rate that keeps one
    frame) still gives a file that reads back."""
    path = str(tmp_path / f'one{extension}')
    assert write_animation(grey_ramp(1), path, 12) == 12
    frames, _ = read_video(path)
    frames = list(frames)
    assert len(frames) == 1 and frames[0].shape[2] == 3
    # 20 frames at 1000 fps: a GIF keeps every 20th, i.e. one.
    write_animation(grey_ramp(20), str(tmp_path / 'fast.gif'), 1000)
    assert len(list(read_video(str(tmp_path / 'fast.gif'))[0])) == 1


def test_a_refused_gif_rate_keeps_the_old_file(tmp_path):
    path = tmp_path / 'slow.gif'
    write_animation(grey_ramp(2), str(path), 10)
    before = path.read_bytes()
    # A GIF cannot hold a frame for 1,000 s: refused before writing.
    with pytest.raises(VideoFileError, match='at least 0.0015'):
        write_animation(grey_ramp(2), str(path), 0.001)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ['slow.gif']
