"""PoseTransferVisualizationHook writes image grids during training."""
import uuid

import mmcv
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

import ratenet_plugin  # noqa: F401
from ratenet_plugin.engine.visualization_hook import (pose_to_image,
                                                     render_grid,
                                                     spread_indices)
from tests.models.ratenet_testing import build_model, raw_batch


@pytest.mark.parametrize(
    'interval, max_iters, names',
    [
        # After cycle 1 (before any validation ran) and after cycle 2,
        # named by the cycles trained; the end adds no copy of cycle 2's.
        (1, 2, ['pose_transfer_1.png', 'pose_transfer_2.png']),
        # The end of training adds the last cycle's grid.
        (2, 3, ['pose_transfer_2.png', 'pose_transfer_3.png']),
    ])
def test_grids_are_written_mid_training_and_at_the_end(
        tiny_config_file, tmp_path, interval, max_iters, names):
    cfg = Config.fromfile(tiny_config_file(max_iters=max_iters))
    cfg.custom_hooks = [
        dict(
            type='PoseTransferVisualizationHook',
            interval=interval,
            num_samples=2)
    ]
    cfg.work_dir = str(tmp_path / 'work')
    cfg.experiment_name = f'vis-{uuid.uuid4().hex[:8]}'
    runner = Runner.from_cfg(cfg)
    runner.train()

    images = sorted(tmp_path.glob('work/*/vis_data/vis_image/pose_transfer_*.png'))
    assert [p.name for p in images] == names
    grid = mmcv.imread(str(images[0]))
    height, width = cfg.image_size
    assert grid.shape == (2 * height, 6 * width, 3)
    # The ground-truth panel shows real picture content, not a blank.
    assert grid[:, 5 * width:].std() > 5


def test_training_without_validation_says_no_grids_are_drawn(
        tiny_config_file, tmp_path):
    cfg = Config.fromfile(tiny_config_file(max_iters=1))
    cfg.custom_hooks = [dict(type='PoseTransferVisualizationHook',
                             interval=1, num_samples=2)]
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.work_dir = str(tmp_path / 'work')
    cfg.experiment_name = f'vis-{uuid.uuid4().hex[:8]}'
    Runner.from_cfg(cfg).train()

    assert not list(tmp_path.glob('work/*/vis_data/vis_image/*.png'))
    [log] = tmp_path.glob('work/*/*.log')
    assert ('PoseTransferVisualizationHook: no validation data '
            '(val_dataloader is None), so no grids are drawn') in ' '.join(
                log.read_text().split())


def test_pose_picture_marks_joints_on_white():
    heatmaps = torch.zeros(18, 16, 12)
    heatmaps[4, 8, 6] = 1.0  # right wrist
    picture = pose_to_image(heatmaps)
    assert picture.shape == (16, 12, 3)
    assert (picture[0, 0] == 255).all()
    assert not (picture[8, 6] == 255).all()
    assert np.unique(picture.reshape(-1, 3), axis=0).shape[0] == 2


def test_single_pixel_joints_are_drawn_as_dots_gaussians_as_they_are():
    """PATN's uint8 heatmaps (one pixel per joint) left a 176x256 grid
    tile all but white; Gaussian heatmaps are drawn unchanged."""
    heatmaps = torch.zeros(18, 256, 176)
    heatmaps[4, 100, 60] = 1.0
    heatmaps[7, 200, 90] = 1.0
    picture = pose_to_image(heatmaps)
    drawn = ~(picture == 255).all(axis=-1)
    # radius min(256, 176) // 64 = 2: two 5x5 dots.
    assert drawn.sum() == 2 * 25
    assert drawn[98:103, 58:63].all() and drawn[198:203, 88:93].all()
    ys, xs = torch.meshgrid(torch.arange(64.), torch.arange(44.),
                            indexing='ij')
    gaussian = torch.zeros(18, 64, 44)
    gaussian[4] = torch.exp(-((ys - 30)**2 + (xs - 20)**2) / 8)
    expected_strength = gaussian[4].numpy()[..., None]
    colour = pose_to_image(gaussian)[30, 20].astype(float) / 255
    expected = (1 - expected_strength) + expected_strength * colour
    np.testing.assert_allclose(pose_to_image(gaussian) / 255, expected,
                               atol=1 / 255)


def test_rows_are_spread_over_the_set_to_show_different_people():
    assert spread_indices(224, 6) == [0, 45, 89, 134, 178, 223]
    assert spread_indices(3, 6) == [0, 1, 2]
    assert spread_indices(5, 1) == [0]


def test_grids_are_rgb_whatever_order_the_metrics_get():
    """With ``eval_channel_order='BGR'`` (for MMagic's TransFID) the samples
    are BGR; the grid still shows every panel in RGB, the same picture as
    the RGB model's."""
    torch.manual_seed(0)
    model = build_model()
    batch = raw_batch(num=2, height=32, width=22)
    rgb = render_grid(model, batch)
    model.data_preprocessor.eval_channel_order = 'BGR'
    bgr = render_grid(model, batch)
    np.testing.assert_array_equal(bgr, rgb)
    width = 22
    source = batch['inputs']['src_img'][0].permute(1, 2, 0).numpy()
    truth = batch['inputs']['tgt_img'][0].permute(1, 2, 0).numpy()
    np.testing.assert_array_equal(rgb[:32, :width], source)
    np.testing.assert_array_equal(rgb[:32, 5 * width:], truth)
