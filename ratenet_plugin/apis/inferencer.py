"""RATE-Net inference on any photo: source image + target pose -> image.

:class:`RATENetInferencer` follows MMEngine's/MMagic's inferencer pattern
(config + checkpoint in, ``preprocess -> forward -> visualize ->
postprocess``), with inputs of this task:

* ``source``: an image (path or ``uint8 (H, W, 3)`` RGB array) of any size.
  Its keypoints come from MediaPipe (:class:`PoseExtractor`) unless
  ``source_pose`` is given. The person is cropped to the config's keypoint
  frame (``crop='person'``) or the whole image is letterboxed
  (``crop='full'``); keypoints move with it.
* ``target_pose``: a keypoint JSON (any format of
  :mod:`ratenet_plugin.fileio.keypoint_json`: ours, OpenPose, MMPose,
  MediaPipe), keypoints (``(18, 2)`` array or :class:`PoseKeypoints`, e.g. a
  PATN row from :meth:`RATENetInferencer.read_patn_pose`, read exactly as the
  dataset reads it), or an image whose pose is extracted.
  With ``crop='person'`` the target skeleton is framed like the source
  person; with ``crop='full'`` it is letterboxed from its own image size
  (keypoints without a known size are taken as already in the frame).
  ``PairInput.target_crop`` overrides this per request: ``'source'`` moves
  the target keypoints with the source's crop (keypoints in the source
  photo's pixels, e.g. a pose retargeted onto the source person, see
  :mod:`ratenet_plugin.apis.animation`), a :class:`FrameCrop` with that
  window.

The rest is the config's test pipeline without its loading step
(``ResizePadPose``, ``GeneratePoseHeatmap``, ``PackPoseInputs``), so
inference sees exactly what testing sees.

A RATE-Net is built without the parts only training uses (discriminators,
VGG): its generator and preprocessor, and the pipeline, are built from what
``import ratenet_plugin`` registers, without importing MMagic's model zoo or
metrics, so a single call starts in seconds (docs/benchmarks.md, "Start-up").
"""
import argparse
import copy
import os
import os.path as osp
import threading
from dataclasses import dataclass, replace
from functools import partial
from typing import (Any, Callable, Dict, List, Optional, Sequence, Set,
                    Tuple, Union)

import numpy as np
import PIL.Image
import torch
from mmengine.config import Config, ConfigDict
from mmengine.dataset import Compose
from mmengine.infer import BaseInferencer
from mmengine.registry import FUNCTIONS, init_default_scope

from ratenet_plugin.datasets.keypoints import missing_mask
from ratenet_plugin.fileio.checkpoint_file import (CheckpointMismatchError,
                                                   check_checkpoint_path,
                                                   load_state_dict_strictly,
                                                   model_state_dict,
                                                   trained_config_hint,
                                                   trained_frames)
from ratenet_plugin.fileio.errors import USER_ERRORS
from ratenet_plugin.fileio.image_file import (IMAGE_EXTENSIONS, over_white,
                                              read_image, write_image)
from ratenet_plugin.fileio.keypoint_json import (KeypointFormatError,
                                                 PoseKeypoints,
                                                 read_keypoint_json)
from ratenet_plugin.fileio.patn_csv import (OUTSIDE_TOLERANCE,
                                            read_annotation_keypoints,
                                            read_annotations, read_pairs_csv)
from ratenet_plugin.models.editors.ratenet.ratenet import RATENet
from ratenet_plugin.registry import build_from_registered
from ratenet_plugin.utils.arguments import torch_device
from ratenet_plugin.utils.channel_order import rgb_uint8
from ratenet_plugin.utils.config import (apply_model_fast_paths,
                                         import_plugin, read_config)
from ratenet_plugin.utils.config_errors import naming_config_keys
from ratenet_plugin.utils.fast_paths import detect_machine
from .person_crop import FrameCrop, full_crop, person_crop
from .pose_drawing import draw_pose, make_panel
from .pose_extraction import NoPersonError, PoseExtractor, has_person

ImageInput = Union[str, np.ndarray]
PoseInput = Union[str, np.ndarray, PoseKeypoints]
CROP_MODES = ('person', 'full')
#: Joints a target pose must keep in the model's frame (a single joint, or
#: a pose framed away, leaves the model no body to draw).
MIN_FRAMED_JOINTS = 2
# Pipeline steps that read files; the inferencer supplies images itself.
LOADING_TRANSFORMS = ('LoadPosePairFromFile', )


@dataclass
class PairInput:
    """One inference request (see :class:`RATENetInferencer`).

    ``target_crop`` places the target keypoints in the model's frame:
    ``None`` as the inferencer's ``crop`` mode says, ``'source'`` with the
    source's crop (the keypoints are in the source photo's pixels), or a
    given :class:`FrameCrop` whose ``out_size`` is the config's frame.
    """
    source: ImageInput
    target_pose: PoseInput
    source_pose: Optional[PoseInput] = None
    name: Optional[str] = None
    target_crop: Optional[Union[str, FrameCrop]] = None


def plain_input(value: Any) -> Any:
    """A path-like object as its ``str`` path and a PIL image as a uint8
    (H, W, 3) RGB array (transparent parts on white, as files are read:
    :func:`~ratenet_plugin.fileio.image_file.decode_image`); anything else
    as it is."""
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, PIL.Image.Image):
        if 'A' in value.getbands() or 'transparency' in value.info:
            rgba = np.asarray(value.convert('RGBA'))
            return over_white(rgba[..., :3], rgba[..., 3])
        return np.asarray(value.convert('RGB'))
    return value


def _stem(value: Any, default: str) -> str:
    return osp.splitext(osp.basename(value))[0] if isinstance(value,
                                                              str) else default


class SourcePoseFrameError(KeypointFormatError):
    """A source pose written for another image size than its photo's."""


def check_source_pose_frame(pose: PoseKeypoints,
                            image_size: Tuple[int, int], given: Any,
                            source_name: str) -> None:
    """A source pose must be in its photo's pixels: one whose file names
    another image size (e.g. written for a crop) would put the person in the
    wrong place without a word.

    Raises:
        SourcePoseFrameError: the sizes differ, or a pose without a size
            has no joint on the photo.
    """
    what = given if isinstance(given, str) else 'the source pose given'
    if pose.image_size is None:
        # No size to compare: the joints themselves must lie on the photo.
        height, width = image_size
        present = ~missing_mask(pose.keypoints)
        x, y = pose.keypoints[present].T
        if present.any() and not ((x > -0.5) & (x < width - 0.5) & (y > -0.5)
                                  & (y < height - 0.5)).any():
            raise SourcePoseFrameError(
                f'{what}: none of its {int(present.sum())} joints lies on '
                f'the source image {source_name} ({height}x{width}); give '
                'the keypoints in its pixels (tools/extract_pose.py without '
                '--crop-size) or leave the source pose out to extract it')
        return
    if tuple(pose.image_size) == tuple(image_size):
        return
    raise SourcePoseFrameError(
        f'{what}: keypoints of a {pose.image_size[0]}x{pose.image_size[1]} '
        f'image, but the source image {source_name} is '
        f'{image_size[0]}x{image_size[1]}; give the keypoints in its pixels '
        '(tools/extract_pose.py without --crop-size) or leave the source '
        'pose out to extract it')


def _unique_name(name: str, taken: Set[str]) -> str:
    """``name``, or ``name_2``, ``name_3``, ... where it is ``taken`` (two
    results of one call must not overwrite each other's files); the name
    returned is added to ``taken``."""
    unique, count = name, 1
    while unique in taken:
        count += 1
        unique = f'{name}_{count}'
    taken.add(unique)
    return unique


class RATENetInferencer(BaseInferencer):
    """Pose-guided person image synthesis with a trained RATE-Net.

    Args:
        config (str | Config): Model config (the training config).
        checkpoint (str, optional): Checkpoint to load (strictly: every
            weight must match). None runs a randomly initialised model, with
            a warning; only useful for tests.
        device (str): ``'cpu'``, ``'cuda'``, ``'cuda:1'``... Defaults to
            ``'cpu'``.
        crop (str): ``'person'`` (crop around the person) or ``'full'``
            (letterbox the whole image). Defaults to ``'person'``.
        min_visibility (float): MediaPipe visibility below which a joint is
            missing. Defaults to 0.5.
        amp (bool, optional): Generate under autocast: bfloat16, or on a
            GPU without native bfloat16 float16. None (the default) follows
            the config's ``fast_paths`` for ``device``, as training does
            (``'auto'``: on where the CPU has native bfloat16, AVX512-BF16 or
            AMX, or the GPU has native bfloat16; a config without
            ``fast_paths``: float32). The images then differ from
            float32's by a few 8-bit levels (docs/benchmarks.md).
        channels_last (bool, optional): channels_last weights; None follows
            the config's ``fast_paths`` (``'auto'``: on for CPU).

    Raises:
        UserInputError: No config file at ``config`` (``read_config``);
            ``CheckpointError`` (a ``UserInputError``): no checkpoint file
            at ``checkpoint``, or one that cannot be read or does not fit
            the model.

    Example:
        >>> inferencer = RATENetInferencer(
        ...     'configs/ratenet/'
        ...     'ratenet_full_1xb7-40kcycles_deepfashion-256x176.py',
        ...     'iter_40000.pth')
        >>> out = inferencer('person.jpg', 'pose.json',
        ...                  result_out_dir='results', save_panel=True)
        >>> out['predictions'][0]['result'].shape   # (H, W, 3) uint8 RGB
    """
    preprocess_kwargs: set = set()
    forward_kwargs: set = set()
    visualize_kwargs: set = {'result_out_dir', 'save_panel'}
    postprocess_kwargs: set = set()

    def __init__(self,
                 config: Union[str, Config],
                 checkpoint: Optional[str] = None,
                 device: str = 'cpu',
                 *,
                 crop: str = 'person',
                 min_visibility: float = 0.5,
                 amp: Optional[bool] = None,
                 channels_last: Optional[bool] = None) -> None:
        self._extractor: Optional[PoseExtractor] = None
        self._extractor_lock = threading.Lock()
        self.crop = crop  # checked first
        self.min_visibility = min_visibility
        cfg = read_config(config) if isinstance(config, str) else \
            copy.deepcopy(config)
        if checkpoint is not None:
            checkpoint = check_checkpoint_path(checkpoint)
        init_default_scope(cfg.get('default_scope', 'mmagic'))
        import_plugin(cfg)
        #: The autocast dtype of generation (None: the weights' float32).
        self.autocast_dtype = self._apply_fast_paths(cfg, device, amp,
                                                     channels_last)
        self._checkpoint_path = checkpoint
        self._config_path = config if isinstance(config, str) else \
            cfg.filename
        with naming_config_keys(cfg):  # a config value or key of the model
            super().__init__(
                cfg, checkpoint, device, scope='mmagic', show_progress=False)

    # ------------------------------------------------------------ set-up
    @staticmethod
    def _apply_fast_paths(cfg: Config, device: str, amp: Optional[bool],
                          channels_last: Optional[bool]
                          ) -> Optional[torch.dtype]:
        """The config's ``fast_paths`` resolved for ``device`` as training
        resolves them (:func:`apply_model_fast_paths`: the layout set on
        ``cfg.model`` in place, the choice logged in one line); returns the
        autocast dtype (bfloat16, or float16 on a GPU without bfloat16;
        None for float32)."""
        device_type = torch.device(device).type
        machine = detect_machine(device_type)
        resolved = apply_model_fast_paths(
            cfg, amp=amp, channels_last=channels_last, machine=machine)
        if resolved is None or not resolved[0].amp:
            return None
        if device_type == 'cuda' and not machine.gpu_bf16:
            return torch.float16
        return torch.bfloat16

    def _init_model(self, cfg: ConfigDict, weights: Optional[str],
                    device: str) -> torch.nn.Module:
        """Build the model and load ``weights``; a RATENet without the
        parts only training uses (:meth:`RATENet.generation_only`), both
        from the registered types (:func:`build_from_registered`)."""
        if cfg.model.get('type') in ('RATENet', RATENet):
            cfg = copy.deepcopy(cfg)
            cfg.model = ConfigDict(RATENet.generation_only(cfg.model))
        return build_from_registered(
            partial(super()._init_model, cfg, weights, device))

    def _load_weights_to_model(self, model: torch.nn.Module,
                               checkpoint: Optional[dict],
                               cfg: Optional[ConfigDict]) -> None:
        """Strict loading: a checkpoint of another architecture raises
        :class:`CheckpointMismatchError` naming the file and the keys.
        The weights of the parts a generation-only RATENet leaves out
        (discriminators, VGG) are not read."""
        if checkpoint is None:
            super()._load_weights_to_model(model, checkpoint, cfg)
            return
        frames = trained_frames(checkpoint)
        dataset = cfg.test_dataloader.dataset
        frame = tuple(dataset.get('keypoint_frame', ()))
        resizes = any(step.get('type') == 'ResizePadPose'
                      for step in dataset.get('pipeline', []))
        if (len(frames) == 1 and len(frame) == 2 and frame not in frames
                and not resizes):
            # Convolutions run at any size: a model trained on other images
            # generated at the config's size without a word.
            (height, width), = frames
            raise CheckpointMismatchError(
                f'{self._checkpoint_path} was trained on {height}x{width} '
                'images (the keypoint_frame of the config in its meta), and '
                f'{self._config_path or "the config"} generates at '
                f'{frame[0]}x{frame[1]}: pass the config its run '
                'wrote to the work dir, or one with image_size = '
                f'({height}, {width})')
        state_dict = model_state_dict(
            checkpoint, f'checkpoint {self._checkpoint_path}')
        if isinstance(model, RATENet) and not model.can_train:
            state_dict = RATENet.generation_state_dict(state_dict)
        load_state_dict_strictly(
            model, state_dict, self._checkpoint_path,
            f'the model of {self._config_path or "the config"} '
            f'({type(model).__name__})',
            trained_config_hint(checkpoint, self._config_path))

    def _init_pipeline(self, cfg: ConfigDict) -> Compose:
        """The test pipeline without its loading step."""
        dataset = cfg.test_dataloader.dataset
        if 'keypoint_frame' not in dataset:
            raise KeyError('the config\'s test_dataloader.dataset has no '
                           'keypoint_frame: the (H, W) that inputs are '
                           'cropped to')
        self.frame: Tuple[int, int] = tuple(dataset.keypoint_frame)
        self.outside_tolerance = float(
            dataset.get('outside_tolerance', OUTSIDE_TOLERANCE))
        steps = [
            step for step in dataset.pipeline
            if step['type'] not in LOADING_TRANSFORMS
        ]
        return build_from_registered(partial(Compose, steps))

    def _init_collate(self, cfg: ConfigDict) -> Callable:
        """The test dataloader's ``collate_fn`` (MMEngine's ``FUNCTIONS``;
        MMagic has no registry of its own), ``pseudo_collate`` by default as
        in the Runner."""
        collate_cfg = dict(
            cfg.test_dataloader.get('collate_fn',
                                    dict(type='pseudo_collate')))
        collate_fn = FUNCTIONS.get(collate_cfg.pop('type'))
        return partial(collate_fn, **collate_cfg)

    def _init_visualizer(self, cfg: ConfigDict) -> None:
        """Panels are drawn by :meth:`visualize`; no MMEngine visualiser."""
        return None

    @property
    def crop(self) -> str:
        """How the source is framed: ``'person'`` or ``'full'``
        (:data:`CROP_MODES`); may change between calls."""
        return self._crop

    @crop.setter
    def crop(self, mode: str) -> None:
        if mode not in CROP_MODES:
            raise ValueError(f'crop must be one of {CROP_MODES}, got {mode!r}')
        self._crop = mode

    @property
    def min_visibility(self) -> float:
        """MediaPipe's visibility below which a joint is missing; changed
        between calls, the extractor is made again with it."""
        return self._min_visibility

    @min_visibility.setter
    def min_visibility(self, value: float) -> None:
        if value != getattr(self, '_min_visibility', value):
            self.close()
        self._min_visibility = value

    @property
    def extractor(self) -> PoseExtractor:
        """The MediaPipe extractor, created on first use (one for all
        threads: it takes one image at a time)."""
        with self._extractor_lock:
            if self._extractor is None:
                self._extractor = PoseExtractor(
                    min_visibility=self.min_visibility)
            return self._extractor

    # ---------------------------------------------------------- inputs
    def read_patn_pose(self, ann_file: str, name: str) -> PoseKeypoints:
        """The keypoints of image ``name`` in a PATN annotation CSV, read as
        the config's dataset reads them (flattened names, its
        ``keypoint_frame`` and ``outside_tolerance``), in that frame."""
        return PoseKeypoints(
            read_annotation_keypoints(ann_file, name, self.frame,
                                      self.outside_tolerance), self.frame)

    def source_keypoints(self, image: np.ndarray,
                         source_pose: Optional[PoseInput],
                         source_name: str) -> PoseKeypoints:
        """The source person's keypoints, in the pixels of ``image``.

        Args:
            image (np.ndarray): The source photo, uint8 (H, W, 3) RGB.
            source_pose (optional): Its keypoints (JSON path,
                :class:`PoseKeypoints` or (18, 2) array in its pixels, COCO-18
                order); None extracts them with MediaPipe.
            source_name (str): How error messages name the photo.

        Raises:
            NoPersonError: no person found, or a source pose without joints.
            KeypointFormatError: a source pose of another image size.
        """
        if source_pose is None:
            return self._extract(image, 'source', source_name)
        pose = self._read_pose(source_pose, 'source_pose', source_name)
        check_source_pose_frame(pose, image.shape[:2], source_pose,
                                source_name)
        if not has_person(pose.keypoints):
            raise NoPersonError(f'source_pose of {source_name} has no joints')
        return pose

    def _read_pose(self, pose: PoseInput, role: str,
                   name: str) -> PoseKeypoints:
        """Keypoints from a JSON, an image (extracted) or an array."""
        if isinstance(pose, PoseKeypoints):
            return pose
        if isinstance(pose, np.ndarray):
            if pose.shape == (18, 2):
                return PoseKeypoints(pose.astype(np.float32))
            if pose.ndim == 3 and pose.shape[2] == 3:
                return self._extract(pose, role, name)
            raise ValueError(f'{role} of {name}: an array must be (18, 2) '
                             'keypoints (COCO-18, x y) or a uint8 (H, W, 3) '
                             f'RGB image, got shape {pose.shape}')
        if not isinstance(pose, str):
            raise TypeError(f'{role} must be a path, an (18, 2) keypoint '
                            f'array, PoseKeypoints or an image array, got '
                            f'{type(pose).__name__}')
        if pose.lower().endswith('.json'):
            return read_keypoint_json(pose)
        if pose.lower().endswith(IMAGE_EXTENSIONS):
            return self._extract(read_image(pose), role, pose)
        raise KeypointFormatError(
            f'{role} {pose!r}: expected a .json keypoint file or an image '
            f'({", ".join(IMAGE_EXTENSIONS)}); for a PATN annotation row use '
            'RATENetInferencer.read_patn_pose(csv, name) (tools/infer.py: '
            '--target-pose CSV --target-name ROW)')

    def _extract(self, image: np.ndarray, role: str,
                 name: str) -> PoseKeypoints:
        keypoints = self.extractor(image)
        if not has_person(keypoints):
            raise NoPersonError(
                f'no person found in the {role} image {name}: MediaPipe '
                'detected no body. Use a photo showing one person, or pass '
                'the keypoints as JSON.')
        return PoseKeypoints(keypoints, image.shape[:2])

    def source_crop(self, image_size: Tuple[int, int],
                    src_pose: PoseKeypoints) -> FrameCrop:
        """The window of an ``(H, W)`` source image that becomes the model's
        frame: around the person (``crop='person'``) or the whole image."""
        if self.crop == 'person':
            return person_crop(src_pose.keypoints, self.frame)
        return full_crop(image_size, self.frame)

    def _crops(self, image_size: Tuple[int, int], src_pose: PoseKeypoints,
               tgt_pose: PoseKeypoints,
               target_crop: Optional[Union[str, FrameCrop]]
               ) -> Tuple[FrameCrop, FrameCrop]:
        """Where the source image and the target skeleton go in the frame
        (``target_crop``: see :class:`PairInput`)."""
        src_crop = self.source_crop(image_size, src_pose)
        if target_crop == 'source':
            return src_crop, src_crop
        if isinstance(target_crop, FrameCrop):
            if target_crop.out_size != self.frame:
                raise ValueError(
                    f'target_crop maps to {target_crop.out_size}, but the '
                    f'config\'s keypoint frame is {self.frame}')
            return src_crop, target_crop
        if target_crop is not None:
            raise ValueError("target_crop must be None, 'source' or a "
                             f'FrameCrop, got {target_crop!r}')
        if self.crop == 'person':
            return src_crop, person_crop(tgt_pose.keypoints, self.frame)
        return src_crop, full_crop(tgt_pose.image_size or self.frame,
                                   self.frame)

    def _check_target_framed(self, pose: PoseKeypoints, framed: np.ndarray,
                             given: Any, source_name: str) -> None:
        """A target pose must keep at least :data:`MIN_FRAMED_JOINTS`
        joints in the model's frame: with fewer the model is asked for a
        person without a body and paints a smear.

        Raises:
            NoPersonError: fewer joints left in the frame.
        """
        inside = int((~missing_mask(framed)).sum())
        if inside >= MIN_FRAMED_JOINTS:
            return
        total = int((~missing_mask(pose.keypoints)).sum())
        what = (f'target_pose {given}' if isinstance(given, str) else
                f'the target_pose given for {source_name}')
        height, width = self.frame
        if total < MIN_FRAMED_JOINTS:
            why = (f'it has {total} joint, and a person needs at least '
                   f'{MIN_FRAMED_JOINTS} to be placed in the frame; give a '
                   'pose of the whole body')
        elif self.crop == 'full' and pose.image_size is None:
            why = (f'{inside} of its {total} joints lie inside the model\'s '
                   f'{height}x{width} frame: the file gives no image size, so '
                   "crop='full' takes its keypoints to be in that frame's "
                   'pixels; add "image_size": [H, W] (the coco18 format) or '
                   "use crop='person' (tools: --crop person)")
        else:
            why = (f'{inside} of its {total} joints lie inside the model\'s '
                   f'{height}x{width} frame; give a pose of the whole body')
        raise NoPersonError(f'{what}: {why}')

    def prepare(self, request: PairInput, index: int = 0) -> dict:
        """Crop the source, fit the target pose, run the test pipeline.

        Returns:
            dict: ``packed`` (the pipeline's output for the model), ``name``,
            ``source`` (the source as the model sees it, uint8 RGB),
            ``target_keypoints`` (in the model's frame).
        """
        request = replace(request,
                          source=plain_input(request.source),
                          target_pose=plain_input(request.target_pose),
                          source_pose=plain_input(request.source_pose))
        source = request.source
        source_name = source if isinstance(source, str) else f'source #{index}'
        image = read_image(source) if isinstance(source, str) else source
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f'{source_name}: expected a uint8 (H, W, 3) RGB '
                             f'image, got {image.dtype} {image.shape}')
        src_pose = self.source_keypoints(image, request.source_pose,
                                         source_name)
        tgt_pose = self._read_pose(request.target_pose, 'target_pose',
                                   source_name)
        if not has_person(tgt_pose.keypoints):
            target = request.target_pose
            raise NoPersonError(
                f'target_pose {target} has no joints' if isinstance(
                    target, str) else
                f'the target_pose given for {source_name} has no joints')

        src_crop, tgt_crop = self._crops(image.shape[:2], src_pose, tgt_pose,
                                         request.target_crop)
        tgt_keypoints = tgt_crop.apply_keypoints(tgt_pose.keypoints)
        if request.target_crop is None:
            self._check_target_framed(tgt_pose, tgt_keypoints,
                                      request.target_pose, source_name)
        name = request.name or (f'{_stem(source, f"source{index}")}___'
                                f'{_stem(request.target_pose, "pose")}')
        height, width = self.frame
        results = dict(
            src_img=src_crop.apply_image(image),
            # No target photo at inference: a blank placeholder keeps the
            # test pipeline (which packs a pair) unchanged.
            tgt_img=np.full((height, width, 3), 255, np.uint8),
            src_keypoints=src_crop.apply_keypoints(src_pose.keypoints),
            tgt_keypoints=tgt_keypoints,
            keypoint_frame=self.frame,
            src_name=source_name,
            tgt_name=str(request.target_pose) if isinstance(
                request.target_pose, str) else 'target pose',
            src_img_path=source if isinstance(source, str) else '',
            tgt_img_path='')
        packed = self.pipeline(results)
        return dict(
            packed=packed,
            name=name,
            source=packed['inputs']['src_img'].permute(1, 2, 0).numpy(),
            target_keypoints=packed['data_samples'].metainfo['tgt_keypoints'])

    # ----------------------------------------------------------- stages
    def preprocess(self, inputs: List[dict], batch_size: int = 1, **kwargs):
        """Yield collated batches of prepared inputs."""
        for chunk in self._get_chunk_data(iter(inputs), batch_size):
            yield self.collate_fn([item['packed'] for item in chunk])

    def visualize(self,
                  inputs: List[dict],
                  preds: List[Any],
                  result_out_dir: Optional[str] = None,
                  save_panel: bool = False) -> List[np.ndarray]:
        """Build ``source | target pose | result`` panels; write
        ``<name>.png`` (and ``<name>_panel.png``) to ``result_out_dir``."""
        panels = []
        if result_out_dir:
            os.makedirs(result_out_dir, exist_ok=True)
        for item, pred in zip(inputs, preds):
            result = self._to_rgb_uint8(pred)
            skeleton = draw_pose(item['target_keypoints'], result.shape[:2])
            panel = make_panel([item['source'], skeleton, result])
            panels.append(panel)
            if result_out_dir:
                base = osp.join(result_out_dir, item['name'])
                write_image(base + '.png', result)
                if save_panel:
                    write_image(base + '_panel.png', panel)
        return panels

    def postprocess(self, preds: List[Any], visualization: List[np.ndarray],
                    return_datasamples: bool = False,
                    inputs: Sequence[dict] = ()) -> Dict[str, list]:
        """``predictions``: per input ``name``, ``result`` (uint8 RGB) and
        ``target_keypoints``; ``visualization``: the panels."""
        predictions = []
        for item, pred in zip(inputs, preds):
            entry = dict(
                name=item['name'],
                result=self._to_rgb_uint8(pred),
                target_keypoints=np.asarray(item['target_keypoints']))
            if return_datasamples:
                entry['datasample'] = pred
            predictions.append(entry)
        return dict(predictions=predictions, visualization=visualization)

    @staticmethod
    def _to_rgb_uint8(pred: Any) -> np.ndarray:
        """``output.pred_img`` (3, H, W) float [0, 255] in the sample's
        channel order -> uint8 (H, W, 3) RGB."""
        if 'channel_order' not in pred.metainfo:
            raise KeyError('the model\'s test_step outputs must state their '
                           'channel_order (RGB or BGR) in the metainfo')
        return rgb_uint8(pred.output.pred_img, pred)

    def __call__(self,
                 source: Union[ImageInput, Sequence[ImageInput]],
                 target_pose: Union[PoseInput, Sequence[PoseInput]],
                 *,
                 source_pose: Optional[Union[PoseInput,
                                             Sequence[PoseInput]]] = None,
                 batch_size: int = 1,
                 return_datasamples: bool = False,
                 **kwargs) -> Dict[str, list]:
        """Generate ``source`` under ``target_pose``.

        ``source``, ``target_pose`` (and ``source_pose``) are single items
        or equally long lists. Keyword arguments ``result_out_dir`` and
        ``save_panel`` go to :meth:`visualize`.

        Returns:
            dict: ``predictions`` (list of dicts with ``name``, ``result``
            uint8 (H, W, 3) RGB at the model's output size,
            ``target_keypoints``) and ``visualization`` (panels).

        Raises:
            NoPersonError: no person in a source (or target) image.
            FileNotFoundError / KeypointFormatError / ImageFileError: bad
            input files (ImageFileError: empty, truncated or not an image).
        """
        _, _, visualize_kwargs, _ = self._dispatch_kwargs(**kwargs)
        return self._run(
            self._to_requests(source, target_pose, source_pose), batch_size,
            return_datasamples, visualize_kwargs)

    def forward(self, inputs: Union[dict, tuple], **kwargs) -> Any:
        """MMEngine's forward (``test_step`` without gradients), under
        :attr:`autocast_dtype`'s autocast where one was chosen."""
        if self.autocast_dtype is None:
            return super().forward(inputs, **kwargs)
        device_type = next(self.model.parameters()).device.type
        with torch.autocast(device_type, dtype=self.autocast_dtype):
            return super().forward(inputs, **kwargs)

    def _run(self, requests: List[PairInput], batch_size: int,
             return_datasamples: bool,
             visualize_kwargs: dict) -> Dict[str, list]:
        prepared, names = [], set()
        for index, request in enumerate(requests):
            prepared.append(self.prepare(request, index))
            prepared[-1]['name'] = _unique_name(prepared[-1]['name'], names)
        return self._predict(prepared, batch_size, return_datasamples,
                             visualize_kwargs)

    def _predict(self, prepared: List[dict], batch_size: int,
                 return_datasamples: bool,
                 visualize_kwargs: dict) -> Dict[str, list]:
        preds: List[Any] = []
        for batch in self.preprocess(prepared, batch_size=batch_size):
            preds.extend(self.forward(batch))
        visualization = self.visualize(prepared, preds, **visualize_kwargs)
        return self.postprocess(preds, visualization, return_datasamples,
                                inputs=prepared)

    @staticmethod
    def _to_requests(source, target_pose, source_pose) -> List[PairInput]:
        """Requests from single items or lists; one target pose (not a
        list) is used for every source."""
        if not isinstance(source, (list, tuple)):
            return [PairInput(source, target_pose, source_pose)]
        many = isinstance(target_pose, (list, tuple))
        targets = list(target_pose) if many else [target_pose] * len(source)
        if source_pose is None:
            source_poses = [None] * len(source)
        elif isinstance(source_pose, (list, tuple)):
            source_poses = list(source_pose)
        else:
            raise ValueError(
                f'got {len(source)} sources and one source_pose: give a '
                'list of one source pose per source (None for those to '
                'extract)')
        if not len(source) == len(targets) == len(source_poses):
            raise ValueError(
                f'got {len(source)} sources, {len(targets)} target poses and '
                f'{len(source_poses)} source poses; they must pair up (or '
                'give one target pose for all)')
        return [
            PairInput(s, t, p)
            for s, t, p in zip(source, targets, source_poses)
        ]

    def infer_pairs(self,
                    pairs_file: str,
                    image_dir: str,
                    result_out_dir: str,
                    *,
                    pose_dir: Optional[str] = None,
                    annotation_file: Optional[str] = None,
                    save_panel: bool = False,
                    batch_size: int = 1,
                    log: Callable[[str], None] = print
                    ) -> Tuple[List[str], List[str]]:
        """Batch mode over a PATN pairs CSV (``from,to``).

        Each source is ``image_dir/<from>``; the target pose is
        ``pose_dir/<to stem>.json`` when ``pose_dir`` is given, else it is
        extracted from ``image_dir/<to>``; the source's pose is
        ``pose_dir/<from stem>.json`` where that file exists (e.g.
        ``tools/extract_pose.py`` over the image folder, or annotations
        written as JSON: the benchmark's poses) and was written for the
        source's size (else, logged, extracted from the source, as without
        the file). With ``annotation_file`` (a PATN annotation CSV, e.g. the
        test set's) both poses are its rows instead, read as the dataset
        reads them, in the config's keypoint frame: with ``crop='full'`` and
        float32 the results are what ``tools/test.py`` generates for the
        same pairs, for ``tools/score_folder.py``. Results are written as
        ``<from stem>___<to stem>.png`` (and ``..._panel.png``; ``..._2.png``
        and so on for a name taken by an earlier pair, e.g. ``a.jpg,b.jpg``
        after ``a.png,b.jpg``), a batch at a time as they are generated. A
        pair whose
        input is a user error (missing, empty or damaged image, no person,
        bad JSON: :data:`~ratenet_plugin.fileio.errors.USER_ERRORS`) is
        reported through ``log`` with its pairs-file line and skipped; the
        other pairs are still written.

        Returns:
            tuple[list[str], list[str]]: Written result files, and the pairs
            (``'<from> -> <to>'``) that failed, in pairs-file order.
        """
        written: List[str] = []
        failed: List[str] = []
        names: Set[str] = set()
        batch: List[dict] = []

        def generate_batch() -> None:
            # Generated and written a batch at a time: memory does not grow
            # with the pairs file, and what is done is on disk.
            results = self._predict(batch, batch_size, False,
                                    dict(result_out_dir=result_out_dir,
                                         save_panel=save_panel))
            written.extend(
                osp.join(result_out_dir, pred['name'] + '.png')
                for pred in results['predictions'])
            batch.clear()

        if pose_dir and annotation_file:
            raise ValueError('give pose_dir or annotation_file, not both')
        annotated = None if annotation_file is None else read_annotations(
            annotation_file, self.frame, self.outside_tolerance)

        def annotation(name: str, where: str) -> PoseKeypoints:
            return PoseKeypoints(
                annotated.keypoints_of(name, annotation_file, where),
                self.frame)

        for index, pair in enumerate(read_pairs_csv(pairs_file)):
            name = f'{_stem(pair.source, "")}___{_stem(pair.target, "")}'
            where = f'{pairs_file}, line {pair.line}'
            try:
                if annotated is not None:
                    request = PairInput(
                        osp.join(image_dir, pair.source),
                        annotation(pair.target, where),
                        source_pose=annotation(pair.source, where),
                        name=name)
                else:
                    target = osp.join(
                        pose_dir, _stem(pair.target, '') +
                        '.json') if pose_dir else osp.join(
                            image_dir, pair.target)
                    source_pose = osp.join(
                        pose_dir, _stem(pair.source, '') +
                        '.json') if pose_dir else None
                    request = PairInput(
                        osp.join(image_dir, pair.source), target,
                        source_pose=source_pose if source_pose
                        and osp.isfile(source_pose) else None,
                        name=name)
                try:
                    batch.append(self.prepare(request, index))
                except SourcePoseFrameError as error:
                    # E.g. JSONs written for crops next to the photos.
                    log(f'{pairs_file}, line {pair.line}: {error}; the '
                        'source\'s pose is extracted instead')
                    batch.append(self.prepare(
                        replace(request, source_pose=None), index))
            except USER_ERRORS as error:
                log(f'{pairs_file}, line {pair.line} ({pair.source} -> '
                    f'{pair.target}): skipped: {error}')
                failed.append(f'{pair.source} -> {pair.target}')
                continue
            batch[-1]['name'] = _unique_name(batch[-1]['name'], names)
            if len(batch) == batch_size:
                generate_batch()
        if batch:
            generate_batch()
        return written, failed

    @classmethod
    def from_args(cls,
                  args: argparse.Namespace,
                  checkpoint: Optional[str] = None) -> 'RATENetInferencer':
        """The inferencer a tool's command line asks for.

        Args:
            args (argparse.Namespace): Parsed arguments with ``config``,
                ``checkpoint`` and those of :func:`add_inferencer_arguments`.
            checkpoint (str, optional): Overrides ``args.checkpoint`` (the
                web app finds the newest one in its work dir).
        """
        return cls(
            args.config,
            checkpoint if checkpoint is not None else args.checkpoint,
            args.device,
            crop=args.crop,
            amp=args.amp,
            channels_last=args.channels_last)

    def close(self) -> None:
        """Release the MediaPipe graph, if one was created."""
        with self._extractor_lock:
            if self._extractor is not None:
                self._extractor.close()
                self._extractor = None


def add_inferencer_arguments(parser: argparse.ArgumentParser) -> None:
    """The command-line arguments of every tool that generates
    (``tools/infer.py``, ``tools/animate.py``, the web app) besides the
    config and the checkpoint, whose defaults differ per tool: ``--device``,
    ``--crop``, ``--amp/--no-amp`` and ``--channels-last/--no-channels-last``
    (None when not given: the config's ``fast_paths`` decide). Read back by
    :meth:`RATENetInferencer.from_args`."""
    parser.add_argument('--device', type=torch_device, default='cpu',
                        help="'cpu', 'cuda' or 'cuda:N' (default: cpu)")
    parser.add_argument(
        '--crop', choices=CROP_MODES, default='person',
        help='crop around the source person (default) or letterbox the '
        'whole photo')
    parser.add_argument(
        '--amp', action=argparse.BooleanOptionalAction, default=None,
        help='generate under bfloat16 autocast; --no-amp: float32. Default: '
        "the config's fast_paths (auto: bf16 where the CPU has native bf16, "
        'docs/benchmarks.md)')
    parser.add_argument(
        '--channels-last', action=argparse.BooleanOptionalAction,
        default=None,
        help="channels_last weights. Default: the config's fast_paths (auto: "
        'on for CPU)')
