"""The synthetic ablation's variants and its report."""
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config

from ratenet_plugin.analysis.ablation import (VARIANTS, RunSpec,
                                              comparison_grid, markdown_table,
                                              run_config)
from ratenet_plugin.fileio.image_file import write_image
from ratenet_plugin.registry import MODELS

DEMO_CONFIG = Path(__file__).resolve().parents[2] / 'configs' / 'ratenet' / \
    'ratenet_demo_1xb4-1600cycles_synthetic-64x44.py'


@pytest.fixture(scope='module')
def demo():
    return Config.fromfile(str(DEMO_CONFIG))


def spec(variant, **kwargs):
    return RunSpec(variant, seed=1, cycles=40, work_dir='w',
                   done={('pb-only', 1): 'runs/pb'}, **kwargs)


def test_variants_change_what_the_paper_ablates(demo):
    full = run_config(demo, spec('full'))
    assert full.train_cfg.max_iters == 40 and full.randomness.seed == 1
    assert full.param_scheduler[0].end == 10  # constant for a quarter
    assert full.train_cfg.cycle == demo.train_cfg.cycle
    assert run_config(demo, spec('pb-only')).model.generator \
        .texture_enhancer is None
    fixed = run_config(demo, spec('pb-fixed'))
    assert fixed.model.generator.freeze_pose_transfer
    assert fixed.model.generator.pose_transfer.init_cfg.checkpoint == \
        'runs/pb/iter_40.pth'
    # G_P is loaded strictly (a lenient Pretrained is refused by the model).
    assert fixed.model.generator.pose_transfer.init_cfg.type == \
        'StrictPretrained'
    assert MODELS.build(fixed.model).generator.freeze_pose_transfer
    assert [tuple(c) for c in fixed.train_cfg.cycle] == [('joint', 1),
                                                         ('discriminator', 3)]
    half = run_config(demo, spec('texture-half'))
    assert half.model.generator.texture_enhancer.texture_dim == \
        demo.model.generator.texture_enhancer.texture_dim // 2
    joint = run_config(demo, spec('joint-only'))
    assert [tuple(c) for c in joint.train_cfg.cycle] == [('joint', 1),
                                                         ('discriminator', 1)]
    tanh = run_config(demo, spec('full-tanh'))
    assert MODELS.build(tanh.model).generator.final_range == 'tanh'
    unbounded = run_config(tanh, spec('full-unbounded'))
    assert unbounded.model.generator.final_range == 'unbounded'
    # The base config is left alone.
    assert demo.model.generator.texture_enhancer is not None
    with pytest.raises(ValueError, match='unknown variant'):
        run_config(demo, spec('bigger'))
    assert set(VARIANTS) >= {'full', 'pb-only', 'pb-fixed', 'texture-half',
                             'joint-only'}


def test_table_gives_mean_and_std_over_seeds_and_marks_the_best():
    records = [
        dict(variant='full', seed=0, metrics={'final/SSIM': 0.8}),
        dict(variant='full', seed=1, metrics={'final/SSIM': 0.6}),
        dict(variant='pb-only', seed=0, metrics={'final/SSIM': 0.5}),
    ]
    table = markdown_table(records).splitlines()
    assert table[2].startswith('| full | 0,1 | **0.700 ± 0.100** |')
    assert table[3].startswith('| pb-only | 0 | 0.500 ± 0.000 |')


def test_comparison_grid_takes_each_runs_final_panel(tmp_path):
    """Source and ground truth from the first run's grid, then every run's
    final panel (the fifth of six), from the grid files the runs wrote."""
    height, width, rng = 4, 3, np.random.default_rng(0)
    records = [dict(seed=0, grid=None)]  # a run without a grid is left out
    grids = []
    for k in range(2):
        grid = rng.integers(0, 256, (2 * height, 6 * width, 3), np.uint8)
        write_image(str(tmp_path / f'{k}.png'), grid)
        records.append(dict(seed=0, grid=str(tmp_path / f'{k}.png')))
        grids.append(grid)
    records.append(dict(seed=1, grid=str(tmp_path / '0.png')))
    columns = comparison_grid(records, 0, (height, width))
    panel = [grid[:, i * width:(i + 1) * width]
             for grid, i in ((grids[0], 0), (grids[0], 4), (grids[1], 4),
                             (grids[0], 5))]
    np.testing.assert_array_equal(columns, np.concatenate(panel, axis=1))
    assert comparison_grid(records, 2, (height, width)) is None
