"""RATE-Net behind MMagic's own inference API (``mmagic.apis``).

MMagic 1.2.0's entry point is ``MMagicInferencer(model_name=...,
model_config=..., model_ckpt=...).infer(img=..., result_out_dir=...)``. It
cannot take a model from a plugin as it stands, and nothing in it is a
registry a plugin could join:

* ``model_name`` must be in the class list
  ``MMagicInferencer.inference_supported_models``, and its metafile is read
  from MMagic's own ``configs/<name>/metafile.yml``;
* the task is then mapped to an inferencer class by a fixed ``if/elif``
  chain in ``mmagic.apis.inferencers.Inferencers.__init__``
  (``Unknown inferencer task`` for anything else; without ``model_name``
  the task is ``None``, so ``model_config`` alone never works);
* the one image-to-image task, ``'translation'`` (``TranslationInferencer``),
  requires a ``BaseTranslationModel`` and one input image, while pose
  transfer needs an image and a pose.

Adding ``'ratenet'`` to either would mean changing MMagic's class state
or source. What a plugin can do, and this module does:

* :class:`PoseTransferInferencer`: a ``BaseMMagicInferencer`` (MMagic's base
  class of its task inferencers, like its ``TranslationInferencer``) for
  pose transfer. It has MMagic's calling convention (keyword inputs
  dispatched by ``func_kwargs``, ``extra_parameters``, ``result_out_dir``
  a file, ``postprocess`` returning ``(results, images)``) and runs
  RATE-Net through :class:`RATENetInferencer`, whose preprocessing it reuses.
* :class:`RATENetMMagicInferencer`: a subclass of MMagic's entry point
  ``MMagicInferencer`` whose constructor builds a
  :class:`PoseTransferInferencer` where MMagic's would dispatch through its
  task chain; ``infer``, ``print_extra_parameters`` and the rest are
  MMagic's own.

Example:
    >>> editor = RATENetMMagicInferencer(
    ...     model_config='configs/ratenet/'
    ...     'ratenet_demo-pat32x22_1xb4-1800cycles_synthetic-64x44.py',
    ...     model_ckpt='work_dirs/ratenet_demo-pat32x22_1xb4-1800cycles_synthetic-64x44/'
    ...     'iter_1800.pth', device='cpu')
    >>> result, image = editor.infer(img='person.jpg', target_pose='pose.json',
    ...                              result_out_dir='out/result.png')
    >>> result['result'].shape   # (H, W, 3) uint8 RGB
"""
import os
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmagic.apis import MMagicInferencer
from mmagic.apis.inferencers.base_mmagic_inferencer import \
    BaseMMagicInferencer

from ..fileio.image_file import write_image
from .inferencer import (ImageInput, PairInput, PoseInput,
                         RATENetInferencer)
from .pose_drawing import make_panel


def _as_list(value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


class PoseTransferInferencer(BaseMMagicInferencer):
    """MMagic-style inferencer for pose-guided person image synthesis.

    Called with keywords, as MMagic's inferencers are::

        results, images = inferencer(img='person.jpg',
                                     target_pose='pose.json',
                                     result_out_dir='out/result.png')

    ``img`` (source photos), ``target_pose`` and ``source_pose`` are what
    :class:`RATENetInferencer` takes (one each, or equally long lists; image
    arrays are RGB). ``result_out_dir`` is the file the result is written
    to (several results side by side), as for MMagic's inferencers.
    ``results`` is a dict (a list of dicts for several inputs) with
    ``name``, ``result`` (``uint8 (H, W, 3)`` RGB) and ``target_keypoints``
    (``(18, 2)`` in the result's pixels); ``images`` are the results.

    Args:
        config (str | Config): RATE-Net config.
        ckpt (str, optional): Checkpoint (loaded strictly).
        device (str, optional): Defaults to CUDA when available, else CPU.
        extra_parameters (dict, optional): ``crop`` (``'person'`` or
            ``'full'``), ``min_visibility``, ``amp`` and ``channels_last``
            of :class:`RATENetInferencer` (the last two None: the config's
            ``fast_paths``).
        seed (int): MMagic seeds its random generators with it. Defaults to
            2022.
    """
    func_kwargs = dict(
        preprocess=['img', 'target_pose', 'source_pose'],
        forward=[],
        visualize=['result_out_dir'],
        postprocess=['get_datasample'])
    extra_parameters = dict(
        crop='person', min_visibility=0.5, amp=None, channels_last=None)

    def __init__(self,
                 config: Union[str, Config],
                 ckpt: Optional[str],
                 device: Optional[str] = None,
                 extra_parameters: Optional[Dict] = None,
                 seed: int = 2022,
                 **kwargs) -> None:
        # MMagic updates extra_parameters in place: one dict per instance.
        self.extra_parameters = dict(type(self).extra_parameters)
        self._check_known(extra_parameters or {})
        self.extra_parameters.update(extra_parameters or {})
        if device is None:
            device = 'cuda' if torch.cuda.is_available() else 'cpu'
        self._list_input = False
        # Built first: the hooks below hand its parts to MMagic's __init__.
        self.ratenet = RATENetInferencer(
            config, ckpt, device,
            **self.extra_parameters)
        super().__init__(self.ratenet.cfg, ckpt, device, extra_parameters,
                         seed, **kwargs)

    def _update_extra_parameters(self, **kwargs) -> None:
        """MMagic's update of ``extra_parameters`` at call time
        (``infer(..., extra_parameters=...)``), passed on to the
        :class:`RATENetInferencer` that generates: ``crop`` and
        ``min_visibility`` change for this and later calls; ``amp`` and
        ``channels_last`` are fixed when the model is built."""
        given = kwargs.get('extra_parameters') or {}
        self._check_known(given)
        for key in ('amp', 'channels_last'):
            if key in given and given[key] != self.extra_parameters[key]:
                raise ValueError(
                    f'extra_parameters {key} is set when the inferencer is '
                    f'built ({self.extra_parameters[key]!r} here); build '
                    f'another with extra_parameters=dict({key}=...)')
        # The inferencer's setters check the values before MMagic keeps them.
        self.ratenet.crop = given.get('crop', self.ratenet.crop)
        self.ratenet.min_visibility = given.get('min_visibility',
                                                self.ratenet.min_visibility)
        super()._update_extra_parameters(**kwargs)

    def _check_known(self, given: Dict) -> None:
        unknown = set(given) - set(self.extra_parameters)
        if unknown:
            raise ValueError(f'unknown extra_parameters {sorted(unknown)}; '
                             f'known: {sorted(self.extra_parameters)}')

    def _init_model(self, cfg: Config, ckpt: Optional[str],
                    device: str) -> torch.nn.Module:
        """The model :class:`RATENetInferencer` built (strict loading)."""
        return self.ratenet.model

    def _init_pipeline(self, cfg: Config):
        return self.ratenet.pipeline

    def _init_collate(self, cfg: Config):
        return self.ratenet.collate_fn

    def _init_visualizer(self, cfg: Config) -> None:
        """Results are drawn by :meth:`visualize`; no MMEngine visualiser."""
        return None

    def preprocess(self,
                   img: Union[ImageInput, Sequence[ImageInput]],
                   target_pose: Union[PoseInput, Sequence[PoseInput]],
                   source_pose: Optional[Union[PoseInput,
                                               Sequence[PoseInput]]] = None
                   ) -> List[dict]:
        """Crop each source, fit its target pose, run the test pipeline
        (:meth:`RATENetInferencer.prepare`)."""
        # A list in, a list of results out, even of one.
        self._list_input = isinstance(img, (list, tuple))
        sources = _as_list(img)
        targets = _as_list(target_pose)
        source_poses = [None] * len(sources) if source_pose is None \
            else _as_list(source_pose)
        if not len(sources) == len(targets) == len(source_poses):
            raise ValueError(
                f'got {len(sources)} images, {len(targets)} target poses '
                f'and {len(source_poses)} source poses; they must pair up')
        return [
            self.ratenet.prepare(PairInput(s, t, p), i)
            for i, (s, t, p) in enumerate(zip(sources, targets, source_poses))
        ]

    def forward(self, inputs: List[dict]) -> List[dict]:
        """Generate all inputs in one batch.

        Returns:
            list[dict]: Per input ``name``, ``result`` and
            ``target_keypoints`` (see :class:`PoseTransferInferencer`).
        """
        (batch, ) = self.ratenet.preprocess(inputs, batch_size=len(inputs))
        preds = self.ratenet.forward(batch)
        return self.ratenet.postprocess(preds, [], inputs=inputs)[
            'predictions']

    def visualize(self,
                  preds: List[dict],
                  result_out_dir: str = '') -> List[np.ndarray]:
        """The result images; written to the file ``result_out_dir`` (side
        by side when there are several) when given."""
        images = [pred['result'] for pred in preds]
        if result_out_dir:
            os.makedirs(osp.dirname(osp.abspath(result_out_dir)),
                        exist_ok=True)
            picture = images[0] if len(images) == 1 else make_panel(images)
            write_image(result_out_dir, picture)
        return images

    def postprocess(self,
                    preds: List[dict],
                    imgs: Optional[List[np.ndarray]] = None,
                    get_datasample: bool = False) -> tuple:
        """``(results, images)``: one dict per input (the dict itself for a
        single input), as MMagic's ``postprocess`` returns."""
        return super().postprocess(
            preds, imgs, is_batch=self._list_input or len(preds) > 1,
            get_datasample=get_datasample)

    def _pred2dict(self, pred: dict) -> dict:
        return pred


class RATENetMMagicInferencer(MMagicInferencer):
    """MMagic's entry point ``MMagicInferencer`` for a RATE-Net.

    MMagic's constructor resolves ``model_name`` against its own model list
    and dispatches the task through a fixed chain that has no pose transfer
    (see the module docstring); this constructor builds a
    :class:`PoseTransferInferencer` instead. Everything else (``infer``,
    ``print_extra_parameters``) is MMagic's.

    Args:
        model_config (str | Config): RATE-Net config.
        model_ckpt (str, optional): Checkpoint.
        device (str, optional): Defaults to CUDA when available, else CPU.
        extra_parameters (dict, optional): See
            :class:`PoseTransferInferencer`.
        seed (int): Defaults to 2022, as MMagic's.
    """

    def __init__(self,
                 model_config: Union[str, Config],
                 model_ckpt: Optional[str] = None,
                 device: Optional[str] = None,
                 extra_parameters: Optional[Dict] = None,
                 seed: int = 2022) -> None:
        # MMagicInferencer.__init__ is not called: all it does is the
        # model-list lookup and task dispatch that cannot know us.
        init_default_scope('mmagic')
        self.inferencer = PoseTransferInferencer(
            model_config, model_ckpt, device, extra_parameters, seed=seed)
