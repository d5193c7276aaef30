"""tools/dist_*.sh and tools/slurm_*.sh build the right torchrun / srun
command lines (a stand-in interpreter and srun record what they are given);
test_dist_train_test.py runs the dist_*.sh scripts for real."""
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / 'tools'

RECORDER = '''#!/usr/bin/env bash
{
  echo "MASTER_PORT=${MASTER_PORT:-}"
  echo "PYTHONPATH=${PYTHONPATH:-}"
  for arg in "$0" "$@"; do echo "ARG=$arg"; done
} > "$RECORD"
'''


@pytest.fixture
def run_script(tmp_path):
    """Run ``bash tools/<script> args`` with ``python`` and ``srun`` replaced
    by a recorder; return (recorded args, recorded env)."""
    recorder = tmp_path / 'bin'
    recorder.mkdir()
    for name in ('fake-python', 'srun'):
        path = recorder / name
        path.write_text(RECORDER)
        path.chmod(0o755)
    record = tmp_path / 'record.txt'

    def run(script, args, **env):
        full_env = dict(
            os.environ,
            PATH=f'{recorder}{os.pathsep}{os.environ["PATH"]}',
            PYTHON='fake-python',
            RECORD=str(record),
            **env)
        subprocess.run(['bash', str(TOOLS / script), *args],
                       env=full_env,
                       check=True,
                       cwd=tmp_path)
        lines = record.read_text().splitlines()
        argv = [line[4:] for line in lines if line.startswith('ARG=')]
        recorded_env = dict(
            line.split('=', 1) for line in lines
            if not line.startswith('ARG='))
        return argv, recorded_env

    return run


def test_dist_train_passes_the_multi_node_settings_to_torchrun(run_script):
    argv, env = run_script(
        'dist_train.sh', ['cfg.py', '8', '--work-dir', 'w d', '--amp'],
        NNODES='2',
        NODE_RANK='1',
        MASTER_ADDR='10.0.0.1',
        PORT='29555')
    assert argv[1:] == [
        '-m', 'torch.distributed.run', '--nnodes=2', '--node-rank=1',
        '--master-addr=10.0.0.1', '--master-port=29555',
        '--nproc-per-node=8', f'{TOOLS}/train.py', 'cfg.py', '--launcher',
        'pytorch', '--work-dir', 'w d', '--amp'
    ]
    assert env['PYTHONPATH'].split(os.pathsep)[0] == f'{TOOLS}/..'


def test_dist_test_defaults_to_one_local_node(run_script):
    argv, _ = run_script('dist_test.sh', ['cfg.py', 'ckpt.pth', '2', '--out',
                                          'r.json'])
    assert argv[1:] == [
        '-m', 'torch.distributed.run', '--nnodes=1', '--node-rank=0',
        '--master-addr=127.0.0.1', '--master-port=29500',
        '--nproc-per-node=2', f'{TOOLS}/test.py', 'cfg.py', 'ckpt.pth',
        '--launcher', 'pytorch', '--out', 'r.json'
    ]


def test_slurm_train_asks_for_one_task_per_gpu(run_script):
    argv, env = run_script(
        'slurm_train.sh', ['gpu', 'rate', 'cfg.py', 'work', '--resume'],
        GPUS='16',
        SRUN_ARGS='--quotatype=auto --time=1-0')
    assert argv[1:] == [
        '-p', 'gpu', '--job-name=rate', '--gres=gpu:8', '--ntasks=16',
        '--ntasks-per-node=8', '--cpus-per-task=5', '--kill-on-bad-exit=1',
        '--quotatype=auto', '--time=1-0', 'fake-python', '-u',
        f'{TOOLS}/train.py', 'cfg.py', '--work-dir=work', '--launcher=slurm',
        '--resume'
    ]
    assert 12000 <= int(env['MASTER_PORT']) < 32000


def test_slurm_test_fits_a_small_job_on_one_node(run_script):
    argv, env = run_script(
        'slurm_test.sh', ['gpu', 'rate', 'cfg.py', 'ckpt.pth'],
        GPUS='4',
        MASTER_PORT='23456')
    assert argv[1:] == [
        '-p', 'gpu', '--job-name=rate', '--gres=gpu:4', '--ntasks=4',
        '--ntasks-per-node=4', '--cpus-per-task=5', '--kill-on-bad-exit=1',
        'fake-python', '-u', f'{TOOLS}/test.py', 'cfg.py', 'ckpt.pth',
        '--launcher=slurm'
    ]
    assert env['MASTER_PORT'] == '23456'


@pytest.mark.parametrize('script, args', [
    ('dist_train.sh', ['cfg.py']),
    ('dist_test.sh', ['cfg.py', 'ckpt.pth']),
    ('slurm_train.sh', ['gpu', 'rate', 'cfg.py']),
    ('slurm_test.sh', ['gpu', 'rate', 'cfg.py']),
])
def test_missing_arguments_print_the_usage(script, args):
    proc = subprocess.run(['bash', str(TOOLS / script), *args],
                          stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE,
                          text=True)
    assert proc.returncode == 2
    assert proc.stderr.startswith('usage:')


@pytest.mark.parametrize('script, args', [
    ('dist_train.sh', ['cfg.py', '2']),
    ('dist_test.sh', ['cfg.py', 'k.pth', '2']),
])
def test_the_dist_scripts_become_torchrun(tmp_path, script, args):
    """The script execs torchrun (same process): a SIGTERM sent to it
    reaches torchrun, which stops its workers. Run as a child, torchrun and
    the ranks were left training when the script was killed."""
    interpreter = tmp_path / 'fake-python'
    interpreter.write_text('#!/usr/bin/env bash\necho $$ > "$RECORD"\n')
    interpreter.chmod(0o755)
    record = tmp_path / 'pid.txt'
    process = subprocess.Popen(
        ['bash', str(TOOLS / script), *args],
        env=dict(os.environ, PYTHON=str(interpreter), RECORD=str(record)),
        cwd=tmp_path)
    assert process.wait(timeout=60) == 0
    assert int(record.read_text()) == process.pid
