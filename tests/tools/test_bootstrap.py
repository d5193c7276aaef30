"""tools/_bootstrap.py, which every tool imports before torch: the OpenMP
defaults (libgomp's default wait on a machine of one's own, PASSIVE for
ranks sharing a machine, WORLD_SIZE > 1; the user's choice always) and the
repository on sys.path."""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def load_bootstrap():
    spec = importlib.util.spec_from_file_location(
        'bootstrap_under_test', REPO_ROOT / 'tools' / '_bootstrap.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
    load_bootstrap()  # torch is loaded in this test process
    assert 'OMP_WAIT_POLICY' not in os.environ
    assert str(REPO_ROOT) in sys.path


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
        timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize('tool, env_vars, expected', [
    ('train.py', {}, 'unset'),
    ('train.py', dict(WORLD_SIZE='2'), 'PASSIVE'),
    ('train.py', dict(WORLD_SIZE='2', OMP_WAIT_POLICY='ACTIVE'), 'ACTIVE'),
    ('test.py', dict(WORLD_SIZE='2'), 'PASSIVE'),
    ('infer.py', dict(WORLD_SIZE='2'), 'PASSIVE'),
])
def test_wait_policy(tool, env_vars, expected):
    assert policy_after_loading(tool, **env_vars) == expected
