"""Hooks of ratenet_plugin."""
from mmengine.hooks import Hook

from ratenet_plugin.registry import HOOKS
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
    """

    priority = 'VERY_LOW'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint['random_state'] = get_random_state()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if 'random_state' in checkpoint:
            set_random_state(checkpoint['random_state'])
