"""Helpers for tests of tools/*.py: run one as a user does (a process), or
load it as a module."""
import importlib.util
import os
import subprocess
import sys
import types
from pathlib import Path

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

REPO_ROOT = Path(__file__).resolve().parents[2]


def load_script(path: str) -> types.ModuleType:
    """The script at ``path`` (relative to the repository, e.g.
    ``'demo/ratenet_gradio.py'``) as a module, for folders that are no
    package: its functions run in the test's process, ``__name__`` is not
    ``'__main__'``, and nothing is added to ``sys.modules``. Each call
    executes the file afresh."""
    name = path[:-len('.py')].replace('/', '_')
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_tool(name: str) -> types.ModuleType:
    """``tools/<name>.py`` as a module (:func:`load_script`): its functions
    and its ``main(argv)`` run in the test's process."""
    return load_script(f'tools/{name}.py')


def run_tool(*args, cwd) -> subprocess.CompletedProcess:
    """``python <args>`` in ``cwd``; stdout and stderr captured as text."""
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    return subprocess.run([sys.executable, *map(str, args)],
                          cwd=cwd,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=600)


def user_error_line(result: subprocess.CompletedProcess) -> str:
    """The one ``error: ...`` line of a tool run that stopped on a user
    error (exit code 2, no traceback)."""
    assert result.returncode == 2, result.stderr[-3000:]
    assert 'Traceback' not in result.stderr
    lines = [
        line for line in result.stderr.splitlines()
        if line.startswith('error: ')
    ]
    assert len(lines) == 1, result.stderr[-3000:]
    return lines[0]


def save_other_architecture_checkpoint(config_file: str, path: Path) -> None:
    """An MMEngine-style checkpoint of the config's model with 8 instead of
    4 pose-transfer base channels: same keys, other shapes."""
    from ratenet_plugin.registry import MODELS

    cfg = Config.fromfile(config_file)
    cfg.model.generator.pose_transfer.base_channels = 8
    init_default_scope('mmagic')
    model = MODELS.build(cfg.model)
    torch.save(
        dict(meta=dict(epoch=0, iter=1), state_dict=model.state_dict()),
        path)
