"""PoseTransferVisualizationHook writes image grids during training."""
import uuid

import mmcv
import numpy as np
import torch
from mmengine.config import Config
from mmengine.runner import Runner

import ratenet_plugin  # noqa: F401
from ratenet_plugin.engine.visualization_hook import pose_to_image


def test_grids_are_written_mid_training_and_at_the_end(tiny_config_file,
                                                        tmp_path):
    cfg = Config.fromfile(tiny_config_file(max_iters=2))
    cfg.custom_hooks = [
        dict(type='PoseTransferVisualizationHook', interval=1, num_samples=2)
    ]
    cfg.work_dir = str(tmp_path / 'work')
    cfg.experiment_name = f'vis-{uuid.uuid4().hex[:8]}'
    runner = Runner.from_cfg(cfg)
    runner.train()

    images = sorted(tmp_path.glob('work/*/vis_data/vis_image/pose_transfer_*.png'))
    # Cycle 1 (before any validation ran), cycle 2, and after training.
    assert len(images) >= 2
    grid = mmcv.imread(str(images[0]))
    height, width = cfg.image_size
    assert grid.shape == (2 * height, 6 * width, 3)
    # The ground-truth panel shows real picture content, not a blank.
    assert grid[:, 5 * width:].std() > 5


def test_pose_picture_marks_joints_on_white():
    heatmaps = torch.zeros(18, 16, 12)
    heatmaps[4, 8, 6] = 1.0  # right wrist
    picture = pose_to_image(heatmaps)
    assert picture.shape == (16, 12, 3)
    assert (picture[0, 0] == 255).all()
    assert not (picture[8, 6] == 255).all()
    assert np.unique(picture.reshape(-1, 3), axis=0).shape[0] == 2
