"""Imported first by every tool, before torch: puts the repository on
``sys.path``, sets the OpenMP thread defaults and glibc's malloc policy,
then imports torch with subnormal floats flushed to zero in every thread;
:func:`heavy_imports` imports the packages a tool needs without Python's
garbage collector.

OpenMP (libgomp, which torch's CPU kernels run on) reads its settings once,
when torch loads it, so they can only be chosen before ``import torch``; this
module is that one place (standard library only until torch is imported at its
end). The rule and the measurements behind it: docs/environment.md. A variable
already set in the environment always wins.
"""
import gc
import os
import os.path as osp
import sys
import warnings
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


#: glibc malloc settings of a tool process (mallopt parameter number ->
#: value) and the environment variable that would set each one instead.
#: Blocks below 32 MiB (glibc's largest mmap threshold) come from the heap,
#: which is kept: a freed activation's memory is reused by the next one
#: instead of being unmapped and faulted in again, page by page. The
#: default (a 128 KiB threshold that adapts, trimming at twice that)
#: returned and re-faulted memory on every update: measured 2-4 % of the
#: demo's cycle and 10 % of the paper model's (docs/environment.md).
GLIBC_MALLOC = {
    -3: ('MALLOC_MMAP_THRESHOLD_', 32 * 2**20),  # M_MMAP_THRESHOLD
    -1: ('MALLOC_TRIM_THRESHOLD_', 2**31 - 1),  # M_TRIM_THRESHOLD (C int)
    -2: ('MALLOC_TOP_PAD_', 256 * 2**20),  # M_TOP_PAD
}


def malloc_settings(environ: Mapping[str, str]) -> Dict[int, int]:
    """The ``mallopt`` settings to make (parameter -> value): those of
    :data:`GLIBC_MALLOC` whose ``MALLOC_*_`` variable ``environ`` does not
    set (the user's choice wins); none where the C library is not glibc."""
    import platform
    if platform.libc_ver()[0] != 'glibc':
        return {}
    return {
        param: value
        for param, (variable, value) in GLIBC_MALLOC.items()
        if variable not in environ
    }


def tune_malloc(environ: Mapping[str, str]) -> Dict[int, int]:
    """Apply :func:`malloc_settings` to this process; returns what was
    set (a setting glibc refuses is left out)."""
    import ctypes
    settings = malloc_settings(environ)
    if not settings:
        return {}
    mallopt = ctypes.CDLL(None).mallopt
    return {
        param: value
        for param, value in settings.items() if mallopt(param, value) == 1
    }


#: ``0`` in the environment keeps IEEE subnormal floats in a tool process
#: (see :func:`flush_subnormals`).
FLUSH_SUBNORMALS_VARIABLE = 'RATENET_FLUSH_SUBNORMALS'


def flush_subnormals(environ: Mapping[str, str]) -> bool:
    """Import torch and compute with subnormal floats flushed to zero (the
    CPU's flush-to-zero and denormals-are-zero modes), unless ``environ``
    sets :data:`FLUSH_SUBNORMALS_VARIABLE` to ``0``; returns whether it did.

    Some CPUs compute on subnormals (below 1.2e-38 in float32 and bfloat16)
    on a slow path: measured on an Intel Xeon, a weight gradient whose
    products were subnormal took 62 ms instead of 10 (docs/benchmarks.md).
    The mode is a per-thread register that a new thread copies from the
    one that creates it, so it is set here, before torch's OpenMP threads
    exist: set later, it reaches the calling thread only (what made the
    earlier measurement show nothing on two threads). Values below 1.2e-38
    become 0 (the main job's held-out figures did not change,
    docs/environment.md).
    """
    if environ.get(FLUSH_SUBNORMALS_VARIABLE, '1') == '0':
        return False
    import torch
    flushed = bool(torch.set_flush_denormal(True))
    if flushed:
        # NumPy says so whenever it reads float limits (np.finfo, which
        # MMagic's and SciPy's imports do): expected here, not a fault.
        warnings.filterwarnings(
            'ignore', message='The value of the smallest subnormal for',
            category=UserWarning)
    return flushed


#: Optional packages that MMEngine imports only to register optimisers a
#: process that only generates never builds: ZeRO
#: (``torch.distributed.optim``, which brings FSDP and DTensor) and
#: transformers' Adafactor. MMEngine imports each inside ``try: ... except
#: ImportError`` and goes on without it, as in an environment that lacks
#: them. Skipping them took a one-image ``tools/infer.py`` call from 2.7 to
#: 2.2 s (docs/benchmarks.md, "Start-up").
TRAINING_ONLY_IMPORTS = ('torch.distributed.optim', 'transformers')


@contextmanager
def heavy_imports(skip_training_only: bool = False) -> Iterator[None]:
    """Import torch, MMEngine, MMCV and the plugin inside this.

    Their imports build millions of objects and almost no garbage, yet
    Python's cyclic garbage collector runs again and again meanwhile, and
    scans them all once more at exit: 1.1 s of a 3.8 s one-image
    ``tools/infer.py`` call (docs/benchmarks.md, "Start-up"). So collection
    is paused inside, and what the imports built is then frozen
    (``gc.freeze``: never scanned again; what the tool creates later is
    collected as usual).

    Args:
        skip_training_only (bool): Inside, make :data:`TRAINING_ONLY_IMPORTS`
            that are not imported yet fail as if not installed (so MMEngine
            registers no ZeRO or Adafactor in this process); after, they
            import normally again. For a tool run as a script that only
            generates (not when imported into a running process, e.g. by a
            test, whose MMEngine would then lack them).
    """
    skipped = [
        name for name in TRAINING_ONLY_IMPORTS
        if skip_training_only and name not in sys.modules
    ]
    # A None entry makes ``import name`` raise ImportError.
    sys.modules.update(dict.fromkeys(skipped))
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        for name in skipped:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]
        gc.freeze()
        if was_enabled:
            gc.enable()


def freeze_long_lived() -> None:
    """Collect garbage once, then exclude every object that exists now from
    later collections (``gc.freeze``).

    Called once a Runner is built: the imports (MMagic's model zoo among
    them), the model and the data set are millions of objects that live for
    the whole run, and each full collection during training scans them
    again (about 0.13 s each, 11 in 300 main-job cycles on an Intel Xeon;
    docs/benchmarks.md, "Overheads removed"). Objects created later are
    collected as usual.
    """
    gc.collect()
    gc.freeze()


# The deprecation warning ratenet_plugin/__init__.py hides (transformers'
# use of a torch function), hidden here too: MMEngine's runner imports
# transformers before a tool imports the plugin.
warnings.filterwarnings(
    'ignore', category=FutureWarning,
    message=r'`torch\.utils\._pytree\._register_pytree_node` is deprecated')

# Once torch is loaded (a tool imported into a running Python, e.g. by a
# test) the settings would not apply here and only leak into subprocesses;
# the process's memory policy and float modes are then left as they are.
if 'torch' not in sys.modules:
    os.environ.update(openmp_defaults(os.environ))
    tune_malloc(os.environ)
    with heavy_imports():  # flushing imports torch
        flush_subnormals(os.environ)
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)
