"""Data preprocessor of RATE-Net: images to [-1, 1], heatmaps as floats."""
from typing import Optional, Sequence, Union

import torch
from mmagic.structures import DataSample
from mmengine.model import BaseDataPreprocessor

from ratenet_plugin.datasets.transforms.pipeline_errors import \
    PosePipelineError
from ratenet_plugin.registry import MODELS

CHANNEL_ORDERS = ('RGB', 'BGR')


@MODELS.register_module()
class PoseDataPreprocessor(BaseDataPreprocessor):
    """Batch, move and normalise the output of ``PackPoseInputs``.

    Input (after the dataloader's collate): ``inputs`` a dict whose values
    are (N, ...) tensors or lists of N tensors, ``data_samples`` a list of
    ``DataSample`` (or None). Output::

        inputs = dict(
            src_img, tgt_img:   float (N, 3, H, W) in [-1, 1], RGB
            src_pose, tgt_pose: float (N, 18, H, W) in [0, 1], COCO-18)
        data_samples = one stacked DataSample (or None)

    Keys missing from ``inputs`` are skipped (inference has no ``tgt_img``);
    other keys pass through, moved to the device.

    Evaluation (``training=False``): every ``data_keys`` field of the data
    samples (``gt_img``) becomes float (N, 3, H, W) in [0, 255] in
    ``eval_channel_order``, and the model's ``val_step`` converts its outputs
    with :meth:`to_eval_image` into the same order. The default is RGB, the
    plugin's contract (docs/architecture.md), read by its metrics and hooks;
    MMagic's ``SSIM``/``PSNR``/``MAE`` do not depend on the order. MMagic's
    own ``TransFID``/``TransIS`` assume BGR (they flip to RGB before
    Inception): use them with ``eval_channel_order='BGR'``, or use the
    plugin's Inception metrics. In training the data samples are only
    stacked.

    Unlike MMagic's ``DataPreprocessor`` this keeps no class-level key lists
    (MMagic's ``_NON_IMAGE_KEYS`` is shared and mutated by instances) and
    never guesses channel orders: inputs are RGB, by the data contract.

    Args:
        image_keys (Sequence[str]): uint8 (or float in [0, 255]) RGB images
            mapped to [-1, 1]. Defaults to ``('src_img', 'tgt_img')``.
        pose_keys (Sequence[str]): Heatmaps, cast to float.
            Defaults to ``('src_pose', 'tgt_pose')``.
        data_keys (Sequence[str]): Image fields of the data samples prepared
            for metrics in evaluation. Defaults to ``('gt_img',)``.
        eval_channel_order (str): ``'RGB'`` or ``'BGR'`` (for MMagic's
            ``TransFID``/``TransIS``). Defaults to ``'RGB'``.
        non_blocking (bool): Non-blocking device copies. Defaults to False.
    """

    def __init__(self,
                 image_keys: Sequence[str] = ('src_img', 'tgt_img'),
                 pose_keys: Sequence[str] = ('src_pose', 'tgt_pose'),
                 data_keys: Sequence[str] = ('gt_img', ),
                 eval_channel_order: str = 'RGB',
                 non_blocking: bool = False) -> None:
        super().__init__(non_blocking=non_blocking)
        if eval_channel_order not in CHANNEL_ORDERS:
            raise ValueError(f'eval_channel_order must be one of '
                             f'{CHANNEL_ORDERS}, got {eval_channel_order!r}')
        self.image_keys = tuple(image_keys)
        self.pose_keys = tuple(pose_keys)
        self.data_keys = tuple(data_keys)
        self.eval_channel_order = eval_channel_order

    @staticmethod
    def _batch(value: Union[torch.Tensor, Sequence[torch.Tensor]],
               key: str) -> torch.Tensor:
        batch = value if isinstance(value, torch.Tensor) else torch.stack(
            list(value))
        if batch.ndim != 4:
            raise ValueError(f'inputs[{key!r}] must batch to (N, C, H, W), '
                             f'got shape {tuple(batch.shape)}')
        return batch

    def _check_sizes(self, inputs: dict) -> None:
        """Images of 3 channels, and images and heatmaps of one size: a
        transform after GeneratePoseHeatmap that resizes the images (or a
        packer that stacks other keys) failed deep in the generator."""
        batches = [(key, inputs[key]) for key in self.image_keys +
                   self.pose_keys if key in inputs]
        sizes = {tuple(batch.shape[-2:]) for _, batch in batches}
        wrong_channels = [(key, batch.shape[1]) for key, batch in batches
                          if key in self.image_keys and batch.shape[1] != 3]
        if len(sizes) <= 1 and not wrong_channels:
            return
        shapes = ', '.join(f'{key} {tuple(batch.shape[1:])}'
                           for key, batch in batches)
        raise PosePipelineError(
            f'the data pipeline gave {shapes} (C, H, W): images need 3 '
            'channels, and images and heatmaps one size; resize with '
            'ResizePadPose before GeneratePoseHeatmap (no resizing after '
            'it) and pack with PackPoseInputs')

    def to_eval_image(self, img: torch.Tensor) -> torch.Tensor:
        """[-1, 1] RGB image(s), (..., 3, H, W) -> float [0, 255] in
        ``eval_channel_order``, clamped."""
        img = (img.detach().float().clamp(-1, 1) + 1) * 127.5
        return img.flip(-3) if self.eval_channel_order == 'BGR' else img

    def _eval_sample_image(self, img: torch.Tensor) -> torch.Tensor:
        """uint8/[0, 255] RGB (3, H, W) -> float [0, 255] in eval order."""
        img = img.float()
        return img.flip(-3) if self.eval_channel_order == 'BGR' else img

    def forward(self, data: dict, training: bool = False) -> dict:
        """Batch and normalise one collated batch.

        Args:
            data (dict): ``inputs`` and (optionally) ``data_samples`` as
                collated by the dataloader.
            training (bool): Training (data samples only stacked) or
                evaluation (``data_keys`` prepared for metrics).

        Returns:
            dict: ``inputs`` (dict of batched tensors) and ``data_samples``
            (a stacked ``DataSample`` or None).
        """
        data = self.cast_data(data)
        if not isinstance(data['inputs'], dict):
            raise PosePipelineError(
                'the data pipeline packed the inputs as '
                f'{type(data["inputs"]).__name__}, not a dict of images and '
                'heatmaps: end it with PackPoseInputs (not MMagic\'s '
                'PackInputs)')
        inputs = dict(data['inputs'])
        for key in self.image_keys:
            if key in inputs:
                inputs[key] = self._batch(inputs[key], key).float() / 127.5 - 1
        for key in self.pose_keys:
            if key in inputs:
                inputs[key] = self._batch(inputs[key], key).float()
        self._check_sizes(inputs)

        data_samples: Optional[DataSample] = None
        if 'data_samples' in data and data['data_samples'] is not None:
            samples = data['data_samples']
            if isinstance(samples, DataSample):
                samples = samples.split(allow_nonseq_value=True)
            samples = list(samples)
            if not training:
                for sample in samples:
                    for key in self.data_keys:
                        if key in sample:
                            sample.set_field(
                                self._eval_sample_image(sample.get(key)), key)
            data_samples = DataSample.stack(samples)
        return dict(inputs=inputs, data_samples=data_samples)
