"""The OpenMP wait policy tools/train.py and tools/test.py choose before
torch is imported: libgomp's default on a machine of their own, PASSIVE for
ranks sharing a machine (WORLD_SIZE > 1), the user's choice always."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


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
])
def test_wait_policy(tool, env_vars, expected):
    assert policy_after_loading(tool, **env_vars) == expected
