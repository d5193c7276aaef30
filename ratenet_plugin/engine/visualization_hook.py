"""Image grids of pose transfer results during training."""
import logging
from typing import List, Optional

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log

from ratenet_plugin.registry import HOOKS
from ratenet_plugin.utils.channel_order import as_rgb, rgb_uint8, to_hwc_uint8
from ratenet_plugin.utils.model_wrappers import unwrap_model


def pose_to_image(heatmaps: torch.Tensor) -> np.ndarray:
    """Render 18-channel heatmaps as an RGB picture on white.

    Args:
        heatmaps (Tensor): (18, H, W) in [0, 1], COCO-18 order.

    Returns:
        np.ndarray: (H, W, 3) uint8; joint k is drawn in a fixed hue.
        Heatmaps of a single pixel per joint (PATN's ``patn_uint8``
        encoding) are drawn as dots of ``2 * (min(H, W) // 64) + 1`` pixels
        across (at least 3), which one pixel of a 176x256 tile is not seen.
    """
    maps = heatmaps.detach().float().cpu().clamp(0, 1)
    if maps.flatten(1).sum(1).max() <= 1.0:
        radius = max(1, min(maps.shape[-2:]) // 64)
        maps = torch.nn.functional.max_pool2d(
            maps[None], 2 * radius + 1, stride=1, padding=radius)[0]
    num_joints = heatmaps.shape[0]
    hues = np.linspace(0, 1, num_joints, endpoint=False)
    # A cheap hue wheel: one RGB colour per joint.
    colours = np.stack([
        0.5 + 0.5 * np.cos(2 * np.pi * (hues + offset))
        for offset in (0, 1 / 3, 2 / 3)
    ], axis=1)
    maps = maps.numpy()
    strongest = maps.argmax(axis=0)
    strength = maps.max(axis=0)[..., None]
    picture = (1 - strength) * 1.0 + strength * colours[strongest]
    return (picture * 255).round().astype(np.uint8)


def residual_to_image(residual: torch.Tensor) -> np.ndarray:
    """(3, H, W) residual in [0, 255] around 127.5 (i.e. R_t in [-1, 1]) -> uint8.

    The residual is small; it is stretched to the full range for display.
    """
    centred = residual.detach().float().cpu() - 127.5
    scale = centred.abs().max().clamp(min=1e-6)
    return to_hwc_uint8(centred / scale * 127.5 + 127.5)


def spread_indices(length: int, count: int) -> List[int]:
    """``min(count, length)`` indices spread evenly over ``range(length)``,
    the first and the last included.

    Pair lists are grouped by person (all pairs of one identity follow each
    other), so evenly spread rows show several different people where the
    first rows would all show the first one.
    """
    count = min(count, length)
    if count <= 1:
        return list(range(count))
    return [round(i * (length - 1) / (count - 1)) for i in range(count)]


def select_batch(dataloader, num_samples: int) -> dict:
    """A batch of ``num_samples`` samples spread over the dataloader's data
    set (:func:`spread_indices`), collated by its ``collate_fn``."""
    dataset = dataloader.dataset
    samples = [dataset[i] for i in spread_indices(len(dataset), num_samples)]
    return dataloader.collate_fn(samples)


@torch.no_grad()
def render_grid(model, batch: dict) -> np.ndarray:
    """One row per sample: source | target pose | coarse | residual
    (stretched) | final | ground truth.

    Args:
        model: A RATENet (possibly wrapped); run in eval mode for the grid.
        batch (dict): A collated batch (:func:`select_batch`).

    Returns:
        np.ndarray: (rows * H, 6 * W, 3) uint8 RGB, whatever channel order
        the model hands its metrics (``channel_order`` of each sample).
    """
    module = unwrap_model(model)
    was_training = module.training
    module.eval()
    try:
        results = model.val_step(batch)
    finally:
        module.train(was_training)
    rows: List[np.ndarray] = []
    for index, sample in enumerate(results):
        tgt_pose = batch['inputs']['tgt_pose'][index]
        output = sample.output
        coarse = output.coarse_img
        residual = output.get('residual_img', None)
        panels = [
            rgb_uint8(sample.source_img, sample),
            pose_to_image(tgt_pose),
            rgb_uint8(coarse, sample),
            residual_to_image(as_rgb(residual, sample))
            if residual is not None else np.full_like(to_hwc_uint8(coarse),
                                                      255),
            rgb_uint8(output.pred_img, sample),
            rgb_uint8(sample.gt_img, sample),
        ]
        rows.append(np.concatenate(panels, axis=1))
    return np.concatenate(rows, axis=0)


@HOOKS.register_module()
class PoseTransferVisualizationHook(Hook):
    """Save grids of (source | target pose | coarse | residual | final | gt).

    Every ``interval`` cycles and at the end of training (unless the last
    cycle already made one), the model's ``val_step`` runs on
    ``num_samples`` samples of the validation dataloader (the same samples
    every time) and the grid goes to the visualizer, named by the number of
    cycles trained (``vis_data/vis_image/pose_transfer_<cycles>.png`` under
    the log directory with ``LocalVisBackend``; ``_500`` after 500 cycles,
    like ``iter_500.pth``).

    The samples are spread evenly over the validation set
    (:func:`spread_indices`), so that the rows show different people.

    Args:
        interval (int): Cycles between grids. Defaults to 1000.
        num_samples (int): Rows in the grid. Defaults to 4.
        name (str): Image name given to the visualizer.
    """

    priority = 'LOW'

    def __init__(self,
                 interval: int = 1000,
                 num_samples: int = 4,
                 name: str = 'pose_transfer') -> None:
        self.interval = interval
        self.num_samples = num_samples
        self.name = name
        self._batch: Optional[dict] = None
        self._last_step: Optional[int] = None

    def before_train(self, runner) -> None:
        if self._val_dataloader(runner) is None:
            print_log(
                'PoseTransferVisualizationHook: no validation data '
                '(val_dataloader is None), so no grids are drawn; '
                'tools/test.py CONFIG CHECKPOINT --grid FILE draws one for '
                'any checkpoint',
                logger='current',
                level=logging.WARNING)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        if self.every_n_train_iters(runner, self.interval):
            # runner.iter counts the cycles before this one.
            self.visualize(runner, step=runner.iter + 1)

    def after_train(self, runner) -> None:
        if self._last_step != runner.iter:
            self.visualize(runner, step=runner.iter)

    @staticmethod
    def _val_dataloader(runner):
        """The validation dataloader, or None without a validation loop.

        MMagic's ``MultiValLoop`` keeps a list ``dataloaders`` and sets
        ``dataloader`` only while it runs; MMEngine's ``ValLoop`` has one.
        """
        loop = runner.val_loop  # built from its config on first access
        if loop is None:
            return None
        dataloaders = getattr(loop, 'dataloaders', None)
        if dataloaders:
            return dataloaders[0]
        return getattr(loop, 'dataloader', None)

    def _fixed_batch(self, runner) -> dict:
        if self._batch is None:
            self._batch = select_batch(
                self._val_dataloader(runner), self.num_samples)
        return self._batch

    def make_grid(self, runner) -> np.ndarray:
        """Build the grid: (rows * H, 6 * W, 3) uint8 RGB."""
        return render_grid(runner.model, self._fixed_batch(runner))

    def visualize(self, runner, step: int) -> None:
        """Add the grid after ``step`` cycles to the visualizer."""
        if self._val_dataloader(runner) is None:
            return
        grid = self.make_grid(runner)
        runner.visualizer.add_image(self.name, grid, step=step)
        self._last_step = step
