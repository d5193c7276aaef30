"""A plot of the training losses and the held-out metrics over cycles."""
import logging
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.dist import is_main_process
from mmengine.fileio import dump, load
from mmengine.hooks import Hook
from mmengine.logging import print_log

from ratenet_plugin.registry import HOOKS
from .checkpoint_hooks import is_resuming

History = Dict[str, List[Tuple[int, float]]]


def plot_curves(losses: History, metrics: History,
                title: str = '') -> np.ndarray:
    """Draw losses (left, log scale) and metrics (right) against cycles.

    Args:
        losses (dict): ``{name: [(cycle, value), ...]}``.
        metrics (dict): The same for held-out metrics; each metric gets its
            own small panel (their scales differ).
        title (str): Figure title.

    Returns:
        np.ndarray: (H, W, 3) uint8 RGB picture.
    """
    # Imported here: matplotlib takes a few tenths of a second to load,
    # which `import ratenet_plugin` (and inference) should not pay. The Agg
    # canvas draws without a display and leaves pyplot's backend alone.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    num_metrics = max(1, len(metrics))
    columns = 1 + min(num_metrics, 3)
    rows = -(-num_metrics // 3)
    figure = Figure(figsize=(4.2 * columns, 3.2 * rows), dpi=80)
    canvas = FigureCanvasAgg(figure)
    grid = figure.add_gridspec(rows, columns)
    axis = figure.add_subplot(grid[:, 0])
    for name, points in sorted(losses.items()):
        cycles, values = zip(*points)
        axis.plot(cycles, np.maximum(values, 1e-6), label=name, lw=1)
    axis.set_yscale('log')
    axis.set_xlabel('cycle')
    axis.set_title('training losses (weighted)')
    if losses:
        axis.legend(fontsize=6)
    for index, (name, points) in enumerate(sorted(metrics.items())):
        axis = figure.add_subplot(grid[index // 3, 1 + index % 3])
        cycles, values = zip(*points)
        axis.plot(cycles, values, 'o-', ms=3)
        axis.set_title(name, fontsize=9)
        axis.set_xlabel('cycle')
        axis.grid(alpha=0.3)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


@HOOKS.register_module()
class TrainingCurvesHook(Hook):
    """At the end of training, plot the losses and held-out metrics.

    Losses are the cycle's logged values (``RATELoop``'s outputs), averaged
    over windows of ``interval`` cycles; metrics are those of every
    validation run. The picture goes to the visualizer as ``name``, so with
    ``LocalVisBackend`` it lies next to the last grid:
    ``vis_data/vis_image/<name>_<cycles>.png``. The history is kept in the
    checkpoints' ``meta`` so that a resumed run plots the whole run. A
    checkpoint is saved before the validation of its own cycle runs, so the
    metrics are also written after every validation to
    ``<work_dir>/<name>_metrics.json``, from which a run resumed at that
    cycle takes them.

    Args:
        interval (int): Cycles per loss point. Defaults to 50.
        metric_keys (Sequence[str], optional): Metrics to plot; None for all
            the evaluator returns.
        name (str): Image name given to the visualizer.
    """

    priority = 'LOW'

    def __init__(self,
                 interval: int = 50,
                 metric_keys: Optional[Sequence[str]] = None,
                 name: str = 'training_curves') -> None:
        self.interval = interval
        self.metric_keys = None if metric_keys is None else list(metric_keys)
        self.name = name
        self.losses: History = defaultdict(list)
        self.metrics: History = defaultdict(list)
        self._window: Dict[str, List[float]] = defaultdict(list)
        self._warned = False

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        for key, value in (outputs or {}).items():
            if key.startswith('loss'):
                self._window[key].append(float(value))
        if self.every_n_train_iters(runner, self.interval):
            for key, values in self._window.items():
                self.losses[key].append((runner.iter + 1, float(
                    np.mean(values))))
            self._window.clear()

    def after_val_epoch(self, runner, metrics=None) -> None:
        missing = [k for k in self.metric_keys or [] if k not in metrics]
        if metrics and missing and not self._warned:
            self._warned = True
            print_log(
                f'TrainingCurvesHook: metric_keys {missing} are not among '
                f'the validation\'s results ({sorted(metrics)}); their curves '
                'stay empty: set metric_keys to names the val_evaluator '
                'gives (with their prefix)',
                logger='current',
                level=logging.WARNING)
        for key, value in (metrics or {}).items():
            if self.metric_keys is None or key in self.metric_keys:
                self.metrics[key].append((runner.iter, float(value)))
        if is_main_process():
            dump(dict(self.metrics), self._metrics_file(runner), indent=1)

    def _metrics_file(self, runner) -> str:
        return osp.join(runner.work_dir, f'{self.name}_metrics.json')

    def after_train(self, runner) -> None:
        picture = plot_curves(
            self.losses, self.metrics,
            title=f'{runner.experiment_name}: {runner.iter} cycles')
        runner.visualizer.add_image(self.name, picture, step=runner.iter)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint.setdefault('meta', {})['training_curves'] = dict(
            losses=dict(self.losses), metrics=dict(self.metrics))

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if not is_resuming(runner):  # load_from: a new run's own curves
            return
        saved = checkpoint.get('meta', {}).get('training_curves', {})
        for key, points in saved.get('losses', {}).items():
            self.losses[key] = [tuple(p) for p in points]
        for key, points in saved.get('metrics', {}).items():
            self.metrics[key] = [tuple(p) for p in points]
        cycle = checkpoint.get('meta', {}).get('iter')
        path = self._metrics_file(runner)
        if cycle is not None and osp.isfile(path):
            # The checkpoint's own cycle was validated after it was saved.
            try:
                validated = load(path)
            except ValueError as error:  # cut off by a full disk, say
                print_log(
                    f'{path} cannot be read ({error}): the curves leave out '
                    f'the validation of cycle {cycle}; the file is written '
                    'again at the next validation',
                    logger='current',
                    level=logging.WARNING)
                validated = {}
            for key, points in validated.items():
                if not any(c == cycle for c, _ in self.metrics[key]):
                    self.metrics[key] += [(c, v) for c, v in points
                                          if c == cycle]
