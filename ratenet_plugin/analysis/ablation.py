"""The paper's ablation (Table 2) on the synthetic set, measured.

Each variant is the demo config with a few overrides, trained for the same
number of cycles from the same seeds and scored on the held-out pairs with
the demo's weight-free metrics (SSIM, PSNR, L1, MS-SSIM, GMSD, HaarPSI and the
garment colour/texture errors). ``tools/analysis/synthetic_ablation.py`` runs
it and writes docs/ablation.md with a table, a metric-versus-cycles plot and a
grid of the same held-out pairs for every variant.

Variants (:data:`VARIANTS`):

- ``full``: RATE-Net, the 1-1-3 cycle.
- ``pb-only``: no texture module; L2 on the coarse image; cycle (joint 1,
  discriminator 3).
- ``pb-fixed``: G_P taken from the ``pb-only`` run of the same seed and frozen;
  only G_t and the discriminators train.
- ``texture-half``: the texture code z_t at half its size.
- ``joint-only``: Full with the plain GAN alternation (joint 1,
  discriminator 1) instead of 1-1-3: no separate pose-transfer update, one
  discriminator update ("mutual guidance" claim).
- ``full-unbounded`` / ``full-clamp`` / ``full-tanh``: Full with I_t left in
  [-2, 2] (the paper), clamped or squashed into [-1, 1]
  (``RATEGenerator.final_range``), whatever the base config says.
"""
import copy
import glob
import json
import os.path as osp
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
from mmengine.config import Config

from ratenet_plugin.fileio.image_file import read_image

Overrides = Callable[[Config, 'RunSpec'], None]


@dataclass
class RunSpec:
    """One training run of the study."""
    variant: str
    seed: int
    cycles: int
    work_dir: str
    # Work dirs of finished runs by (variant, seed), for pb-fixed.
    done: Dict[tuple, str] = field(default_factory=dict)


def _pb_only(cfg: Config, spec: RunSpec) -> None:
    cfg.model.generator.texture_enhancer = None
    cfg.train_cfg.cycle = [('joint', 1), ('discriminator', 3)]


def _pb_fixed(cfg: Config, spec: RunSpec) -> None:
    source = spec.done.get(('pb-only', spec.seed))
    if source is None:
        raise ValueError('pb-fixed needs the pb-only run of the same seed '
                         'first (list pb-only before pb-fixed)')
    cfg.model.generator.freeze_pose_transfer = True
    cfg.model.generator.pose_transfer.init_cfg = dict(
        type='StrictPretrained',
        checkpoint=osp.join(source, f'iter_{spec.cycles}.pth'),
        prefix='generator.pose_transfer.')
    cfg.train_cfg.cycle = [('joint', 1), ('discriminator', 3)]


def _texture_half(cfg: Config, spec: RunSpec) -> None:
    enhancer = cfg.model.generator.texture_enhancer
    enhancer.texture_dim = enhancer.texture_dim // 2


def _joint_only(cfg: Config, spec: RunSpec) -> None:
    cfg.train_cfg.cycle = [('joint', 1), ('discriminator', 1)]


def _final_range(kind: str) -> Overrides:

    def apply(cfg: Config, spec: RunSpec) -> None:
        cfg.model.generator.final_range = kind

    return apply


VARIANTS: Dict[str, Overrides] = {
    'full': lambda cfg, spec: None,
    'pb-only': _pb_only,
    'pb-fixed': _pb_fixed,
    'texture-half': _texture_half,
    'joint-only': _joint_only,
    'full-unbounded': _final_range('unbounded'),
    'full-clamp': _final_range('clamp'),
    'full-tanh': _final_range('tanh'),
}

# Columns of the results table: (result key, header, higher is better).
COLUMNS = (
    ('final/SSIM', 'SSIM ↑', True),
    ('final/MS-SSIM', 'MS-SSIM ↑', True),
    ('final/HaarPSI', 'HaarPSI ↑', True),
    ('final/GMSD', 'GMSD ↓', False),
    ('final/PSNR', 'PSNR ↑', True),
    ('final/MAE', 'L1 ↓', False),
    ('final/garment_colour', 'garment colour ↓', False),
    ('final/garment_texture', 'garment texture ↓', False),
)


def run_config(base: Config, spec: RunSpec, val_points: int = 4) -> Config:
    """The config of one run: ``base`` with the variant's overrides, the
    cycle count (LR schedule scaled to it), the seed, the work dir, and
    ``val_points`` evaluations spread over the run."""
    if spec.variant not in VARIANTS:
        raise ValueError(f'unknown variant {spec.variant!r}; choose from '
                         f'{sorted(VARIANTS)}')
    cfg = copy.deepcopy(base)
    cfg.work_dir = spec.work_dir
    cfg.randomness = dict(seed=spec.seed)
    cfg.train_cfg.max_iters = spec.cycles
    cfg.train_cfg.val_interval = max(1, spec.cycles // val_points)
    constant = max(1, spec.cycles // 4)  # the demo: constant, then linear
    cfg.param_scheduler = [
        dict(type='ConstantLR', factor=1.0, begin=0, end=constant,
             by_epoch=False),
        dict(type='LinearLR', start_factor=1.0, end_factor=0.0,
             begin=constant, end=spec.cycles, by_epoch=False),
    ]
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', interval=spec.cycles, by_epoch=False,
        max_keep_ckpts=1)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=50)
    cfg.custom_hooks = [
        dict(type='RandomStateHook'),
        dict(type='PoseTransferVisualizationHook', interval=spec.cycles,
             num_samples=6),
    ]
    VARIANTS[spec.variant](cfg, spec)
    return cfg


def read_val_history(work_dir: str, val_interval: int,
                     cycles: int) -> Dict[str, List[tuple]]:
    """``{metric: [(cycle, value), ...]}`` from the run's ``scalars.json``
    (MMEngine's LocalVisBackend; the latest timestamped log dir). MMEngine
    records validation scalars by epoch (0 here), so the k-th validation is
    placed at cycle ``min(k * val_interval, cycles)``."""
    files = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data',
                                      'scalars.json')))
    if not files:
        raise FileNotFoundError(f'no */vis_data/scalars.json in {work_dir}')
    history: Dict[str, List[tuple]] = {}
    with open(files[-1]) as f:
        for line in f:
            record = json.loads(line)
            for key, value in record.items():
                if key.startswith(('final/', 'coarse/')):
                    points = history.setdefault(key, [])
                    points.append((min((len(points) + 1) * val_interval,
                                       cycles), float(value)))
    return history


def train_run(base: Config, spec: RunSpec, val_points: int = 4) -> dict:
    """Train one run with MMEngine's Runner; returns its record: variant,
    seed, cycles, wall seconds, the final metrics and the metric history."""
    from mmengine.runner import Runner
    cfg = run_config(base, spec, val_points)
    start = time.perf_counter()
    runner = Runner.from_cfg(cfg)
    runner.train()
    seconds = time.perf_counter() - start
    history = read_val_history(spec.work_dir, cfg.train_cfg.val_interval,
                               spec.cycles)
    final = {key: points[-1][1] for key, points in history.items()}
    grids = sorted(
        glob.glob(
            osp.join(spec.work_dir, '*', 'vis_data', 'vis_image',
                     f'pose_transfer_{spec.cycles}.png')))
    return dict(variant=spec.variant, seed=spec.seed, cycles=spec.cycles,
                seconds=seconds, metrics=final, history=history,
                grid=grids[-1] if grids else None)


def summarise(records: Sequence[dict]) -> Dict[str, Dict[str, tuple]]:
    """``{variant: {key: (mean, std, n)}}`` over seeds."""
    summary: Dict[str, Dict[str, tuple]] = {}
    for variant in dict.fromkeys(r['variant'] for r in records):
        runs = [r for r in records if r['variant'] == variant]
        summary[variant] = {}
        for key, _, _ in COLUMNS:
            values = [r['metrics'][key] for r in runs if key in r['metrics']]
            if values:
                # Divisor n (for two seeds: half their difference), as
                # docs/ablation.md states.
                summary[variant][key] = (float(np.mean(values)),
                                         float(np.std(values)), len(values))
    return summary


def markdown_table(records: Sequence[dict]) -> str:
    """The results table, mean ± std over seeds, best per column in bold."""
    summary = summarise(records)
    header = '| variant | seeds | ' + ' | '.join(h for _, h, _ in COLUMNS) + \
        ' |'
    lines = [header, '|' + '---|' * (len(COLUMNS) + 2)]
    best = {}
    for key, _, higher in COLUMNS:
        means = [s[key][0] for s in summary.values() if key in s]
        if means:
            best[key] = max(means) if higher else min(means)
    for variant, stats in summary.items():
        seeds = sorted(r['seed'] for r in records if r['variant'] == variant)
        cells = []
        for key, _, _ in COLUMNS:
            if key not in stats:
                cells.append('')
                continue
            mean, std, _ = stats[key]
            text = f'{mean:.3f} ± {std:.3f}'
            cells.append(f'**{text}**' if mean == best[key] else text)
        lines.append(f'| {variant} | {",".join(map(str, seeds))} | ' +
                     ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def plot_metric_history(records: Sequence[dict], keys: Sequence[str],
                        out_file: str) -> None:
    """Metric against cycles, one line per run (colour per variant)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    figure, axes = plt.subplots(1, len(keys), figsize=(4.2 * len(keys), 3.4),
                                dpi=90)
    axes = np.atleast_1d(axes)
    colours = {}
    for record in records:
        colour = colours.setdefault(record['variant'], f'C{len(colours)}')
        for axis, key in zip(axes, keys):
            points = record['history'].get(key)
            if not points:
                continue
            cycles, values = zip(*points)
            axis.plot(cycles, values, 'o-', ms=3, color=colour, lw=1,
                      label=record['variant'] if record['seed'] == min(
                          r['seed'] for r in records
                          if r['variant'] == record['variant']) else None)
    for axis, key in zip(axes, keys):
        axis.set_title(key, fontsize=9)
        axis.set_xlabel('cycle')
        axis.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(out_file)
    plt.close(figure)


def comparison_grid(records: Sequence[dict], seed: int,
                    image_size: Sequence[int]) -> Optional[np.ndarray]:
    """Source | each variant's final image | ground truth, for the same
    held-out pairs (the rows of each run's last visualisation grid, whose
    panels are source, pose, coarse, residual, final, ground truth).

    Returns:
        np.ndarray | None: (rows * H, (2 + variants) * W, 3) uint8 RGB, or
        None if no run of ``seed`` has a grid.
    """
    height, width = image_size
    runs = [r for r in records if r['seed'] == seed and r.get('grid')]
    if not runs:
        return None
    grids = [read_image(r['grid']) for r in runs]

    def panel(grid, index):
        return grid[:, index * width:(index + 1) * width]

    columns = [panel(grids[0], 0)] + [panel(g, 4) for g in grids] + \
        [panel(grids[0], 5)]
    return np.concatenate(columns, axis=1)
