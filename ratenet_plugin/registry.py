"""Where ratenet_plugin registers its components.

We register directly into MMagic's registries (not child registries with a scope
of our own) so that one config with ``default_scope='mmagic'`` can build our
components next to MMagic's, and so that MMagic's own builders (its models,
loops and evaluators) find ours. See docs/architecture.md.

Two helpers keep start-up short (docs/architecture.md, "Light imports"):

* :func:`register_lazily`: a module of ours that subclasses MMagic's metrics
  or models (which import MMagic's whole model zoo, seconds) is imported
  when its registry is first searched, as MMagic's own modules are.
* :func:`registered_only` / :func:`build_from_registered`: builds inside
  find what is registered already without importing MMagic's model zoo and
  data transforms, which MMagic's registries otherwise load on their first
  lookup.
"""
import importlib
from contextlib import contextmanager
from typing import Callable, Iterator, TypeVar

from mmagic.registry import (DATA_SAMPLERS, DATASETS, EVALUATORS, HOOKS,
                             LOOPS, METRICS, MODEL_WRAPPERS, MODELS,
                             OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS,
                             PARAM_SCHEDULERS, TRANSFORMS, VISUALIZERS)
from mmengine.registry import DefaultScope, Registry

__all__ = [
    'DATA_SAMPLERS', 'DATASETS', 'EVALUATORS', 'HOOKS', 'LOOPS', 'METRICS',
    'MODEL_WRAPPERS', 'MODELS', 'OPTIM_WRAPPER_CONSTRUCTORS', 'OPTIM_WRAPPERS',
    'PARAM_SCHEDULERS', 'TRANSFORMS', 'VISUALIZERS', 'REGISTERED_ONLY_SCOPE',
    'build_from_registered', 'register_lazily', 'registered_only'
]

Built = TypeVar('Built')

#: The scope of :func:`registered_only` (MMEngine imports
#: ``<scope>.registry`` when it switches to a scope: this module).
REGISTERED_ONLY_SCOPE = 'ratenet_plugin'

# Child registries with no import locations of their own. MMEngine's
# ``Registry.get`` imports a registry's ``locations`` (for MMagic's MODELS:
# ``mmagic.models``) before searching it, but searches its parents' entries
# without their locations; under the default scope REGISTERED_ONLY_SCOPE
# every build of a model part or a transform (ours, MMCV's ConvModule and
# activations) goes through these.
_REGISTERED_MODELS = Registry(
    'model', parent=MODELS, scope=REGISTERED_ONLY_SCOPE)
_REGISTERED_TRANSFORMS = Registry(
    'transform', parent=TRANSFORMS, scope=REGISTERED_ONLY_SCOPE)


@contextmanager
def registered_only() -> Iterator[None]:
    """Build models and transforms from what is registered already.

    Inside, ``MODELS.build`` and ``TRANSFORMS.build`` (MMagic's, MMEngine's
    and MMCV's) find ours, MMCV's and MMEngine's entries and whatever MMagic
    modules are imported, without importing ``mmagic.models`` or
    ``mmagic.datasets.transforms``. A type not registered yet raises
    MMEngine's ``KeyError`` ("... is not in the ... registry"). Other
    registries must not be used inside (MMEngine would warn that the scope
    has no registry of theirs).
    """
    with DefaultScope.overwrite_default_scope(REGISTERED_ONLY_SCOPE):
        yield


def build_from_registered(build: Callable[[], Built]) -> Built:
    """``build()`` inside :func:`registered_only`; if it names a type that
    is not registered yet (MMagic's, say), ``build()`` again as MMEngine
    builds, importing the registries' modules."""
    try:
        with registered_only():
            return build()
    except KeyError:
        return build()


def register_lazily(registry: Registry, module: str) -> None:
    """Have ``registry`` import ``module`` (which registers into it) when it
    is first searched, like the modules it was created with.

    MMEngine's lazy registration: a registry imports its ``locations`` on
    its first ``get`` (which ``build`` and ``in`` call), and MMagic's are
    created with ``mmagic.models``, ``mmagic.evaluation``...; MMEngine has
    no public way to add one later, so this sets a longer list. A registry
    that was searched already imports the module now.
    """
    if registry._imported:
        importlib.import_module(module)
    elif module not in registry._locations:
        # A new list: registries made without locations share one default
        # list object (``locations: List = []``).
        registry._locations = [*registry._locations, module]
