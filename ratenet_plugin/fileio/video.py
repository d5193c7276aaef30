"""Video files and animations: read a video's frames, write a GIF or MP4.

Both go through imageio's v3 API: GIFs with its Pillow plugin, videos with
its PyAV plugin (PyAV, an MMagic dependency, ships FFmpeg's libraries in its
wheel, so nothing else is installed or downloaded). Frames are ``uint8
(H, W, 3)`` RGB arrays.
"""
import math
import os.path as osp
from typing import Iterator, List, Sequence, Tuple

import numpy as np

from .errors import UserInputError
from .whole_file import written_whole

#: Files read as videos (anything FFmpeg decodes works; these are named
#: in error messages).
VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.gif')
#: Files :func:`write_animation` writes.
ANIMATION_EXTENSIONS = ('.gif', '.mp4')
#: The fastest rate a GIF plays at in browsers (delays of 2/100 s).
GIF_MAX_FPS = 50.0
#: The slowest: a GIF frame's delay is at most 65,535 hundredths of a second.
GIF_MIN_FPS = 100 / 65535
#: H.264 in MP4, YUV 4:2:0 (what browsers and players expect).
MP4_CODEC = 'libx264'


class VideoFileError(UserInputError):
    """A video that cannot be read, or an animation that cannot be
    written; the message names the file."""


class UnreadableVideoError(VideoFileError):
    """A file that no video reader decodes (not a video, or damaged)."""


def read_video(path: str) -> Tuple[Iterator[np.ndarray], float]:
    """Open a video file (or an animated GIF).

    Args:
        path (str): The file. GIFs are read with the Pillow plugin (their
            frames' mean delay gives the rate), anything else with PyAV
            (turned upright where the file says so, as phones do for
            portrait videos).

    Returns:
        tuple[Iterator[np.ndarray], float]: Its frames, decoded one at a
        time (``uint8 (H, W, 3)`` RGB), and its frame rate (frames per
        second).

    Raises:
        VideoFileError: if the file is missing or not a video that can be
            decoded.
    """
    import imageio.v3 as iio

    if not osp.isfile(path):
        raise VideoFileError(f'video not found: {path}')
    is_gif = path.lower().endswith('.gif')
    plugin = 'pillow' if is_gif else 'pyav'
    try:
        meta = iio.immeta(path, plugin=plugin)
    except Exception as error:  # noqa: B902  the plugins raise many types
        raise UnreadableVideoError(
            f'cannot read {path} as a video ({type(error).__name__}: '
            f'{error}); give a video file ({", ".join(VIDEO_EXTENSIONS)}), '
            'a folder of frames or a folder of keypoint JSONs') from None
    fps = _gif_rate(path) if is_gif else float(meta.get('fps') or 0)
    if not fps > 0:
        raise VideoFileError(f'{path}: the video states no frame rate')
    kwargs = dict(mode='RGB') if is_gif else dict(format='rgb24')
    # Phones store a portrait video as landscape frames and the rotation
    # that shows them upright; imageio's plugin does not apply it.
    turns = 0 if is_gif else _display_rotation(path) // 90

    def frames() -> Iterator[np.ndarray]:
        try:
            for frame in iio.imiter(path, plugin=plugin, **kwargs):
                yield np.ascontiguousarray(np.rot90(frame, turns)) \
                    if turns else frame
        except Exception as error:  # noqa: B902
            raise VideoFileError(
                f'{path}: decoding failed ({type(error).__name__}: '
                f'{error})') from None

    return frames(), fps


def _gif_rate(path: str) -> float:
    """A GIF's frames per second from its frames' mean delay, each delay as
    browsers play it (one under 2/100 s as 1/10 s)."""
    from PIL import Image, ImageSequence

    with Image.open(path) as gif:
        delays = [frame.info.get('duration', 0)
                  for frame in ImageSequence.Iterator(gif)]
    delays = [delay if delay >= 20 else 100 for delay in delays]
    return 1000 * len(delays) / sum(delays)


def _display_rotation(path: str) -> int:
    """The counter-clockwise rotation (0, 90, 180 or 270 degrees) that shows
    the first video stream of ``path`` upright: FFmpeg's display matrix, as
    PyAV reads it from the first frame (0 where it states none)."""
    import av

    try:
        with av.open(path) as container:
            for frame in container.decode(video=0):
                return int(round(getattr(frame, 'rotation', 0) or 0)) % 360
    except Exception:  # noqa: B902  decoding errors surface when read
        pass
    return 0


def _even(frame: np.ndarray) -> np.ndarray:
    """Pad a frame with white to even height and width (H.264 in YUV 4:2:0
    needs them)."""
    pad_h, pad_w = frame.shape[0] % 2, frame.shape[1] % 2
    if not (pad_h or pad_w):
        return frame
    return np.pad(frame, ((0, pad_h), (0, pad_w), (0, 0)),
                  constant_values=255)


def gif_timing(num_frames: int, fps: float) -> Tuple[int, List[int]]:
    """How a GIF shows ``num_frames`` frames at ``fps``.

    GIFs store each frame's delay in hundredths of a second, and browsers
    show a delay under 2 of them as 10 (0.1 s). So above
    :data:`GIF_MAX_FPS` every ``step``-th frame is kept, and the kept
    frames' delays alternate between neighbouring hundredths so that the
    animation keeps its length.

    Returns:
        tuple[int, list[int]]: ``step`` and the delays in milliseconds
        (multiples of 10, at least 20) of the kept frames.
    """
    step = max(1, math.ceil(fps / GIF_MAX_FPS - 1e-9))
    kept = -(-num_frames // step)
    ticks = np.round(np.arange(kept + 1) * 100 * step / fps)
    return step, [int(t) * 10 for t in np.diff(ticks)]


def frames_written(num_frames: int, fps: float, rate: float) -> str:
    """In words, the frames an animation of ``num_frames`` at ``fps`` holds
    once written at ``rate`` (what :func:`write_animation` returns), e.g.
    ``'8 frames'`` or ``'every 2 of 60 frames (a GIF plays at most 50
    fps)'``."""
    step = round(fps / rate)
    if step == 1:
        return f'{num_frames} frames'
    return (f'every {step} of {num_frames} frames (a GIF plays at most '
            f'{GIF_MAX_FPS:g} fps)')


def write_animation(frames: Sequence[np.ndarray], path: str,
                    fps: float) -> float:
    """Write frames as a looping GIF or an MP4 (H.264) video.

    Args:
        frames (Sequence[np.ndarray]): ``uint8 (H, W, 3)`` RGB frames of one
            size.
        path (str): Output file, ``.gif`` or ``.mp4``; its folder is
            created.
        fps (float): Frames per second. A GIF above :data:`GIF_MAX_FPS`
            keeps every second (third, ...) frame (:func:`gif_timing`).

    Returns:
        float: The frame rate written (``fps``, or the GIF's lower one).

    Raises:
        VideoFileError: for an unknown extension, no frames, frames of
            different sizes, or a GIF below :data:`GIF_MIN_FPS`. Nothing is
            written then, and a file that cannot be finished leaves no part
            behind (an existing ``path`` is replaced only by a whole one).
    """
    import imageio.v3 as iio

    extension = osp.splitext(path)[1].lower()
    if extension not in ANIMATION_EXTENSIONS:
        raise VideoFileError(
            f'{path}: cannot write {extension or "files without extension"}'
            f'; use one of {", ".join(ANIMATION_EXTENSIONS)}')
    if not len(frames):
        raise VideoFileError(f'{path}: no frames to write')
    if fps <= 0:
        raise VideoFileError(f'{path}: fps must be positive, got {fps}')
    if extension == '.gif' and fps < GIF_MIN_FPS:
        raise VideoFileError(
            f'{path}: a GIF shows a frame for at most 655.35 s, so fps must '
            f'be at least {GIF_MIN_FPS:.4f}, got {fps:g}; write an .mp4')
    shapes = {frame.shape for frame in frames}
    if len(shapes) != 1 or next(iter(shapes))[2:] != (3, ):
        raise VideoFileError(f'{path}: frames must be (H, W, 3) of one size, '
                             f'got shapes {sorted(shapes)}')
    stack = np.stack(frames).astype(np.uint8, copy=False)
    with written_whole(path, suffix=extension) as partial:
        if extension == '.gif':
            # Pillow's GIF writer: duration per frame in ms (one number for
            # a single frame), loop=0 = forever.
            step, delays = gif_timing(len(stack), fps)
            kept = stack[::step]
            iio.imwrite(partial, kept, plugin='pillow', loop=0,
                        duration=delays if len(kept) > 1 else delays[0])
            rate = fps / step
        else:
            iio.imwrite(partial, np.stack([_even(f) for f in stack]),
                        plugin='pyav', codec=MP4_CODEC, fps=fps)
            rate = fps
    return rate
