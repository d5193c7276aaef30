"""TrainingCurvesHook plots losses and held-out metrics at the end."""
import uuid

import mmcv
import numpy as np
import torch
from mmengine.config import Config
from mmengine.runner import Runner

import ratenet_plugin  # noqa: F401
from ratenet_plugin.engine import plot_curves


def test_curves_are_written_next_to_the_last_grid(tiny_config_file, tmp_path):
    cfg = Config.fromfile(tiny_config_file(max_iters=4))
    cfg.train_cfg.val_interval = 2
    cfg.custom_hooks = [
        dict(type='PoseTransferVisualizationHook', interval=4,
             num_samples=2),
        dict(type='TrainingCurvesHook', interval=2,
             metric_keys=['final/SSIM', 'final/garment_colour']),
    ]
    cfg.default_hooks.checkpoint.interval = 4
    cfg.work_dir = str(tmp_path / 'work')
    cfg.experiment_name = f'curves-{uuid.uuid4().hex[:8]}'
    runner = Runner.from_cfg(cfg)
    runner.train()

    folder = next(tmp_path.glob('work/*/vis_data/vis_image'))
    assert sorted(p.name for p in folder.iterdir()) == [
        'pose_transfer_4.png', 'training_curves_4.png'
    ]
    picture = mmcv.imread(str(folder / 'training_curves_4.png'))
    assert picture.shape[0] > 200 and picture.std() > 5
    # Two loss points (cycles 2 and 4), two validations; kept for resuming.
    hook = next(h for h in runner.hooks
                if type(h).__name__ == 'TrainingCurvesHook')
    assert [c for c, _ in hook.losses['loss_recon']] == [2, 4]
    assert [c for c, _ in hook.metrics['final/SSIM']] == [2, 4]
    # The checkpoint of cycle 4 is written before that cycle's validation.
    saved = torch.load(str(tmp_path / 'work' / 'iter_4.pth'),
                       weights_only=False)['meta']['training_curves']
    assert [tuple(p) for p in saved['losses']['loss_recon']] == \
        hook.losses['loss_recon']
    assert [c for c, _ in saved['metrics']['final/SSIM']] == [2]


def test_a_resumed_run_plots_the_metrics_of_its_checkpoint_cycle(
        tiny_config_file, tmp_path):
    """Stopped at cycle 2 (checkpoint, then that cycle's validation) and
    resumed to 4: the history holds the validations of cycles 2 and 4, as
    the uninterrupted run's does, with the same values."""
    config = tiny_config_file(max_iters=4, checkpoint_interval=2,
                              val_interval=2)

    def run(work_dir, **options):
        cfg = Config.fromfile(config)
        cfg.merge_from_dict(options)
        cfg.custom_hooks = [
            dict(type='RandomStateHook'),
            dict(type='TrainingCurvesHook', interval=2,
                 metric_keys=['final/SSIM'])
        ]
        cfg.work_dir = str(work_dir)
        cfg.experiment_name = f'curves-{uuid.uuid4().hex[:8]}'
        runner = Runner.from_cfg(cfg)
        runner.train()
        return next(h for h in runner.hooks
                    if type(h).__name__ == 'TrainingCurvesHook')

    straight = run(tmp_path / 'straight')
    run(tmp_path / 'resumed', **{'train_cfg.max_iters': 2})
    resumed = run(tmp_path / 'resumed', resume=True,
                  load_from=str(tmp_path / 'resumed' / 'iter_2.pth'))
    assert [c for c, _ in straight.metrics['final/SSIM']] == [2, 4]
    assert resumed.metrics['final/SSIM'] == straight.metrics['final/SSIM']
    assert resumed.losses['loss_recon'] == straight.losses['loss_recon']

    # The metrics file cut off (a full disk before its writes were whole):
    # the resume goes on without that cycle's point, and says so.
    metrics_file = tmp_path / 'cut' / 'training_curves_metrics.json'
    run(tmp_path / 'cut', **{'train_cfg.max_iters': 2})
    metrics_file.write_text(metrics_file.read_text()[:20])
    cut = run(tmp_path / 'cut', resume=True,
              load_from=str(tmp_path / 'cut' / 'iter_2.pth'))
    assert [c for c, _ in cut.metrics['final/SSIM']] == [4]
    logged = ' '.join(
        sorted((tmp_path / 'cut').glob('*/*.log'))[-1].read_text().split())
    assert 'cannot be read' in logged and 'leave out the validation of ' \
        'cycle 2' in logged


def test_plot_curves_draws_without_metrics():
    picture = plot_curves({'loss_a': [(1, 2.), (2, 1.)]}, {})
    assert picture.dtype == np.uint8 and picture.ndim == 3
    # The loss line is drawn: matplotlib's first line colour (C0, #1f77b4)
    # is in the picture, and it differs from an empty plot.
    line = (np.abs(picture.astype(int) - (31, 119, 180)).sum(axis=2) < 30)
    assert line.sum() > 20
    assert not np.array_equal(picture, plot_curves({}, {}))
