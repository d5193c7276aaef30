"""RATE-Net (region-adaptive texture enhancement) for MMagic 1.x.

Importing the package registers every component in MMagic's registries and
makes MMEngine checkpoints loadable under torch >= 2.6, read through one
loader with one set of error messages (see
:mod:`ratenet_plugin.utils.mmengine_checkpoints`).

Registration is split by import cost (docs/architecture.md, "Light
imports"): the models, data and engine parts register here and now; the
metrics (:mod:`ratenet_plugin.evaluation`, subclasses of MMagic's, which
load MMagic's whole model zoo) register when MMagic's ``METRICS`` or
``HOOKS`` is first searched, as MMagic's own metrics do. So a config's
``custom_imports=dict(imports=['ratenet_plugin'])`` finds everything, and
``ratenet_plugin.apis`` (inference) starts without MMagic's model zoo.
"""
import warnings

# transformers and diffusers (imported by MMagic, some lazily) register their
# output classes with a torch function deprecated since torch 2.2: two to
# four lines before every tool's own output, the one line of a user error
# included, that no user can act on. This one message alone is hidden.
warnings.filterwarnings(
    'ignore', category=FutureWarning,
    message=r'`torch\.utils\._pytree\._register_pytree_node` is deprecated')
# Likewise MediaPipe's use of protobuf, at every pose extraction.
warnings.filterwarnings(
    'ignore', category=UserWarning,
    message=r'SymbolDatabase\.GetPrototype\(\) is deprecated')

from .registry import HOOKS, METRICS, register_lazily  # noqa: E402
from .utils.mmengine_checkpoints import (  # noqa: E402
    register_checkpoint_loader, register_checkpoint_safe_globals,
    register_whole_file_backend)
from .utils.lazy import lazy_attributes  # noqa: E402
from .version import __version__  # noqa: E402

register_checkpoint_safe_globals()
register_checkpoint_loader()
register_whole_file_backend()

from . import datasets, engine, models  # noqa: E402,F401

register_lazily(METRICS, 'ratenet_plugin.evaluation')
register_lazily(HOOKS, 'ratenet_plugin.evaluation')  # ResultsReportHook

__getattr__, __dir__ = lazy_attributes(__name__, globals(), {
    'analysis': '.analysis',
    'apis': '.apis',
    'evaluation': '.evaluation',
})

__all__ = ['__version__']
