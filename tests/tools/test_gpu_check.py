"""tools/gpu_check.sh's command line (the GPU run itself needs a GPU) and
tools/env_report.py, which it runs first."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.tools.tool_testing import load_tool

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / 'tools' / 'gpu_check.sh'


def gpu_check(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(['bash', str(SCRIPT), *args],
                          capture_output=True,
                          text=True,
                          timeout=60)


def test_print_shows_the_three_steps_on_the_paper_config(tmp_path):
    result = gpu_check('--print', str(tmp_path / 'out'))
    assert result.returncode == 0, result.stderr
    env, bench, train = result.stdout.strip().splitlines()
    assert env.endswith(f'tools/env_report.py --out {tmp_path}/out/env.json')
    assert ('ratenet_full_1xb7-40kcycles_deepfashion-256x176.py --device cuda '
            '--options fp32 bf16 fp16') in bench
    assert bench.endswith(f'--out {tmp_path}/out/benchmark.json')
    assert train.endswith(f'{tmp_path}/out/smoke_config.py --work-dir '
                          f'{tmp_path}/out/smoke_train --amp')
    assert not (tmp_path / 'out').exists()  # --print runs nothing


def test_cpu_dry_run_uses_the_demo_on_cpu(tmp_path):
    result = gpu_check('--print', '--cpu-dry-run', str(tmp_path))
    assert result.returncode == 0, result.stderr
    bench = result.stdout.splitlines()[1]
    assert ('ratenet_demo_1xb4-1600cycles_synthetic-64x44.py --device cpu '
            '--options fp32 bf16') in bench


@pytest.mark.skipif(torch.cuda.is_available(), reason='a GPU is visible')
def test_without_a_gpu_it_stops_after_the_environment_report(tmp_path):
    """Not a benchmark failing on CUDA and the paper model's smoke training
    on the CPU: one message, exit 1, after env.json."""
    result = subprocess.run(['bash', str(SCRIPT), str(tmp_path)],
                            capture_output=True, text=True, timeout=300,
                            env=dict(os.environ, PYTHON=sys.executable))
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        'No CUDA device is visible (torch.cuda.is_available() is False): '
        'this script times the GPU path. Run it where a GPU is, or check the '
        'script here with --cpu-dry-run.')
    assert (tmp_path / 'env.json').exists()
    assert not (tmp_path / 'benchmark.txt').exists()
    assert not (tmp_path / 'smoke_train.txt').exists()


@pytest.mark.parametrize('args', [('--gpu', ), ('a', 'b')])
def test_usage_errors(args):
    result = gpu_check(*args)
    assert result.returncode == 2
    assert 'usage:' in result.stderr


def test_env_report_names_versions_and_imports(tmp_path):
    tool = load_tool('env_report')
    assert tool.main(['--out', str(tmp_path / 'env.json')]) == 0
    report = json.loads((tmp_path / 'env.json').read_text())
    assert report['imports']['ratenet_plugin'] == 'ok'
    assert report['packages']['mmengine']['locked'] == \
        report['packages']['mmengine']['installed']
    assert report['torch']['cpu_capability']
    assert tool.import_status('no_such_module_here').startswith(
        'ModuleNotFoundError')
