"""Small helpers shared by tools/train.py, tools/test.py and the tests."""
import importlib
from typing import Optional

from mmengine.config import Config


def import_plugin(cfg: Config) -> None:
    """Import the plugin (registers everything) and the config's custom imports.

    Configs name ``custom_imports=dict(imports=['ratenet_plugin'])``; the Runner
    imports them too, but importing here first makes a broken install fail with
    Python's own ImportError instead of an unknown-type error later.
    """
    importlib.import_module('ratenet_plugin')
    custom = cfg.get('custom_imports') or {}
    for name in custom.get('imports', []):
        importlib.import_module(name)


def enable_amp(cfg: Config, dtype: Optional[str] = None) -> None:
    """Turn every ``OptimWrapper`` of ``cfg.optim_wrapper`` into an ``AmpOptimWrapper``.

    Handles both a single wrapper (``optim_wrapper=dict(type='OptimWrapper',
    ...)``) and a dict of wrappers, one per trainable module (our GAN configs).
    float16 uses dynamic loss scaling; bfloat16 needs none.
    """
    wrappers = cfg.optim_wrapper
    if 'type' in wrappers or 'optimizer' in wrappers:
        targets = [wrappers]
    else:
        targets = [w for w in wrappers.values() if isinstance(w, dict)]
    for wrapper in targets:
        current = wrapper.get('type', 'OptimWrapper')
        if current == 'AmpOptimWrapper':
            continue
        if current != 'OptimWrapper':
            raise ValueError(
                f'--amp turns OptimWrapper into AmpOptimWrapper, but the config '
                f'uses {current!r}; set the AMP wrapper in the config instead.')
        wrapper['type'] = 'AmpOptimWrapper'
        wrapper['loss_scale'] = 'dynamic' if dtype in (None, 'float16') else 1.0
        if dtype is not None:
            wrapper['dtype'] = dtype
