"""Hooks of ratenet_plugin."""
from typing import Optional

from mmengine.hooks import Hook

from ratenet_plugin.fileio.checkpoint_file import (CheckpointError,
                                                   CheckpointMismatchError,
                                                   compare_state_dicts,
                                                   mismatch_message,
                                                   model_state_dict)

from ratenet_plugin.registry import HOOKS
from ratenet_plugin.utils.model_wrappers import unwrap_model
from ratenet_plugin.utils.random_state import get_random_state, set_random_state


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Save the global random generators in checkpoints and restore them on resume.

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
    training run also no longer depends on how often it is validated.)
    """

    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self._before_val: Optional[dict] = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint['random_state'] = get_random_state()

    def before_val(self, runner) -> None:
        self._before_val = get_random_state()

    def after_val(self, runner) -> None:
        if self._before_val is not None:
            set_random_state(self._before_val)
            self._before_val = None

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if 'random_state' in checkpoint:
            set_random_state(checkpoint['random_state'])


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
        meta = checkpoint.get('meta', {}) if isinstance(checkpoint,
                                                         dict) else {}
        # What MMEngine's resume reads (a weights-only file, e.g. of
        # tools/analysis/save_initial_checkpoint.py, has meta=dict(iter=0)).
        if runner.cfg.get('resume') and not all(key in meta
                                                for key in ('epoch', 'iter')):
            raise CheckpointError(
                f'checkpoint {source} holds no training state (meta, '
                'optimizer): it cannot be resumed. To start a new run from '
                'its weights, drop --resume and set load_from (--cfg-options '
                f'load_from={source})')
        mismatch = compare_state_dicts(
            unwrap_model(runner.model).state_dict(),
            model_state_dict(checkpoint, f'checkpoint {source}'))
        if mismatch:
            config = runner.cfg.filename or 'the config'
            raise CheckpointMismatchError(
                mismatch_message(source, f'the model of {config}', mismatch))
