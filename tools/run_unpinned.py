"""Run a tool in an environment other than our lock (a borrowed GPU machine).

    python tools/run_unpinned.py [--force-standin] SCRIPT [ARGS...]

Two things in our pinned stack do not hold on a machine whose Python, torch
and NumPy differ from requirements/constraints.txt and where nothing can be
compiled or downloaded in the time at hand (docs/benchmarks.md, "GPU check"):

- **mmcv's compiled ops.** MMagic's model registry imports its whole model
  zoo, and the zoo imports ``mmcv.ops``, which loads the compiled extension
  ``mmcv._ext``. RATE-Net calls none of those ops, so mmcv without them
  (``MMCV_WITH_OPS=0``, the ``mmcv-lite`` wheel) is enough: where
  ``mmcv._ext`` cannot be found, a stand-in module takes its place whose every
  function raises ``RuntimeError`` naming the op when called. The zoo imports
  and any use of a compiled op still stops with a clear error. Where the real
  extension is installed it is used, unless ``--force-standin``.
- **NumPy 2.** MMagic 1.2.0 reads ``numpy.bool8`` when ``mmagic.utils`` is
  imported; NumPy 2 removed that alias of ``numpy.bool_``. It is put back
  where missing (the only NumPy 2 removal MMagic, mmcv and MMEngine use).

Both stay in effect in processes forked from the tool (data loader workers);
processes started afresh (spawn) do not see them.
"""
import argparse
import importlib.abc
import importlib.machinery
import os
import runpy
import sys
import types
import warnings
from typing import List, Optional

#: The compiled extension module that ``mmcv.ops`` loads.
EXTENSION = 'mmcv._ext'


class MissingMMCVOp:
    """What the stand-in returns for any op name: raises when called."""

    def __init__(self, name: str):
        self.name = name

    def __call__(self, *args, **kwargs):
        raise RuntimeError(
            f"mmcv's compiled op '{self.name}' is not built on this machine: "
            f'{EXTENSION} was replaced by the stand-in of '
            'tools/run_unpinned.py. Install mmcv with its ops '
            '(tools/setup_env.sh builds them) to use it.')


class MMCVOpsStandin(types.ModuleType):
    """A module whose every attribute is a :class:`MissingMMCVOp`, which is
    what mmcv's ``ext_loader.load_ext`` checks (``hasattr`` per op)."""

    IS_STANDIN = True

    def __getattr__(self, name: str):
        if name.startswith('__'):
            raise AttributeError(name)
        return MissingMMCVOp(name)


class _StandinLoader(importlib.abc.Loader):

    def create_module(self, spec):
        return MMCVOpsStandin(spec.name)

    def exec_module(self, module):
        pass


class MMCVOpsStandinFinder(importlib.abc.MetaPathFinder):
    """Finds the stand-in for :data:`EXTENSION` only."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != EXTENSION:
            return None
        return importlib.machinery.ModuleSpec(fullname, _StandinLoader())


def install_mmcv_ops_standin(force: bool = False) -> None:
    """Put the stand-in finder on ``sys.meta_path``: last, so that the real
    extension wins where it is installed, or first with ``force``."""
    finder = MMCVOpsStandinFinder()
    if force:
        sys.meta_path.insert(0, finder)
    else:
        sys.meta_path.append(finder)


def restore_numpy_bool8() -> None:
    """``numpy.bool8 = numpy.bool_`` where NumPy (2.x) lacks it."""
    import numpy
    with warnings.catch_warnings():  # NumPy 1.24-1.26: deprecated alias
        warnings.simplefilter('ignore', DeprecationWarning)
        if hasattr(numpy, 'bool8'):
            return
    numpy.bool8 = numpy.bool_


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog='tools/run_unpinned.py',
        description='Run a tool in an environment other than our lock: a '
        "stand-in for mmcv's compiled ops where they are missing, and "
        'numpy.bool8 where NumPy 2 removed it.')
    parser.add_argument(
        '--force-standin',
        action='store_true',
        help="use the stand-in even where mmcv's compiled ops are installed")
    parser.add_argument('script', metavar='SCRIPT', help='the tool to run')
    parser.add_argument(
        'args', nargs=argparse.REMAINDER, metavar='ARGS',
        help="the tool's own arguments")
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    if not os.path.isfile(args.script):
        # The tools' one rule for a user error (ratenet_plugin.utils.cli),
        # written out: the launcher imports nothing of ours before the tool.
        print(f'error: no such tool script: {args.script}', file=sys.stderr)
        sys.exit(2)
    install_mmcv_ops_standin(args.force_standin)
    restore_numpy_bool8()
    sys.argv = [args.script, *args.args]
    runpy.run_path(args.script, run_name='__main__')


if __name__ == '__main__':
    main()
