"""How training speed depends on libgomp's thread wait when the cores are
shared (issue 17, "Robust when the cores are shared").

torch's CPU kernels run on OpenMP (libgomp). At the end of every parallel
region the threads wait for each other; by default a waiting thread spins
for a while before it sleeps (``GOMP_SPINCOUNT``, 300,000 iterations unless
more threads than cores exist), ``OMP_WAIT_POLICY=PASSIVE`` makes it sleep
at once, ``ACTIVE`` spins forever. On 2 cores a spinning thread whose partner
was descheduled by another process burns its time slice, once per parallel
region, and a training cycle has thousands of them.

:func:`run_study` measures one training cycle's time under each wait policy
(a set of environment variables) with and without a controlled second load,
each condition in a fresh process (libgomp reads its settings once, when
torch loads it) through ``tools/benchmark.py``. The loads stand for what runs
beside a training job on a user's machine:

* ``idle``: nothing;
* ``busy``: one process that never sleeps (a second job, a test run);
* ``intermittent``: one process busy 100 ms, asleep 100 ms (an editor's
  language server, a loop of short ``tools/infer.py`` calls);
* ``torch-job``: a second torch process with its own OpenMP threads on both
  cores (libgomp's default wait), running 16-channel 3x3 convolutions at
  64x44 without pause (a second training or inference job).

Only the standard library and the benchmark CLI are used here, so the
policy's variables reach libgomp before torch is loaded.
"""
import json
import os
import os.path as osp
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Sequence

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

#: Wait policies: name -> environment variables for the training process.
WAIT_POLICIES: Dict[str, Dict[str, str]] = {
    'default': {},
    'passive': {'OMP_WAIT_POLICY': 'PASSIVE'},
    'spin-10k': {'GOMP_SPINCOUNT': '10000'},
    'spin-100k': {'GOMP_SPINCOUNT': '100000'},
    'one-thread': {'OMP_NUM_THREADS': '1'},
}

#: Second loads: name -> Python code run in a separate process (None: none).
LOADS: Dict[str, Optional[str]] = {
    'idle': None,
    'busy': 'while True:\n    pass\n',
    'intermittent': ('import time\n'
                     'while True:\n'
                     '    end = time.perf_counter() + 0.1\n'
                     '    while time.perf_counter() < end:\n'
                     '        pass\n'
                     '    time.sleep(0.1)\n'),
    'torch-job': ('import torch\n'
                  'conv = torch.nn.Conv2d(16, 16, 3, padding=1)\n'
                  'x = torch.randn(4, 16, 64, 44)\n'
                  'with torch.no_grad():\n'
                  '    while True:\n'
                  '        for _ in range(4):\n'
                  '            x = torch.tanh(conv(x))\n'),
}


@dataclass(frozen=True)
class Condition:
    """One measured condition: a wait policy under a load."""
    policy: str
    load: str


@dataclass
class StudySettings:
    """What :func:`run_study` measures.

    Args:
        config (str): The RATE-Net config whose model is trained.
        options (list[str]): Benchmark options (e.g. ``['fp32', 'bf16']``),
            measured in the same process per condition.
        policies (list[str]): Keys of :data:`WAIT_POLICIES`.
        loads (list[str]): Keys of :data:`LOADS`.
        warmup (int): Cycles before timing, per option.
        repeats (int): Timed cycles, per option.
        python (str): Interpreter for the measured processes.
    """
    config: str
    options: List[str] = field(default_factory=lambda: ['fp32'])
    policies: List[str] = field(default_factory=lambda: list(WAIT_POLICIES))
    loads: List[str] = field(default_factory=lambda: list(LOADS))
    warmup: int = 2
    repeats: int = 10
    python: str = sys.executable


def start_load(name: str) -> Optional[subprocess.Popen]:
    """Start the second load ``name`` (a key of :data:`LOADS`); None for
    ``idle``. The caller stops it with :func:`stop_load`."""
    if name not in LOADS:
        raise ValueError(f'unknown load {name!r}; one of {sorted(LOADS)}')
    code = LOADS[name]
    if code is None:
        return None
    return subprocess.Popen([sys.executable, '-c', code],
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def stop_load(process: Optional[subprocess.Popen]) -> None:
    """Stop a load started by :func:`start_load`."""
    if process is not None:
        process.kill()
        process.wait()


def policy_environment(policy: str,
                       base: Mapping[str, str]) -> Dict[str, str]:
    """``base`` without any OpenMP wait/thread variable, plus ``policy``'s
    variables (so that the caller's own settings do not leak in)."""
    if policy not in WAIT_POLICIES:
        raise ValueError(f'unknown wait policy {policy!r}; one of '
                         f'{sorted(WAIT_POLICIES)}')
    env = {
        key: value
        for key, value in base.items() if key not in
        ('OMP_WAIT_POLICY', 'GOMP_SPINCOUNT', 'OMP_NUM_THREADS')
    }
    env.update(WAIT_POLICIES[policy])
    return env


def measure_condition(condition: Condition,
                      settings: StudySettings) -> Dict[str, dict]:
    """Train-cycle times of every option under ``condition``: per option
    ``cycle_s`` (median), ``update_s``; one benchmark process."""
    env = policy_environment(condition.policy, os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        p for p in (REPO_ROOT, env.get('PYTHONPATH')) if p)
    with tempfile.TemporaryDirectory() as tmp:
        out = osp.join(tmp, 'report.json')
        command = [
            settings.python,
            osp.join(REPO_ROOT, 'tools', 'benchmark.py'), settings.config,
            '--device', 'cpu', '--options', *settings.options,
            '--train-warmup', str(settings.warmup), '--train-repeats',
            str(settings.repeats), '--infer-batch-sizes', '1',
            '--infer-warmup', '0', '--infer-repeats', '1', '--data-samples',
            '0', '--loader-batches', '0', '--peak-tflops', '1', '--no-patn',
            '--out', out
        ]
        load = start_load(condition.load)
        try:
            subprocess.run(command, env=env, check=True,
                           stdout=subprocess.DEVNULL)
        finally:
            stop_load(load)
        with open(out) as file:
            report = json.load(file)
    results = {}
    for option, result in report['options'].items():
        if 'error' in result:
            raise RuntimeError(f'{option} under {condition}: '
                               f"{result['error']}")
        results[option] = dict(
            cycle_s=result['train']['cycle_s'],
            update_s=result['train']['update_s'],
            # torch's intra-op threads in the measured process
            threads=report['environment']['threads'])
    return results


def run_study(settings: StudySettings,
              log=print) -> List[dict]:
    """Measure every policy under every load, in rounds over the loads (one
    process per condition). Returns one record per condition and option:
    ``policy``, ``load``, ``option``, ``cycle_s``, ``update_s``,
    ``threads`` (torch's threads in that process), ``seconds`` (the
    condition's wall time)."""
    records = []
    for load in settings.loads:
        for policy in settings.policies:
            start = time.perf_counter()
            results = measure_condition(Condition(policy, load), settings)
            seconds = time.perf_counter() - start
            for option, result in results.items():
                records.append(
                    dict(policy=policy, load=load, option=option,
                         seconds=seconds, **result))
                log(f'{load:>12} {policy:>10} {option:>14}: '
                    f"{result['cycle_s']:.3f} s/cycle")
    return records


def study_table(records: Sequence[dict]) -> str:
    """A Markdown table: one row per policy and option, one column per
    load (s per cycle, and the slowdown against the same policy idle)."""
    loads = list(dict.fromkeys(r['load'] for r in records))
    keys = list(dict.fromkeys((r['policy'], r['option']) for r in records))
    cell = {(r['policy'], r['option'], r['load']): r['cycle_s']
            for r in records}
    header = ['policy', 'option'] + [f'{load}: s/cycle' for load in loads]
    lines = ['| ' + ' | '.join(header) + ' |',
             '|' + '---|' * len(header)]
    for policy, option in keys:
        idle = cell.get((policy, option, 'idle'))
        row = [policy, option]
        for load in loads:
            value = cell.get((policy, option, load))
            if value is None:
                row.append('-')
            elif load != 'idle' and idle:
                row.append(f'{value:.3f} (x{value / idle:.1f})')
            else:
                row.append(f'{value:.3f}')
        lines.append('| ' + ' | '.join(row) + ' |')
    return '\n'.join(lines)

