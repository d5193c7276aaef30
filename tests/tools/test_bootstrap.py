"""tools/_bootstrap.py, which every tool imports before torch: the OpenMP
defaults (libgomp's default wait on a machine of one's own, PASSIVE for
ranks sharing a machine, WORLD_SIZE > 1; the user's choice always), glibc's
malloc policy, the repository on sys.path, and imports without the garbage
collector."""
import ast
import ctypes
import gc
import json
import os
import platform
import subprocess
import sys
import weakref
from pathlib import Path

import pytest
import torch  # noqa: F401  (loaded, as in a test process or notebook)

from tests.tools.tool_testing import load_tool

REPO_ROOT = Path(__file__).resolve().parents[2]
glibc_only = pytest.mark.skipif(platform.libc_ver()[0] != 'glibc',
                                reason='the malloc policy is glibc\'s')


def load_bootstrap():
    return load_tool('_bootstrap')


@pytest.mark.parametrize('environ, expected', [
    ({}, {}),
    (dict(WORLD_SIZE='1'), {}),
    (dict(WORLD_SIZE='4'), dict(OMP_WAIT_POLICY='PASSIVE')),
    (dict(WORLD_SIZE='4', OMP_WAIT_POLICY='ACTIVE'), {}),
])
def test_openmp_defaults(environ, expected):
    assert load_bootstrap().openmp_defaults(environ) == expected


def test_torch_already_imported_leaves_the_environment_alone(monkeypatch):
    monkeypatch.setenv('WORLD_SIZE', '2')
    monkeypatch.delenv('OMP_WAIT_POLICY', raising=False)
    load_bootstrap()  # torch is loaded (imported above)
    assert 'OMP_WAIT_POLICY' not in os.environ
    assert str(REPO_ROOT) in sys.path


def test_heavy_imports_pause_the_collector_and_freeze_what_they_built():
    bootstrap = load_bootstrap()
    frozen = gc.get_freeze_count()
    try:
        with bootstrap.heavy_imports():
            assert not gc.isenabled()
            built = [[] for _ in range(1000)]
        assert gc.isenabled()
        assert gc.get_freeze_count() >= frozen + len(built)
    finally:
        gc.unfreeze()


# In a fresh interpreter: MMEngine's optimisers imported with its
# training-only optional imports skipped, then those imported after.
SKIP_DRIVER = '''
import json, sys
sys.path.insert(0, sys.argv[1])
import _bootstrap
with _bootstrap.heavy_imports(skip_training_only=True):
    import mmengine.optim
    inside = {name: name in sys.modules and sys.modules[name] is not None
              for name in _bootstrap.TRAINING_ONLY_IMPORTS}
from mmengine.registry import OPTIMIZERS
from mmengine.optim.optimizer import zero_optimizer
registered = 'Adafactor' in OPTIMIZERS, zero_optimizer.ZeroRedundancyOptimizer
import transformers, torch.distributed.optim  # import as usual again
print(json.dumps(dict(inside=inside, adafactor=registered[0],
                      zero_base=registered[1].__bases__[0].__name__,
                      after=[transformers.__name__,
                             torch.distributed.optim.__name__])))
'''


# In a fresh interpreter: how many of 2^22 subnormal floats, multiplied by
# 1 on two OpenMP threads (each takes half), stay subnormal.
SUBNORMALS_DRIVER = '''
import sys, warnings
sys.path.insert(0, sys.argv[1])
import _bootstrap
import numpy, torch
torch.set_num_threads(2)
x = torch.full((1 << 22, ), 1e-39)
with warnings.catch_warnings(record=True) as caught:
    numpy.finfo(numpy.float32).smallest_subnormal  # warns when flushed
print(len(caught), int(((x * 1.0) != 0).sum()))
'''


@pytest.mark.parametrize('variable, left', [(None, 0), ('1', 0),
                                            ('0', 1 << 22)])
def test_subnormals_are_flushed_in_every_thread(variable, left):
    """Flushed before torch's threads exist, so on both threads (set later,
    the second thread kept them); RATENET_FLUSH_SUBNORMALS=0 keeps them.
    NumPy's warning that the smallest subnormal is then zero is not
    shown."""
    env = {
        k: v
        for k, v in os.environ.items() if k != 'RATENET_FLUSH_SUBNORMALS'
    }
    if variable is not None:
        env['RATENET_FLUSH_SUBNORMALS'] = variable
    result = subprocess.run(
        [sys.executable, '-c', SUBNORMALS_DRIVER,
         str(REPO_ROOT / 'tools')],
        env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    warned, kept = map(int, result.stdout.strip().splitlines()[-1].split())
    assert (warned, kept) == (0, left)
    assert 'smallest subnormal' not in result.stderr


def test_heavy_imports_can_skip_training_only_optional_imports():
    """MMEngine goes on without ZeRO and Adafactor; both import normally
    once the block is left."""
    result = subprocess.run(
        [sys.executable, '-c', SKIP_DRIVER,
         str(REPO_ROOT / 'tools')],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found == dict(
        inside={'torch.distributed.optim': False, 'transformers': False},
        adafactor=False, zero_base='object',
        after=['transformers', 'torch.distributed.optim'])


def test_heavy_imports_skip_nothing_already_imported(monkeypatch):
    """A package already imported stays as it is (and in sys.modules)."""
    bootstrap = load_bootstrap()
    present = sys.modules[__name__]
    monkeypatch.setattr(bootstrap, 'TRAINING_ONLY_IMPORTS', (__name__, ))
    with bootstrap.heavy_imports(skip_training_only=True):
        assert sys.modules[__name__] is present
    assert sys.modules[__name__] is present
    gc.unfreeze()


def test_freeze_long_lived_collects_then_freezes_what_is_alive():
    """Garbage in a reference cycle is freed, not frozen for good."""

    class Node:
        pass

    bootstrap = load_bootstrap()
    frozen = gc.get_freeze_count()
    gc.disable()
    try:
        alive = [[] for _ in range(1000)]
        node = Node()
        node.self = node  # garbage only the cyclic collector frees
        garbage = weakref.ref(node)
        del node
        bootstrap.freeze_long_lived()
        assert garbage() is None
        assert gc.get_freeze_count() >= frozen + len(alive)
    finally:
        gc.enable()
        gc.unfreeze()


def policy_after_loading(tool: str, **env_vars) -> str:
    """OMP_WAIT_POLICY once the tool's module has run (imports and all, not
    ``main``), in a fresh interpreter with the given variables."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ('OMP_WAIT_POLICY', 'WORLD_SIZE')
    }
    env.update(env_vars)
    code = ('import os, runpy, sys; '
            'runpy.run_path(sys.argv[1], run_name="loaded"); '
            'print(os.environ.get("OMP_WAIT_POLICY", "unset"))')
    result = subprocess.run(
        [sys.executable, '-c', code,
         str(REPO_ROOT / 'tools' / tool)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize('tool', ['train.py', 'test.py', 'benchmark.py',
                                  'infer.py', 'animate.py'])
def test_tools_import_the_bootstrap_before_anything_that_loads_torch(tool):
    """The first import that is not of the standard library is _bootstrap."""
    tree = ast.parse((REPO_ROOT / 'tools' / tool).read_text())
    imported = [
        (node.names[0].name if isinstance(node, ast.Import) else node.module)
        for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))
    ]
    first = next(name for name in imported
                 if name.split('.')[0] not in sys.stdlib_module_names)
    assert first == '_bootstrap'


def test_a_distributed_rank_gets_passive_before_torch_loads():
    """The whole tool module run in a fresh interpreter (imports and all)."""
    assert policy_after_loading('train.py', WORLD_SIZE='2') == 'PASSIVE'


@glibc_only
def test_malloc_settings_leave_what_the_user_set():
    bootstrap = load_bootstrap()
    everything = bootstrap.malloc_settings({})
    assert set(everything) == set(bootstrap.GLIBC_MALLOC)
    assert -3 not in bootstrap.malloc_settings(
        {'MALLOC_MMAP_THRESHOLD_': '131072'})


MMAPPED_BYTES_AFTER_16_MIB = '''
import ctypes, sys
sys.path.insert(0, sys.argv[1])
if sys.argv[2] == 'bootstrap':
    import _bootstrap
class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        'arena', 'ordblks', 'smblks', 'hblks', 'hblkhd', 'usmblks',
        'fsmblks', 'uordblks', 'fordblks', 'keepcost')]
libc = ctypes.CDLL(None)
libc.mallinfo2.restype = MallInfo2
libc.malloc.restype = ctypes.c_void_p
before = libc.mallinfo2().hblkhd
block = libc.malloc(16 * 2**20)
print(libc.mallinfo2().hblkhd - before)
'''


def mmapped_growth(mode: str, **env_vars) -> int:
    """Bytes of memory mapped by one 16 MiB malloc in a fresh interpreter,
    with (``mode='bootstrap'``) or without the bootstrap imported first."""
    env = {k: v for k, v in os.environ.items() if not k.startswith('MALLOC_')}
    # Without importing torch (which the flush of subnormals does): its
    # import leaves free heap chunks that could serve the block, whatever
    # the policy.
    env['RATENET_FLUSH_SUBNORMALS'] = '0'
    env.update(env_vars)
    result = subprocess.run(
        [sys.executable, '-c', MMAPPED_BYTES_AFTER_16_MIB,
         str(REPO_ROOT / 'tools'), mode],
        env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return int(result.stdout.split()[-1])


@glibc_only
def test_a_tool_process_takes_blocks_below_32_mib_from_the_heap():
    """glibc's default maps a 16 MiB block on its own (unmapped again when
    freed); after the bootstrap it comes from the heap, which is kept. The
    user's MALLOC_MMAP_THRESHOLD_ wins."""
    if not hasattr(ctypes.CDLL(None), 'mallinfo2'):
        pytest.skip('glibc < 2.33 has no mallinfo2 to read the mapped bytes')
    assert mmapped_growth('plain') >= 16 * 2**20
    assert mmapped_growth('bootstrap') == 0
    assert mmapped_growth(
        'bootstrap', MALLOC_MMAP_THRESHOLD_='131072') >= 16 * 2**20
