"""The shared-cores study (ratenet_plugin/analysis/shared_cores.py): the
loads really load a core, the policies reach the measured process, and a
whole (tiny) study gives one record per condition and option."""
import os
import time

import pytest

from ratenet_plugin.analysis.shared_cores import (StudySettings,
                                                  policy_environment,
                                                  run_study, start_load,
                                                  stop_load, study_table)
from ratenet_plugin.engine.cpu_threads_hook import own_cpu_seconds


@pytest.mark.skipif(not os.path.exists('/proc/self/stat'),
                    reason='needs /proc')
@pytest.mark.parametrize('load, low, high', [('busy', 0.6, 1.1),
                                             ('intermittent', 0.2, 0.8)])
def test_loads_take_their_share_of_a_core(load, low, high):
    process = start_load(load)
    try:
        time.sleep(0.5)  # interpreter start-up
        before, start = own_cpu_seconds(process.pid), time.perf_counter()
        time.sleep(1.5)
        share = (own_cpu_seconds(process.pid) - before) / (
            time.perf_counter() - start)
    finally:
        stop_load(process)
    assert low < share < high
    assert process.poll() is not None  # stopped


def test_idle_starts_nothing_and_unknown_names_are_refused():
    assert start_load('idle') is None
    with pytest.raises(ValueError, match='unknown load'):
        start_load('heavy')
    with pytest.raises(ValueError, match='unknown wait policy'):
        policy_environment('fast', {})


def test_policy_environment_replaces_the_callers_openmp_settings():
    base = dict(PATH='/bin', OMP_WAIT_POLICY='ACTIVE', GOMP_SPINCOUNT='5')
    assert policy_environment('default', base) == dict(PATH='/bin')
    assert policy_environment('passive', base) == dict(
        PATH='/bin', OMP_WAIT_POLICY='PASSIVE')
    assert policy_environment('one-thread', base) == dict(
        PATH='/bin', OMP_NUM_THREADS='1')


def test_tiny_study_measures_every_condition(tiny_config_file):
    settings = StudySettings(config=tiny_config_file(), options=['fp32'],
                             policies=['default', 'one-thread'],
                             loads=['idle', 'busy'], warmup=0, repeats=1)
    records = run_study(settings, log=lambda line: None)
    assert [(r['load'], r['policy']) for r in records] == [
        ('idle', 'default'), ('idle', 'one-thread'), ('busy', 'default'),
        ('busy', 'one-thread')]
    assert all(r['cycle_s'] > 0 for r in records)
    # OMP_NUM_THREADS reached torch in the measured process.
    threads = {r['policy']: r['threads'] for r in records}
    assert threads['one-thread'] == 1
    if os.cpu_count() > 1:
        assert threads['default'] > 1
    table = study_table(records)
    assert table.splitlines()[0] == \
        '| policy | option | idle: s/cycle | busy: s/cycle |'
    assert len(table.splitlines()) == 4
    # Each row: the idle time, then the loaded time and its slowdown.
    cycle = {(r['policy'], r['load']): r['cycle_s'] for r in records}
    for row, policy in zip(table.splitlines()[2:], ('default', 'one-thread')):
        idle, busy = cycle[policy, 'idle'], cycle[policy, 'busy']
        assert row == (f'| {policy} | fp32 | {idle:.3f} | {busy:.3f} '
                       f'(x{busy / idle:.1f}) |')
