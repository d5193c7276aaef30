"""Fewer CPU threads while other processes compete for the cores.

torch's CPU kernels run on OpenMP threads that meet at a barrier after
every parallel region; libgomp's default lets a waiting thread spin before
it sleeps. On a machine of one's own that is the fastest wait (twice as fast
as sleeping at once on these 2-core machines), but when another process
takes one of the cores, each barrier waits for a descheduled thread: the
demo trained 20x slower beside one busy process (docs/environment.md,
"Shared cores"). One thread has no barrier to wait at, and lost only 1.5-3x.
libgomp's wait policy is fixed once torch is loaded; the thread count is
not, so :class:`AdaptiveCPUThreadsHook` measures, every few seconds, how
much CPU other processes used and trains on one thread while they use a
good part of a core, on all threads again when they stop.
"""
import os
import time
from typing import Dict, Optional, Tuple

import torch
from mmengine.hooks import Hook

from ratenet_plugin.registry import HOOKS

_CLOCK_TICKS = os.sysconf('SC_CLK_TCK') if hasattr(os, 'sysconf') else 100


def machine_busy_seconds() -> Optional[float]:
    """CPU seconds all CPUs spent busy since boot (``/proc/stat``), None
    where that file does not exist."""
    try:
        with open('/proc/stat') as file:
            fields = [int(v) for v in file.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle, iowait
    return (sum(fields[:8]) - idle) / _CLOCK_TICKS


def _process_stat(pid: int) -> Optional[Tuple[int, float]]:
    """(parent pid, CPU seconds) of a process: its user and system time and
    that of its children that have ended (``cutime``, ``cstime``), where
    the kernel moves a child's time when the child is reaped."""
    try:
        with open(f'/proc/{pid}/stat') as file:
            fields = file.read().rsplit(')', 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), sum(int(v) for v in fields[11:15]) / _CLOCK_TICKS


def own_cpu_seconds(pid: Optional[int] = None) -> float:
    """CPU seconds of a process and its descendants, living (e.g.
    dataloader workers) or ended: the work that is not competition."""
    root = os.getpid() if pid is None else pid
    stats: Dict[int, Tuple[int, float]] = {}
    for name in os.listdir('/proc'):
        if name.isdigit():
            stat = _process_stat(int(name))
            if stat is not None:
                stats[int(name)] = stat
    children: Dict[int, list] = {}
    for child, (parent, _) in stats.items():
        children.setdefault(parent, []).append(child)
    total, todo = 0.0, [root]
    while todo:
        pid_ = todo.pop()
        if pid_ in stats:
            total += stats[pid_][1]
        todo.extend(children.get(pid_, []))
    return total


@HOOKS.register_module()
class AdaptiveCPUThreadsHook(Hook):
    """Train on one CPU thread while other processes keep the cores busy.

    Every ``interval_s`` seconds of training it takes the CPU time the whole
    machine was busy (``/proc/stat``) minus that of this process and its
    children: the other processes' load, in cores. At ``contended_cores``
    or more it sets ``torch.set_num_threads(1)``; below ``idle_cores`` it
    restores the thread count the run started with; each switch is logged.
    Inactive on a GPU run, with one thread, and where ``/proc`` does not
    exist.

    Args:
        interval_s (float): Seconds between measurements. The first one
            happens ``interval_s`` after training starts, so runs shorter
            than that never switch. Defaults to 5.
        contended_cores (float): Others' load (in cores) from which one
            thread is used. Defaults to 0.5.
        idle_cores (float): Others' load below which all threads are used
            again. Defaults to 0.25.
    """

    priority = 'LOW'

    def __init__(self,
                 interval_s: float = 5.0,
                 contended_cores: float = 0.5,
                 idle_cores: float = 0.25) -> None:
        if not 0 <= idle_cores < contended_cores:
            raise ValueError('AdaptiveCPUThreadsHook needs 0 <= idle_cores < '
                             f'contended_cores, got {idle_cores} and '
                             f'{contended_cores}')
        if interval_s <= 0:
            raise ValueError(f'interval_s must be positive, got {interval_s}')
        self.interval_s = interval_s
        self.contended_cores = contended_cores
        self.idle_cores = idle_cores
        self.full_threads = 1
        self.active = False
        self._last: Optional[Tuple[float, float, float]] = None

    def before_train(self, runner) -> None:
        self.full_threads = torch.get_num_threads()
        on_gpu = next(runner.model.parameters()).is_cuda
        self.active = (not on_gpu and self.full_threads > 1
                       and machine_busy_seconds() is not None)
        self._last = self._sample() if self.active else None

    def _sample(self) -> Tuple[float, float, float]:
        return time.monotonic(), machine_busy_seconds(), own_cpu_seconds()

    def others_load(self) -> Optional[float]:
        """Others' load in cores since the last measurement, or None when
        less than ``interval_s`` has passed (then nothing is measured)."""
        now = time.monotonic()
        if now - self._last[0] < self.interval_s:
            return None
        sample = self._sample()
        then, self._last = self._last, sample
        elapsed = sample[0] - then[0]
        return max(0.0, ((sample[1] - then[1]) -
                         (sample[2] - then[2])) / elapsed)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        if not self.active:
            return
        load = self.others_load()
        if load is None:
            return
        threads = torch.get_num_threads()
        if load >= self.contended_cores and threads > 1:
            torch.set_num_threads(1)
            runner.logger.info(
                f'Other processes use {load:.1f} CPU cores: training on 1 '
                f'thread instead of {threads} (AdaptiveCPUThreadsHook).')
        elif load < self.idle_cores and threads < self.full_threads:
            torch.set_num_threads(self.full_threads)
            runner.logger.info(
                f'Other processes use {load:.1f} CPU cores: training on '
                f'{self.full_threads} threads again.')

    def after_train(self, runner) -> None:
        if self.active:
            torch.set_num_threads(self.full_threads)
