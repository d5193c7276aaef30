"""Where ratenet_plugin registers its components.

We register directly into MMagic's registries (not child registries with a scope
of our own) so that one config with ``default_scope='mmagic'`` can build our
components next to MMagic's, and so that MMagic's own builders (its models,
loops and evaluators) find ours. See docs/architecture.md.
"""
from mmagic.registry import (DATA_SAMPLERS, DATASETS, EVALUATORS, HOOKS,
                             LOOPS, METRICS, MODEL_WRAPPERS, MODELS,
                             OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS,
                             PARAM_SCHEDULERS, TRANSFORMS, VISUALIZERS)

__all__ = [
    'DATA_SAMPLERS', 'DATASETS', 'EVALUATORS', 'HOOKS', 'LOOPS', 'METRICS',
    'MODEL_WRAPPERS', 'MODELS', 'OPTIM_WRAPPER_CONSTRUCTORS', 'OPTIM_WRAPPERS',
    'PARAM_SCHEDULERS', 'TRANSFORMS', 'VISUALIZERS'
]
