import numpy as np
import pytest

from ratenet_plugin.fileio.errors import UserInputError
from ratenet_plugin.fileio.video import (VideoFileError, read_video,
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
