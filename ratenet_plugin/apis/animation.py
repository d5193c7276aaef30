"""Animate a person along a pose sequence with a trained RATE-Net.

``source photo + driving sequence -> frames``:

1. :func:`read_pose_sequence` reads the driving poses from a video file, a
   folder of frames (poses extracted with MediaPipe) or a folder of keypoint
   JSONs (any format of :mod:`ratenet_plugin.fileio.keypoint_json`, e.g.
   OpenPose's per-frame ``*_keypoints.json``).
2. Frames without a person (or, when retargeting, without a neck) are
   skipped; they are counted and reported.
3. The keypoints are smoothed over time (One-Euro filter,
   :mod:`.pose_smoothing`), so the result does not jitter.
4. Each driving pose is retargeted onto the source person's skeleton
   (:mod:`.pose_retargeting`): the source's bone lengths, scale and
   position, the driver's posture.
5. :class:`RATENetInferencer` generates the frames in batches (its own
   ``prepare`` / ``preprocess`` / ``forward`` / ``postprocess``), the target
   skeletons moved with the source's crop so the person keeps its place.
6. Optionally each frame is shown next to its driving frame (or, for
   keypoint files, the drawn driving skeleton); :func:`write_animation`
   writes a GIF or MP4.

Example:
    >>> inferencer = RATENetInferencer(config, checkpoint)
    >>> animation = animate(inferencer, 'person.jpg', 'dance.mp4',
    ...                     side_by_side=True)
    >>> write_animation(animation.frames, 'dance.gif', animation.fps)
"""
import os
import os.path as osp
import re
import sys
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Optional, Tuple, Union

import cv2
import numpy as np
from mmengine.utils import ProgressBar

from ratenet_plugin.datasets.keypoints import NUM_KEYPOINTS, missing_mask
from ratenet_plugin.fileio.errors import UserInputError
from ratenet_plugin.fileio.image_file import IMAGE_EXTENSIONS, read_image
from ratenet_plugin.fileio.keypoint_json import (EmptyPoseError,
                                                 PoseKeypoints,
                                                 read_keypoint_json)
from ratenet_plugin.fileio.video import read_video
from .inferencer import ImageInput, PairInput, PoseInput, RATENetInferencer
from .person_crop import FrameCrop, identity_crop, person_crop
from .pose_drawing import draw_pose, make_panel
from .pose_extraction import NoPersonError, PoseExtractor, has_person
from .pose_retargeting import ROOT_JOINT, retarget_sequence
from .pose_smoothing import smooth_keypoints

#: Frame rate of a folder of frames or keypoint files, unless given.
DEFAULT_FOLDER_FPS = 25.0
#: Driving frames kept for side-by-side display are downscaled to at most
#: this height (pixels), which bounds the memory a long video takes.
PREVIEW_HEIGHT = 256


class PoseSequenceError(UserInputError):
    """A driving sequence that cannot be used (empty folder, mixed files,
    no person in any frame); the message names it."""


@dataclass
class PoseSequence:
    """Driving poses, one entry per frame.

    Attributes:
        keypoints (np.ndarray): ``float32 (T, 18, 2)`` ``(x, y)`` pixels of
            the driving frames, COCO-18 order, ``-1`` for a missing joint;
            all ``-1`` in a frame without a person.
        names (list[str]): Each frame's name (file name, or
            ``<video>#<index>``).
        fps (float, optional): The sequence's frame rate, if it states one
            (videos do).
        frames (list[np.ndarray], optional): The driving frames as ``uint8
            (h, w, 3)`` RGB, at most :data:`PREVIEW_HEIGHT` high (for
            display); None for keypoint files or when not kept.
    """
    keypoints: np.ndarray
    names: List[str]
    fps: Optional[float] = None
    frames: Optional[List[np.ndarray]] = None


@dataclass
class Animation:
    """What :func:`animate` made.

    Attributes:
        frames (list[np.ndarray]): ``uint8 (H, W, 3)`` RGB frames, the
            model's output size (side by side: driving | result).
        fps (float): Their frame rate.
        names (list[str]): The driving frame of each output frame.
        target_keypoints (np.ndarray): ``float32 (N, 18, 2)`` poses the model
            was asked for, in its output frame.
        skipped (dict[str, str]): Driving frames left out, with the reason.
    """
    frames: List[np.ndarray]
    fps: float
    names: List[str]
    target_keypoints: np.ndarray
    skipped: Dict[str, str] = field(default_factory=dict)


def _natural_key(name: str) -> list:
    """Sort ``frame_2`` before ``frame_10``."""
    return [int(part) if part.isdigit() else part.lower()
            for part in re.split(r'(\d+)', name)]


def _preview(frame: np.ndarray) -> np.ndarray:
    """The frame, shrunk to at most :data:`PREVIEW_HEIGHT` pixels high."""
    if frame.shape[0] <= PREVIEW_HEIGHT:
        return frame
    width = max(1, round(frame.shape[1] * PREVIEW_HEIGHT / frame.shape[0]))
    return cv2.resize(frame, (width, PREVIEW_HEIGHT),
                      interpolation=cv2.INTER_AREA)


def _extract_all(images: Iterable[np.ndarray], name_of: Callable[[int], str],
                 where: str, extractor: PoseExtractor, keep_frames: bool,
                 fps: Optional[float]) -> PoseSequence:
    """Extract the pose of every image (frames without a person: all
    ``-1``)."""
    keypoints, frames = [], []
    first_size = None
    for t, image in enumerate(images):
        if first_size is None:
            first_size = image.shape[:2]
        elif image.shape[:2] != first_size:
            raise PoseSequenceError(_size_mismatch(
                where, name_of(0), first_size, name_of(t), image.shape[:2]))
        keypoints.append(extractor(image))
        if keep_frames:
            frames.append(_preview(image))
    if not keypoints:
        raise PoseSequenceError(f'{where}: the video has no frames')
    return PoseSequence(
        np.stack(keypoints).astype(np.float32),
        [name_of(t) for t in range(len(keypoints))], fps,
        frames if keep_frames else None)


def _size_mismatch(where: str, first: str, first_size: Tuple[int, int],
                   name: str, size: Tuple[int, int]) -> str:
    return (f'{where}: {name} is {size[0]}x{size[1]} but {first} '
            f'{first_size[0]}x{first_size[1]}; the frames of a sequence '
            'must have one size (their poses are compared across frames)')


def _read_frame_json(path: str) -> PoseKeypoints:
    """One frame's keypoints; all ``-1`` for a file without a person
    (OpenPose writes ``"people": []`` for such a video frame)."""
    try:
        return read_keypoint_json(path)
    except EmptyPoseError:
        return PoseKeypoints(np.full((NUM_KEYPOINTS, 2), -1, np.float32))


def _sequence_files(folder: str) -> Tuple[List[str], List[str]]:
    """The keypoint JSONs and the images of a sequence folder, each in
    natural order (``frame_2`` before ``frame_10``)."""
    files = sorted(os.listdir(folder), key=_natural_key)
    return ([f for f in files if f.lower().endswith('.json')],
            [f for f in files if f.lower().endswith(IMAGE_EXTENSIONS)])


def read_pose_sequence(path: str,
                       *,
                       extractor: Optional[PoseExtractor] = None,
                       keep_frames: bool = False) -> PoseSequence:
    """Read the driving poses of a video, a folder of frames or a folder of
    keypoint JSONs.

    Args:
        path (str): A video file (any format FFmpeg reads), a folder of
            images (sorted by name, numbers in numeric order), or a folder of
            ``.json`` keypoint files in any format
            :func:`read_keypoint_json` reads (a file without a person, e.g.
            OpenPose's ``"people": []``, is a frame without a person).
        extractor (PoseExtractor, optional): Used for videos and image
            folders; by default one is created and closed here.
        keep_frames (bool): Keep the driving frames (shrunk to at most
            :data:`PREVIEW_HEIGHT` pixels high) for display.

    Raises:
        PoseSequenceError: missing path, empty folder or video, a folder
            mixing images and JSONs. VideoFileError: an unreadable video.
        KeypointFormatError: a malformed JSON file. ImageFileError: an
            unreadable image (each error names its file).
    """
    if osp.isdir(path):
        jsons, images = _sequence_files(path)
        if jsons and images:
            raise PoseSequenceError(
                f'{path} holds both images ({len(images)}) and keypoint '
                f'JSONs ({len(jsons)}); keep one kind of driving frames '
                'per folder')
        if jsons:
            poses = [_read_frame_json(osp.join(path, f)) for f in jsons]
            sized = [(f, p.image_size) for f, p in zip(jsons, poses)
                     if p.image_size is not None]
            for name, size in sized[1:]:
                if tuple(size) != tuple(sized[0][1]):
                    raise PoseSequenceError(
                        _size_mismatch(path, sized[0][0], sized[0][1], name,
                                       size))
            return PoseSequence(np.stack([p.keypoints for p in poses]),
                                jsons)
        if not images:
            raise PoseSequenceError(
                f'{path} holds no frames: expected images '
                f'({", ".join(IMAGE_EXTENSIONS)}) or keypoint .json files')
        frames: Iterable[np.ndarray] = (
            read_image(osp.join(path, f)) for f in images)
        name_of: Callable[[int], str] = images.__getitem__
        fps = None
    elif osp.isfile(path):
        frames, fps = read_video(path)
        stem = osp.basename(path)
        name_of = f'{stem}#{{}}'.format
    else:
        raise PoseSequenceError(
            f'driving sequence not found: {path} (give a video file, a '
            'folder of frames or a folder of keypoint JSONs)')
    if extractor is not None:
        return _extract_all(frames, name_of, path, extractor, keep_frames,
                            fps)
    with PoseExtractor() as owned:
        return _extract_all(frames, name_of, path, owned, keep_frames, fps)


def _usable(sequence: PoseSequence, retarget: bool) -> Dict[int, str]:
    """Indices of frames to skip, with the reason."""
    skipped = {}
    for t, keypoints in enumerate(sequence.keypoints):
        if not has_person(keypoints):
            skipped[t] = 'no person found'
        elif retarget and missing_mask(keypoints)[ROOT_JOINT]:
            skipped[t] = ('no neck (nor both shoulders) found, so the pose '
                          'cannot be retargeted')
    return skipped


def _driving_display(sequence: PoseSequence, t: int, driving: np.ndarray,
                     crop: Optional[FrameCrop], height: int) -> np.ndarray:
    """Frame ``t`` of the driving sequence at ``height`` pixels: the frame,
    or its skeleton drawn through ``crop`` (keypoint files)."""
    if sequence.frames is None:
        return draw_pose(crop.apply_keypoints(driving), crop.out_size)
    frame = sequence.frames[t]
    width = max(1, round(frame.shape[1] * height / frame.shape[0]))
    return cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)


def animate(inferencer: RATENetInferencer,
            source: ImageInput,
            poses: Union[str, PoseSequence],
            *,
            source_pose: Optional[PoseInput] = None,
            retarget: bool = True,
            smooth: bool = True,
            smoothing: Optional[dict] = None,
            batch_size: int = 8,
            side_by_side: bool = False,
            fps: Optional[float] = None,
            progress: Union[bool, Callable[[int, int], None]] = True,
            log: Callable[[str], None] = print) -> Animation:
    """Generate the source person in every pose of a driving sequence.

    Args:
        inferencer (RATENetInferencer): The model (its ``crop`` mode frames
            the source person).
        source (str | np.ndarray): Source photo (path or ``uint8 (H, W, 3)``
            RGB).
        poses (str | PoseSequence): Driving sequence: a video, a folder of
            frames or of keypoint JSONs (see :func:`read_pose_sequence`), or
            a :class:`PoseSequence` already read.
        source_pose (optional): The source's keypoints (JSON path,
            :class:`PoseKeypoints` or ``(18, 2)`` array in the source's
            pixels); by default extracted with MediaPipe.
        retarget (bool): Rebuild each driving pose on the source's skeleton
            (:func:`retarget_sequence`). False uses the driving skeletons
            as they are, framed by one window around the whole sequence.
            Defaults to True.
        smooth (bool): One-Euro-filter the driving keypoints over time.
            Defaults to True.
        smoothing (dict, optional): Keyword arguments of
            :func:`smooth_keypoints` (``min_cutoff``, ``beta``,
            ``d_cutoff``).
        batch_size (int): Frames per forward pass. Defaults to 8.
        side_by_side (bool): Put the driving frame (or its drawn skeleton
            for keypoint files) left of each result. Defaults to False.
        fps (float, optional): Frame rate of the result; by default the
            video's, else :data:`DEFAULT_FOLDER_FPS`. Smoothing runs at the
            video's own rate, and at this one for folders.
        progress (bool | callable): True shows MMEngine's progress bar on
            stderr; a callable is called as ``progress(done, total)`` after
            each batch (e.g. a web page's progress bar); False: nothing.
            Defaults to True.
        log (callable): Receives the report of skipped frames.

    Returns:
        Animation: The frames and what was skipped.

    Raises:
        PoseSequenceError: no usable frame in the sequence (and the errors
            of :func:`read_pose_sequence`). NoPersonError: no person in the
            source photo.
    """
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size}')
    source_name = source if isinstance(source, str) else 'the source image'
    image = read_image(source) if isinstance(source, str) else source
    src_pose = inferencer.source_keypoints(image, source_pose, source_name)
    if isinstance(poses, str):
        # MediaPipe (seconds to start) only for frames to extract poses from.
        keypoint_files = osp.isdir(poses) and bool(_sequence_files(poses)[0])
        sequence = read_pose_sequence(
            poses,
            extractor=None if keypoint_files else inferencer.extractor,
            keep_frames=side_by_side)
        where = poses
    else:
        sequence, where = poses, 'the pose sequence'
    rate = fps or sequence.fps or DEFAULT_FOLDER_FPS
    sequence_rate = sequence.fps or rate

    skipped = _usable(sequence, retarget)
    if skipped:
        listed = ', '.join(
            f'{sequence.names[t]} ({reason})'
            for t, reason in list(skipped.items())[:5])
        more = ', ...' if len(skipped) > 5 else ''
        log(f'{where}: skipped {len(skipped)} of {len(sequence.names)} '
            f'frames: {listed}{more}')
    kept = [t for t in range(len(sequence.names)) if t not in skipped]
    if not kept:
        raise PoseSequenceError(
            f'{where}: no usable pose in any of its {len(sequence.names)} '
            f'frames ({", ".join(sorted(set(skipped.values())))}); use a '
            'sequence showing one person')
    driving = sequence.keypoints[kept]
    if smooth:  # in the sequence's time: skipped frames leave gaps
        driving = smooth_keypoints(
            driving, sequence_rate,
            frame_times=np.asarray(kept, np.float64) / sequence_rate,
            **(smoothing or {}))
    if retarget:
        if missing_mask(src_pose.keypoints)[ROOT_JOINT]:
            raise NoPersonError(
                f'no neck (nor both shoulders) found in the source image '
                f'{source_name}; retargeting starts at the neck (or pass '
                'retarget=False)')
        # Retargeted straight into the model's frame, so that a joint the
        # source photo cuts off (a raised arm) stays where the window has it.
        targets = retarget_sequence(
            driving, src_pose.keypoints,
            crop=inferencer.source_crop(image.shape[:2], src_pose))
        target_crop: FrameCrop = identity_crop(inferencer.frame)
    else:
        targets = driving
        target_crop = person_crop(driving, inferencer.frame)

    results, target_keypoints = [], []
    bar = ProgressBar(len(kept), file=sys.stderr) if progress is True \
        else None
    for start in range(0, len(kept), batch_size):
        prepared = [
            inferencer.prepare(
                PairInput(image,
                          PoseKeypoints(targets[i]),
                          source_pose=src_pose,
                          name=sequence.names[kept[i]],
                          target_crop=target_crop), kept[i])
            for i in range(start, min(start + batch_size, len(kept)))
        ]
        (batch, ) = inferencer.preprocess(prepared, batch_size=len(prepared))
        predictions = inferencer.postprocess(
            inferencer.forward(batch), [], inputs=prepared)['predictions']
        results += [p['result'] for p in predictions]
        target_keypoints += [p['target_keypoints'] for p in predictions]
        if bar is not None:
            bar.update(len(prepared))
        elif callable(progress):
            progress(len(results), len(kept))
    if bar is not None:
        bar.file.write('\n')

    if side_by_side:
        height = results[0].shape[0]
        crop = None if sequence.frames is not None else person_crop(
            sequence.keypoints[kept], (height, results[0].shape[1]))
        results = [
            make_panel([
                _driving_display(sequence, t, sequence.keypoints[t], crop,
                                 height), result
            ]) for t, result in zip(kept, results)
        ]
    return Animation(results, rate, [sequence.names[t] for t in kept],
                     np.stack(target_keypoints).astype(np.float32),
                     {sequence.names[t]: r
                      for t, r in skipped.items()})
