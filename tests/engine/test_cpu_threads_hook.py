"""AdaptiveCPUThreadsHook: the load measurement counts only other processes,
and training beside a busy process switches to one thread (a real
tools/train.py run next to a real busy process)."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ratenet_plugin.analysis.shared_cores import start_load, stop_load
from ratenet_plugin.engine.cpu_threads_hook import (AdaptiveCPUThreadsHook,
                                                    machine_busy_seconds,
                                                    own_cpu_seconds)
from tests.conftest import tiny_config_text

REPO_ROOT = Path(__file__).resolve().parents[2]
needs_proc = pytest.mark.skipif(not os.path.exists('/proc/stat'),
                                reason='needs /proc')


@needs_proc
def test_own_cpu_seconds_include_children_and_machine_time_grows():
    machine_before = machine_busy_seconds()
    own_before = own_cpu_seconds()
    child = start_load('busy')  # a child of this process: our own work
    try:
        time.sleep(1.5)
        own_after = own_cpu_seconds()
    finally:
        stop_load(child)
    assert own_after - own_before > 0.7  # the child's core, this one slept
    assert machine_busy_seconds() - machine_before >= own_after - own_before \
        - 0.1


@needs_proc
def test_own_cpu_seconds_keep_the_time_of_children_that_ended():
    """A child that worked and exited (e.g. a validation's dataloader
    worker) was our own work, not competition, after it is gone too."""
    own_before = own_cpu_seconds()
    subprocess.run([
        sys.executable, '-c',
        'import time\nend = time.process_time() + 1.0\n'
        'while time.process_time() < end: pass'
    ], check=True)
    assert own_cpu_seconds() - own_before > 0.9


def test_thresholds_are_checked():
    with pytest.raises(ValueError, match='idle_cores < contended_cores'):
        AdaptiveCPUThreadsHook(contended_cores=0.2, idle_cores=0.5)
    with pytest.raises(ValueError, match='interval_s must be positive'):
        AdaptiveCPUThreadsHook(interval_s=0)


@needs_proc
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason='needs 2 cores')
def test_training_beside_a_busy_process_uses_one_thread(tmp_path,
                                                         tiny_data_root):
    config = tmp_path / 'ratenet_tiny_threads.py'
    config.write_text(
        tiny_config_text(tiny_data_root, max_iters=12) +
        "custom_hooks = [dict(type='RandomStateHook'),\n"
        "                dict(type='AdaptiveCPUThreadsHook', "
        "interval_s=0.3)]\n")
    # The busy process is this test's child, a sibling of the training
    # process: another process's load for the hook there.
    load = start_load('busy')
    try:
        proc = subprocess.run(
            [sys.executable, str(REPO_ROOT / 'tools' / 'train.py'),
             str(config), '--work-dir', str(tmp_path / 'work')],
            capture_output=True, text=True, timeout=600,
            env=dict(os.environ, OMP_NUM_THREADS='2'))
    finally:
        stop_load(load)
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = proc.stdout + proc.stderr
    assert 'training on 1 thread instead of 2' in log
