"""tools/gpu_check.sh's command line (the GPU run itself needs a GPU) and
tools/env_report.py, which it runs first."""
import json
import subprocess
from pathlib import Path

import pytest

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
