"""Checkpoint hooks: the random state of every rank saved into checkpoints
and restored on resume (RandomStateHook), and every loaded checkpoint
checked against the model (StrictCheckpointLoadHook)."""
import logging
from typing import List, Optional, Tuple

import torch
from mmengine.dist import all_gather_object
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner.utils import set_random_seed

from ratenet_plugin.fileio.checkpoint_file import (CheckpointError,
                                                   check_state_dict,
                                                   model_state_dict,
                                                   trained_config_hint)

from ratenet_plugin.registry import HOOKS
from ratenet_plugin.utils.model_wrappers import unwrap_model
from ratenet_plugin.utils.random_state import (get_random_state,
                                               same_random_state,
                                               set_random_state)


def is_resuming(runner) -> bool:
    """Whether ``runner`` resumes a run (``resume=True``, ``--resume``)
    rather than starting one from weights (``load_from`` alone): MMEngine
    calls ``after_load_checkpoint`` for both, and keeps the flag private."""
    return bool(runner._resume)


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Save the global random generators in checkpoints, restore them on
    resume.

    MMEngine re-seeds on resume but does not restore the generators, so
    dropout masks and random augmentations after a resume differ from those of
    an uninterrupted run. With this hook (and :class:`RATELoop`, which keeps
    the state unchanged while skipping already-trained batches) a resumed CPU
    run reproduces the uninterrupted one exactly. The state of dataloader
    worker processes (``num_workers > 0``) is not covered: they are re-seeded.

    Validation leaves the generators as it found them: it runs after the
    checkpoint of its cycle is saved and draws from them (at least the val
    dataloader's seed), so otherwise an uninterrupted run would continue
    from another state than a run resumed from that checkpoint. (The
    training run also no longer depends on how often it is validated.) A
    checkpoint saved during validation (``CheckpointHook``'s ``save_best``)
    holds the state from before it, the one training continues from.

    Several processes: MMEngine saves checkpoints on rank 0 alone, so every
    rank's state is gathered to it beforehand (``all_gather_object``, two
    small collectives per cycle and per validation, beside the cycle's DDP
    all-reduces) and each rank resumes from its own
    (``checkpoint['random_state_of_ranks']``): exact with
    ``randomness.diff_rank_seed=True`` and for each GPU's generator.
    Resumed with another number of processes (or several from a single
    process's checkpoint), every rank takes rank 0's state
    (``checkpoint['random_state']``, also what a single-process run reads),
    with a warning where the saved ranks' states differ; with
    ``diff_rank_seed=True`` each rank is then re-seeded with a seed drawn
    from that state plus its rank, so that the ranks keep drawing different
    dropout masks and flips, as MMEngine's seed + rank makes them at the
    start (the same for every resume of that checkpoint with that number of
    processes).

    The priority, just above MMEngine's ``CheckpointHook`` (VERY_LOW = 90),
    gathers the states after every other hook of the cycle has run and before
    that hook saves.
    """

    priority = 89

    def __init__(self) -> None:
        self._before_val: Optional[dict] = None
        self._val_states: Optional[List[dict]] = None
        # (cycle, every rank's state after it), gathered in after_train_iter.
        self._cycle_states: Optional[Tuple[int, List[dict]]] = None

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        if runner.world_size > 1:
            self._cycle_states = (runner.iter,
                                  all_gather_object(get_random_state()))

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if self._before_val is not None:  # saved during validation
            state, ranks = self._before_val, self._val_states
        else:
            state, ranks = get_random_state(), None
            if (self._cycle_states is not None
                    and self._cycle_states[0] == runner.iter):
                ranks = self._cycle_states[1]
        checkpoint['random_state'] = state
        if ranks is not None:
            checkpoint['random_state_of_ranks'] = ranks

    def before_val(self, runner) -> None:
        self._before_val = get_random_state()
        self._val_states = (all_gather_object(self._before_val)
                            if runner.world_size > 1 else None)

    def after_val(self, runner) -> None:
        if self._before_val is not None:
            set_random_state(self._before_val)
            self._before_val = self._val_states = None

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        # A run started from weights (load_from) keeps its own seed.
        if not is_resuming(runner):
            return
        if 'random_state' not in checkpoint:
            print_log(
                'The resumed checkpoint holds no random state (saved without '
                'RandomStateHook): the generators are re-seeded, so this run '
                'draws other dropout masks and flips than an uninterrupted '
                'one',
                logger='current',
                level=logging.WARNING)
            return
        ranks = checkpoint.get('random_state_of_ranks')
        if ranks is not None and len(ranks) == runner.world_size:
            set_random_state(ranks[runner.rank])
            return
        if ranks is not None and not all(
                same_random_state(ranks[0], other) for other in ranks[1:]):
            print_log(
                f'The checkpoint was saved by {len(ranks)} processes whose '
                f'random states differ; this run has {runner.world_size}: '
                'every process continues from process 0\'s state, so the '
                'run is not the uninterrupted one (resume with '
                f'{len(ranks)} processes for that)',
                logger='current',
                level=logging.WARNING)
        set_random_state(checkpoint['random_state'])
        randomness = getattr(runner, '_randomness_cfg', None) or {}
        if runner.world_size > 1 and randomness.get('diff_rank_seed'):
            # Drawn from the restored state: the same on every rank.
            base = int(torch.randint(0, 2**31 - runner.world_size, ()))
            set_random_seed(base, diff_rank_seed=True)
            print_log(
                f'Resumed with {runner.world_size} processes from a '
                'checkpoint of another number: with diff_rank_seed each '
                f'process is re-seeded ({base} + its rank), so that they '
                'keep drawing different random numbers',
                logger='current',
                level=logging.WARNING)


@HOOKS.register_module()
class StrictCheckpointLoadHook(Hook):
    """Stop when the checkpoint a Runner loads does not fit its model.

    MMEngine's ``Runner.load_checkpoint`` (``load_from`` in tools/test.py,
    ``--resume`` in tools/train.py) loads with ``strict=False``: a checkpoint
    of another architecture only logs a warning, then tests random weights or
    crashes inside the optimizer. This hook checks the file's state dict
    against the model right after MMEngine reads it and before anything is
    loaded, and raises :class:`CheckpointMismatchError` (N missing, M
    unexpected, K wrong shapes, first names). ``tools/train.py`` and
    ``tools/test.py`` add it to every config
    (:func:`ratenet_plugin.utils.config.load_config`).
    """

    priority = 'VERY_HIGH'

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        source = runner.cfg.get('load_from') or 'the checkpoint'
        check_state_dict(
            unwrap_model(runner.model).state_dict(),
            model_state_dict(checkpoint, f'checkpoint {source}'), source,
            f'the model of {runner.cfg.filename or "the config"}',
            trained_config_hint(checkpoint, runner.cfg.filename))
        if is_resuming(runner):
            self._check_training_state(runner, checkpoint, source)

    @staticmethod
    def _check_training_state(runner, checkpoint: dict, source: str) -> None:
        """What MMEngine's resume reads: without it MMEngine fails later
        (no meta) or silently restarts the optimisers and the learning-rate
        schedule (a weights-only file, e.g. of
        tools/analysis/save_initial_checkpoint.py with meta=dict(iter=0); a
        best checkpoint of ``save_best``, saved without them)."""
        meta = checkpoint.get('meta', {})
        missing = [f'meta.{key}' for key in ('epoch', 'iter')
                   if key not in meta]
        if 'optimizer' not in checkpoint:
            missing.append('optimizer')
        if (runner.cfg.get('param_scheduler')
                and 'param_schedulers' not in checkpoint):
            missing.append('param_schedulers')
        if missing:
            why = ('a best checkpoint or weights alone'
                   if missing != ['param_schedulers'] else
                   'saved by a run without this config\'s param_scheduler')
            raise CheckpointError(
                f'checkpoint {source} holds no training state (no '
                f'{", ".join(missing)}; {why}): '
                'it cannot be resumed. Resume from the run\'s iter_N.pth, or '
                'start a new run from its weights: drop --resume and set '
                f'load_from (--cfg-options load_from={source})')
