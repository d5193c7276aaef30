"""What the web app does, without the page (``demo/ratenet_gradio.py`` only
lays it out).

:class:`PoseTransferApp` answers the page's clicks: it reads the uploads
(a source photo, a target pose from the bundled gallery, from another photo
or from a keypoint JSON), runs :class:`RATENetInferencer` and returns the
result, the ``source | target pose | result`` panel and a message for the
page. Its animation tab drives the same source photo along a pose sequence
(a bundled example, an uploaded video or uploaded keypoint JSONs, one per
frame) with :func:`~ratenet_plugin.apis.animation.animate` and returns a
looping GIF. Every problem a user can fix (a file that is not an image, a photo
without a person, a malformed JSON, no checkpoint yet) becomes that message,
naming the uploaded file by its own name; nothing raises into the web
server, so the app keeps serving. Unexpected errors are logged with their
traceback on the server and reported in one line.

Bundled examples (``demo/examples``, see ``demo/make_ratenet_examples.py``):
``sources/*.png|jpg`` are example photos, each optionally with a ``.json``
of its keypoints beside it (used when that exact image is the source: the
exact annotation of a drawn figure, which MediaPipe estimates some pixels
off); ``poses/*.json`` are the pose
gallery, drawn as skeletons; ``sequences/<name>/*.json`` are example pose
sequences, one keypoint file per frame.
"""
import glob
import hashlib
import itertools
import logging
import os
import os.path as osp
import shutil
import tempfile
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ratenet_plugin.datasets.keypoints import missing_mask
from ratenet_plugin.fileio.image_file import ImageFileError, read_image
from ratenet_plugin.fileio.keypoint_json import (PoseKeypoints,
                                                 read_keypoint_json)
from ratenet_plugin.fileio.video import (VIDEO_EXTENSIONS,
                                         UnreadableVideoError,
                                         frames_written, write_animation)
from .animation import animate
from .inferencer import RATENetInferencer
from .pose_drawing import draw_pose
from .pose_extraction import has_person

logger = logging.getLogger(__name__)

#: Where the target pose comes from (the page's tabs).
POSE_FROM_GALLERY = 'gallery'
POSE_FROM_PHOTO = 'photo'
POSE_FROM_JSON = 'json'
POSE_SOURCES = (POSE_FROM_GALLERY, POSE_FROM_PHOTO, POSE_FROM_JSON)
#: Where the pose sequence comes from (the animation tab's tabs).
SEQUENCE_FROM_EXAMPLE = 'example'
SEQUENCE_FROM_UPLOAD = 'upload'
SEQUENCE_SOURCES = (SEQUENCE_FROM_EXAMPLE, SEQUENCE_FROM_UPLOAD)
IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg')
#: Height of the gallery's skeleton drawings (pixels).
GALLERY_HEIGHT = 192


class AppInputError(ValueError):
    """An input the user can fix; the message is shown in the page."""


@dataclass
class GalleryPose:
    """One pose of the gallery.

    Attributes:
        name (str): File stem, e.g. ``'arms_raised'``.
        pose (PoseKeypoints): COCO-18 keypoints and their image size.
        drawing (np.ndarray): ``uint8 (GALLERY_HEIGHT, W, 3)`` RGB skeleton.
    """
    name: str
    pose: PoseKeypoints
    drawing: np.ndarray


@dataclass
class Generation:
    """The answer to one click of "Generate".

    Attributes:
        result (np.ndarray | None): ``uint8 (H, W, 3)`` RGB at the model's
            output size, None on error.
        panel (np.ndarray | None): ``source | target pose | result``.
        message (str): What happened, for the page (Markdown).
    """
    result: Optional[np.ndarray]
    panel: Optional[np.ndarray]
    message: str


@dataclass
class AnimationGeneration:
    """The answer to one click of "Generate animation".

    Attributes:
        gif (str | None): Path of the looping GIF (model's output size per
            frame; side by side: driving | result), None on error.
        num_frames (int): Frames in the GIF.
        skipped (dict[str, str]): Driving frames left out (no person, no
            neck), with the reason.
        message (str): What happened, for the page (Markdown).
    """
    gif: Optional[str]
    num_frames: int
    message: str
    skipped: Dict[str, str] = field(default_factory=dict)


def newest_checkpoint(work_dir: str) -> Optional[str]:
    """The most recently written ``*.pth`` directly in ``work_dir`` (where
    MMEngine's ``CheckpointHook`` saves), or None."""
    files = glob.glob(osp.join(work_dir, '*.pth'))
    return max(files, key=osp.getmtime) if files else None


def no_checkpoint_message(work_dir: str, config: str,
                          train_command: str) -> str:
    """The page's explanation when there is no checkpoint to load."""
    return (f'**No checkpoint found** in `{work_dir}`, so there is no model '
            f'to run yet. Train the demo model (about 8-15 minutes on 2 CPU '
            f'cores), then restart this app:\n\n`{train_command}`\n\n'
            f'or pass `--checkpoint PATH` (and `--config` if it was not '
            f'trained with `{config}`).')


def _sha1(path: str) -> str:
    with open(path, 'rb') as f:
        return hashlib.sha1(f.read()).hexdigest()


def read_image_upload(path: Optional[str], what: str,
                      examples: bool = True) -> np.ndarray:
    """Decode an uploaded file as ``uint8 (H, W, 3)`` RGB; ``examples``:
    the page offers example photos for it (said when nothing is uploaded).

    Raises:
        AppInputError: Nothing uploaded, or not a decodable image (the
            message names the file by its own name).
    """
    if not path:
        raise AppInputError(f'No {what}: upload a photo' +
                            (' or pick an example.' if examples else '.'))
    try:
        return read_image(path)
    except (ImageFileError, OSError):
        raise AppInputError(
            f'The {what} "{osp.basename(path)}" is not an image this app can '
            'read. Upload a photo (PNG, JPEG, BMP or WebP).') from None


def read_pose_json_upload(path: Optional[str]) -> PoseKeypoints:
    """Read an uploaded keypoint JSON (any format the keypoint reader
    accepts: coco18, OpenPose, MMPose, MediaPipe); messages name the file by
    its own name, not the server's temporary path."""
    if not path:
        raise AppInputError('No keypoint JSON: upload a .json file.')
    try:
        return read_keypoint_json(path)
    except (ValueError, OSError) as err:  # includes UnicodeDecodeError
        message = str(err).replace(path, f'"{osp.basename(path)}"')
        raise AppInputError(f'Cannot use this keypoint file: {message}') \
            from None


def load_pose_gallery(folder: str) -> List[GalleryPose]:
    """Every ``*.json`` in ``folder`` (sorted by name) with its drawing."""
    gallery = []
    for path in sorted(glob.glob(osp.join(folder, '*.json'))):
        pose = read_keypoint_json(path)
        size = pose.image_size or _keypoint_extent(pose.keypoints)
        scale = GALLERY_HEIGHT / size[0]
        width = max(1, round(size[1] * scale))
        kpts = np.where(missing_mask(pose.keypoints)[:, None], -1,
                        pose.keypoints * scale)
        gallery.append(
            GalleryPose(
                osp.splitext(osp.basename(path))[0], pose,
                draw_pose(kpts.astype(np.float32), (GALLERY_HEIGHT, width))))
    return gallery


def _keypoint_extent(keypoints: np.ndarray) -> Tuple[int, int]:
    """``(H, W)`` that holds the present keypoints, with a margin."""
    present = keypoints[~missing_mask(keypoints)]
    x_max, y_max = present.max(axis=0) if len(present) else (1., 1.)
    return int(y_max * 1.1) + 1, int(x_max * 1.1) + 1


def load_example_sequences(folder: str) -> List[str]:
    """The sub-folders of ``folder`` (sorted by name), each one example
    pose sequence; none when ``folder`` does not exist."""
    return sorted(
        path for path in glob.glob(osp.join(folder, '*')) if osp.isdir(path))


def stage_sequence_uploads(paths: Sequence[str], folder: str) -> str:
    """What :func:`~ratenet_plugin.apis.animation.read_pose_sequence`
    reads for the uploaded files: the one video itself, or a folder in
    ``folder`` holding the keypoint JSONs under their own names (frames in
    the order of their names).

    Raises:
        AppInputError: Nothing uploaded, several videos, videos mixed with
            JSONs, or two JSONs of one name.
    """
    if not paths:
        raise AppInputError('No pose sequence: upload a video or keypoint '
                            'JSON files (one per frame), or pick an example.')
    names = [osp.basename(path) for path in paths]
    jsons = [name.lower().endswith('.json') for name in names]
    if not any(jsons):
        if len(paths) > 1:
            raise AppInputError(
                f'{len(paths)} videos uploaded ({", ".join(names)}): upload '
                'one video, or keypoint JSON files (one per frame).')
        return paths[0]
    if not all(jsons):
        others = [name for name, is_json in zip(names, jsons) if not is_json]
        raise AppInputError(
            f'Upload either one video or keypoint JSON files, not both: '
            f'{", ".join(others)} is not a .json file.')
    if len(set(names)) < len(names):
        raise AppInputError('Two uploaded keypoint files have the same name; '
                            'the names give the frames\' order, so rename '
                            'them (e.g. 0000.json, 0001.json, ...).')
    staged = tempfile.mkdtemp(prefix='poses_', dir=folder)
    for path in paths:
        shutil.copyfile(path, osp.join(staged, osp.basename(path)))
    return staged


def load_example_sources(folder: str) -> Tuple[List[str], Dict[str, str]]:
    """Example photos in ``folder`` and, by the SHA-1 of their bytes, the
    keypoint JSON beside each one that has one."""
    photos, poses = [], {}
    for path in sorted(glob.glob(osp.join(folder, '*'))):
        if not path.lower().endswith(IMAGE_SUFFIXES):
            continue
        photos.append(path)
        pose_file = osp.splitext(path)[0] + '.json'
        if osp.isfile(pose_file):
            poses[_sha1(path)] = pose_file
    return photos, poses


class PoseTransferApp:
    """The web app's behaviour.

    Args:
        inferencer (RATENetInferencer | None): The model; None when there is
            no checkpoint (every click then answers ``setup_message``).
        examples_dir (str): Bundled examples (``sources/`` and ``poses/``).
        setup_message (str): Shown instead of results when ``inferencer``
            is None. Defaults to ''.
    """

    def __init__(self,
                 inferencer: Optional[RATENetInferencer],
                 examples_dir: str,
                 setup_message: str = '') -> None:
        if inferencer is None and not setup_message:
            raise ValueError('an app without a model needs a setup_message '
                             'that says how to get one')
        self.inferencer = inferencer
        self.setup_message = setup_message
        self.gallery = load_pose_gallery(osp.join(examples_dir, 'poses'))
        self.example_photos, self._example_poses = load_example_sources(
            osp.join(examples_dir, 'sources'))
        self.example_sequences = load_example_sequences(
            osp.join(examples_dir, 'sequences'))
        self._animations = itertools.count()
        self._work_dir: Optional[str] = None

    @property
    def ready(self) -> bool:
        """Whether a model is loaded."""
        return self.inferencer is not None

    def gallery_items(self) -> List[Tuple[np.ndarray, str]]:
        """``(drawing, caption)`` per gallery pose, for an image gallery."""
        return [(item.drawing, item.name) for item in self.gallery]

    def preview(self, path: Optional[str]) -> Tuple[Optional[np.ndarray], str]:
        """The chosen source photo for display (uint8 RGB), or None and why
        it cannot be used (Markdown); ``(None, '')`` when none is chosen."""
        if not path:
            return None, ''
        try:
            return read_image_upload(path, 'source photo'), ''
        except AppInputError as err:
            return None, f'**Error:** {err}'

    def generate(self,
                 source: Optional[str],
                 pose_from: str,
                 gallery_index: Optional[int] = None,
                 pose_photo: Optional[str] = None,
                 pose_json: Optional[str] = None) -> Generation:
        """Generate the source person in the chosen target pose.

        Args:
            source (str | None): Path of the uploaded or example photo.
            pose_from (str): One of :data:`POSE_SOURCES`.
            gallery_index (int | None): Selected gallery pose.
            pose_photo (str | None): Path of a photo to take the pose from.
            pose_json (str | None): Path of a keypoint JSON.

        Returns:
            Generation: Result and panel, or None and the reason.
        """
        if not self.ready:
            return Generation(None, None, self.setup_message)
        try:
            image, source_pose = self._source(source)
            target_pose = self._target(pose_from, gallery_index, pose_photo,
                                       pose_json)
            out = self.inferencer(image, target_pose, source_pose=source_pose)
        except ValueError as err:  # AppInputError, NoPersonError, ...
            return Generation(None, None, f'**Error:** {err}')
        except Exception as err:  # a bug: keep serving, log the traceback
            logger.exception('generation failed')
            return Generation(
                None, None, f'**Unexpected error** ({type(err).__name__}: '
                f'{err}); the details are in the server\'s log.')
        result = out['predictions'][0]['result']
        height, width = result.shape[:2]
        return Generation(result, out['visualization'][0],
                          f'Done: {height}x{width} result.')

    def example_sequence_names(self) -> List[str]:
        """The example sequences' names (folder names), in order."""
        return [osp.basename(path) for path in self.example_sequences]

    @property
    def work_dir(self) -> str:
        """A temporary folder of this app for the GIFs it makes and the
        uploads it stages (created on first use, removed by :meth:`close`)."""
        if self._work_dir is None:
            self._work_dir = tempfile.mkdtemp(prefix='ratenet_app_')
        return self._work_dir

    def close(self) -> None:
        """Remove the app's temporary folder and release the model's pose
        extractor (the page's server has stopped)."""
        if self._work_dir is not None:
            shutil.rmtree(self._work_dir, ignore_errors=True)
            self._work_dir = None
        if self.inferencer is not None:
            self.inferencer.close()

    def generate_animation(
            self,
            source: Optional[str],
            sequence_from: str,
            example_index: Optional[int] = None,
            uploads: Optional[Sequence[str]] = None,
            side_by_side: bool = False,
            retarget: bool = True,
            smooth: bool = True,
            progress: Optional[Callable[[int, int], None]] = None
    ) -> AnimationGeneration:
        """Animate the source person along a pose sequence into a GIF.

        Args:
            source (str | None): Path of the uploaded or example photo.
            sequence_from (str): One of :data:`SEQUENCE_SOURCES`.
            example_index (int | None): Selected example sequence.
            uploads (Sequence[str] | None): Paths of the uploaded files: one
                video, or keypoint JSONs (one per frame, in name order).
            side_by_side (bool): Driving frame (or its skeleton) left of
                each result. Defaults to False.
            retarget (bool): Rebuild the poses on the source's skeleton.
                Defaults to True.
            smooth (bool): Smooth the keypoints over time. Defaults to True.
            progress (callable, optional): ``progress(done, total)`` after
                each batch of frames.

        Returns:
            AnimationGeneration: The GIF and what was skipped, or None and
            the reason.
        """
        if not self.ready:
            return AnimationGeneration(None, 0, self.setup_message)
        staged = None
        try:
            image, source_pose = self._source(source)
            if sequence_from == SEQUENCE_FROM_EXAMPLE:
                if example_index is None or not (
                        0 <= example_index < len(self.example_sequences)):
                    raise AppInputError('No pose sequence: pick an example '
                                        'sequence.')
                poses = self.example_sequences[example_index]
            elif sequence_from == SEQUENCE_FROM_UPLOAD:
                poses = stage_sequence_uploads(uploads or [], self.work_dir)
                staged = poses if osp.isdir(poses) else None
            else:
                raise ValueError(f'sequence_from must be one of '
                                 f'{SEQUENCE_SOURCES}, got {sequence_from!r}')
            animation = animate(
                self.inferencer, image, poses, source_pose=source_pose,
                retarget=retarget, smooth=smooth, side_by_side=side_by_side,
                progress=progress or False, log=logger.info)
            gif = osp.join(self.work_dir,
                           f'animation_{next(self._animations)}.gif')
            rate = write_animation(animation.frames, gif, animation.fps)
        except ValueError as err:  # AppInputError, PoseSequenceError, ...
            message = str(err)
            if isinstance(err, UnreadableVideoError):
                # Not the command line's advice (folders): the page's.
                message = (
                    f'"{osp.basename(uploads[0])}" cannot be read as a video'
                    f'; upload one video ({", ".join(VIDEO_EXTENSIONS)}) or '
                    'keypoint JSON files (one per frame).')
            if staged is not None:
                message = message.replace(staged + os.sep, '').replace(
                    staged, 'the uploaded keypoint files')
            for path in uploads or []:
                message = message.replace(path, f'"{osp.basename(path)}"')
            return AnimationGeneration(None, 0, f'**Error:** {message}')
        except Exception as err:  # a bug: keep serving, log the traceback
            logger.exception('animation failed')
            return AnimationGeneration(
                None, 0, f'**Unexpected error** ({type(err).__name__}: '
                f'{err}); the details are in the server\'s log.')
        finally:
            if staged is not None:
                shutil.rmtree(staged, ignore_errors=True)
        height, width = animation.frames[0].shape[:2]
        shown = frames_written(len(animation.frames), animation.fps, rate)
        message = (f'Done: {shown} of {height}x{width} at {rate:g} fps; '
                   f'{len(animation.skipped)} driving frame(s) skipped')
        if animation.skipped:
            listed = list(animation.skipped.items())[:5]
            message += ': ' + ', '.join(f'{name} ({reason})'
                                        for name, reason in listed)
            message += ', ...' if len(animation.skipped) > 5 else ''
        return AnimationGeneration(gif, len(animation.frames), message + '.',
                                   animation.skipped)

    def _source(self,
                path: Optional[str]) -> Tuple[np.ndarray, PoseKeypoints]:
        """The source image and its keypoints (bundled or extracted)."""
        image = read_image_upload(path, 'source photo')
        pose_file = self._example_poses.get(_sha1(path))
        if pose_file is not None:
            return image, read_keypoint_json(pose_file)
        return image, self._extract(image, 'source photo', path)

    def _target(self, pose_from: str, gallery_index: Optional[int],
                pose_photo: Optional[str],
                pose_json: Optional[str]) -> PoseKeypoints:
        if pose_from == POSE_FROM_GALLERY:
            if gallery_index is None or not (0 <= gallery_index < len(
                    self.gallery)):
                raise AppInputError('No target pose: click a pose in the '
                                    'gallery.')
            return self.gallery[gallery_index].pose
        if pose_from == POSE_FROM_PHOTO:
            image = read_image_upload(pose_photo, 'pose photo',
                                      examples=False)
            return self._extract(image, 'pose photo', pose_photo)
        if pose_from == POSE_FROM_JSON:
            return read_pose_json_upload(pose_json)
        raise ValueError(f'pose_from must be one of {POSE_SOURCES}, got '
                         f'{pose_from!r}')

    def _extract(self, image: np.ndarray, what: str,
                 path: str) -> PoseKeypoints:
        keypoints = self.inferencer.extractor(image)
        if not has_person(keypoints):
            raise AppInputError(
                f'No person found in the {what} "{osp.basename(path)}": '
                'use a photo that shows one person, head to hips at least.')
        return PoseKeypoints(keypoints, image.shape[:2])
