"""tools/run_unpinned.py: the stand-in for mmcv's compiled ops and NumPy 2's
missing ``numpy.bool8``, with which tools/gpu_check.sh runs on a machine
outside our lock (it ran so on an H200 with Python 3.12, torch 2.11, NumPy 2
and mmcv-lite: docs/benchmarks.md)."""
import importlib
import json
import subprocess
import sys
import types

import numpy
import pytest

from tests.tools.tool_testing import (REPO_ROOT, load_tool, run_tool,
                                      user_error_line)


def launch(*args: str) -> subprocess.CompletedProcess:
    return run_tool('tools/run_unpinned.py', *args, cwd=REPO_ROOT)


def test_zoo_imports_with_the_standin_and_env_report_says_so(tmp_path):
    result = launch('--force-standin', 'tools/env_report.py', '--out',
                    str(tmp_path / 'env.json'))
    assert result.returncode == 0, result.stderr[-2000:]
    imports = json.loads((tmp_path / 'env.json').read_text())['imports']
    assert imports['mmcv._ext'].startswith('stand-in')
    assert imports['mmagic.models'] == 'ok'
    assert imports['ratenet_plugin'] == 'ok'


def test_a_compiled_op_called_through_the_standin_names_itself(tmp_path):
    script = tmp_path / 'call_op.py'
    script.write_text('import sys\n'
                      'import mmcv.ops\n'
                      "assert sys.argv[1:] == ['--flag', 'x']\n"
                      "ext = sys.modules['mmcv._ext']\n"
                      'ext.nms()\n')
    result = launch('--force-standin', str(script), '--flag', 'x')
    assert result.returncode == 1
    assert "RuntimeError: mmcv's compiled op 'nms' is not built" in \
        result.stderr


def test_the_real_extension_wins_where_it_is_installed(monkeypatch):
    tool = load_tool('run_unpinned')
    monkeypatch.delitem(sys.modules, 'mmcv._ext', raising=False)
    monkeypatch.setattr(sys, 'meta_path', list(sys.meta_path))
    tool.install_mmcv_ops_standin()
    assert isinstance(sys.meta_path[-1], tool.MMCVOpsStandinFinder)
    extension = importlib.import_module('mmcv._ext')
    assert not getattr(extension, 'IS_STANDIN', False)
    assert extension.__file__.endswith('.so')


def test_standin_module_passes_mmcv_load_ext_checks():
    tool = load_tool('run_unpinned')
    module = tool.MMCVOpsStandin('mmcv._ext')
    assert hasattr(module, 'modulated_deform_conv_forward')
    assert not hasattr(module, '__file__')
    with pytest.raises(RuntimeError, match="'upfirdn2d' is not built"):
        module.upfirdn2d(1, 2)


def test_numpy_bool8_is_restored_only_where_missing(monkeypatch):
    tool = load_tool('run_unpinned')
    numpy2 = types.ModuleType('numpy')
    numpy2.bool_ = numpy.bool_
    monkeypatch.setitem(sys.modules, 'numpy', numpy2)
    tool.restore_numpy_bool8()
    assert numpy2.bool8 is numpy.bool_
    numpy1 = types.ModuleType('numpy')
    numpy1.bool_, numpy1.bool8 = numpy.bool_, 'kept'
    monkeypatch.setitem(sys.modules, 'numpy', numpy1)
    tool.restore_numpy_bool8()
    assert numpy1.bool8 == 'kept'


def test_usage_error_without_a_script():
    result = launch('--force-standin')
    assert result.returncode == 2
    assert 'usage:' in result.stderr
    assert 'SCRIPT' in result.stderr


def test_a_missing_script_is_one_error_line(tmp_path):
    missing = tmp_path / 'no_such_tool.py'
    assert user_error_line(launch(str(missing))) == \
        f'error: no such tool script: {missing}'
