"""RATE-Net (region-adaptive texture enhancement) for MMagic 1.x.

Importing the package registers every component in MMagic's registries and
makes MMEngine checkpoints loadable under torch >= 2.6, read through one
loader with one set of error messages (see
:mod:`ratenet_plugin.utils.checkpoint`).
"""
from .utils.checkpoint import (register_checkpoint_loader,
                               register_checkpoint_safe_globals)
from .version import __version__

register_checkpoint_safe_globals()
register_checkpoint_loader()

from . import apis, datasets, engine, evaluation, models  # noqa: E402,F401

__all__ = ['__version__']
