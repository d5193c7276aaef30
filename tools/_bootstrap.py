"""Imported first by every tool, before torch: puts the repository on
``sys.path`` and sets the OpenMP thread defaults; :func:`heavy_imports`
imports the packages a tool needs without Python's garbage collector.

OpenMP (libgomp, which torch's CPU kernels run on) reads its settings once,
when torch loads it, so they can only be chosen before ``import torch``; this
module is that one place (standard library only). The rule and the
measurements behind it: docs/environment.md. A variable already set in the
environment always wins.
"""
import gc
import os
import os.path as osp
import sys
from contextlib import contextmanager
from typing import Dict, Iterator, Mapping

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def openmp_defaults(environ: Mapping[str, str]) -> Dict[str, str]:
    """The OpenMP variables to set for a process with environment
    ``environ`` (those it does not set already).

    Ranks that share one machine's cores (CPU distributed runs,
    ``WORLD_SIZE > 1``) sleep at once at a barrier (``PASSIVE``); otherwise
    libgomp's default wait stands.
    """
    defaults = {}
    if int(environ.get('WORLD_SIZE', '1')) > 1:
        defaults['OMP_WAIT_POLICY'] = 'PASSIVE'
    return {k: v for k, v in defaults.items() if k not in environ}


# Once torch is loaded (a tool imported into a running Python, e.g. by a
# test) the settings would not apply here and only leak into subprocesses.
if 'torch' not in sys.modules:
    os.environ.update(openmp_defaults(os.environ))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)


@contextmanager
def heavy_imports() -> Iterator[None]:
    """Import torch, MMEngine, MMCV and the plugin inside this.

    Their imports build millions of objects and almost no garbage, yet
    Python's cyclic garbage collector runs again and again meanwhile, and
    scans them all once more at exit: 1.1 s of a 3.8 s one-image
    ``tools/infer.py`` call (docs/benchmarks.md, "Start-up"). So collection
    is paused inside, and what the imports built is then frozen
    (``gc.freeze``: never scanned again; what the tool creates later is
    collected as usual).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()
