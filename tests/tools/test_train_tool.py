"""tools/train.py as a user runs it: train, write a checkpoint, --resume."""
import json
import os
import subprocess
import sys
from pathlib import Path

import torch

REPO_ROOT = Path(__file__).resolve().parents[2]


def run_tool(*args, cwd) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    return subprocess.run([sys.executable, *args],
                          cwd=cwd,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=600)


def scalars(work_dir: Path) -> list:
    """The per-iteration records of the newest run's scalars.json."""
    runs = sorted(p for p in work_dir.iterdir() if p.is_dir())
    path = runs[-1] / 'vis_data' / 'scalars.json'
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_train_then_resume_from_the_checkpoint(tiny_config_file, tmp_path):
    config = tiny_config_file(max_iters=3, checkpoint_interval=2)
    work_dir = tmp_path / 'work'
    train = REPO_ROOT / 'tools' / 'train.py'

    first = run_tool(train, config, '--work-dir', work_dir,
                     '--cfg-options', 'train_cfg.max_iters=2', cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    assert (work_dir / 'iter_2.pth').is_file()
    checkpoint = torch.load(work_dir / 'iter_2.pth', weights_only=True)
    assert checkpoint['meta']['iter'] == 2
    assert 'random_state' in checkpoint

    resumed = run_tool(train, config, '--work-dir', work_dir, '--resume',
                       cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert 'resumed' in (resumed.stdout + resumed.stderr).lower()
    assert (work_dir / 'iter_3.pth').is_file()
    # The resumed run trained exactly one more cycle (iteration 3).
    iterations = [r['iter'] for r in scalars(work_dir) if 'loss_recon' in r]
    assert iterations == [3]


def test_resume_from_an_explicit_checkpoint_path(tiny_config_file, tmp_path):
    config = tiny_config_file(max_iters=1)
    work_dir = tmp_path / 'work'
    train = REPO_ROOT / 'tools' / 'train.py'
    assert run_tool(train, config, '--work-dir', work_dir,
                    cwd=tmp_path).returncode == 0
    other_dir = tmp_path / 'continued'
    resumed = run_tool(train, config, '--work-dir', other_dir, '--resume',
                       str(work_dir / 'iter_1.pth'), '--cfg-options',
                       'train_cfg.max_iters=2', cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert (other_dir / 'iter_2.pth').is_file()
    assert not (other_dir / 'iter_1.pth').exists()
