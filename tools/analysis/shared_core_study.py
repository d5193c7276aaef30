"""Training speed under each OpenMP wait policy, alone and beside a second
load on the same cores (docs/environment.md, "Shared cores").

    python tools/analysis/shared_core_study.py \
        [--config configs/ratenet/ratenet_demo_1xb4-1600cycles_synthetic-64x44.py] \
        [--options fp32 bf16] [--policies default passive spin-10k one-thread] \
        [--loads idle busy intermittent] [--out work_dirs/shared_cores]

Every condition runs ``tools/benchmark.py`` in a fresh process (libgomp reads
its settings when torch loads it); the logic is
``ratenet_plugin/analysis/shared_cores.py``. Writes ``records.json`` and
``table.md`` to ``--out`` and prints the table.
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
import _bootstrap  # noqa: E402,F401  (repo on sys.path, OpenMP defaults)

from ratenet_plugin.analysis.shared_cores import (  # noqa: E402
    LOADS, WAIT_POLICIES, StudySettings, run_study, study_table)
from ratenet_plugin.analysis.options import training_option_argument  # noqa: E402
from ratenet_plugin.fileio.json_file import write_json  # noqa: E402
from ratenet_plugin.utils.arguments import (folder_to_write,  # noqa: E402
                                            int_at_least)
from ratenet_plugin.utils.cli import run_tool  # noqa: E402
from ratenet_plugin.utils.config import read_config  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=' '.join(__doc__.split('\n\n')[0].split()))
    parser.add_argument(
        '--config',
        default='configs/ratenet/'
        'ratenet_demo_1xb4-1600cycles_synthetic-64x44.py')
    parser.add_argument('--options', nargs='+', default=['fp32'],
                        type=training_option_argument,
                        help='benchmark options (fp32, bf16, ...)')
    parser.add_argument('--policies', nargs='+', default=list(WAIT_POLICIES),
                        choices=list(WAIT_POLICIES))
    parser.add_argument('--loads', nargs='+', default=list(LOADS),
                        choices=list(LOADS))
    parser.add_argument('--warmup', type=int_at_least(0), default=2)
    parser.add_argument('--repeats', type=int_at_least(1), default=10)
    parser.add_argument('--out', type=folder_to_write,
                        default='work_dirs/shared_cores')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    read_config(args.config)  # a missing config stops here, not in each run
    settings = StudySettings(
        config=args.config, options=args.options, policies=args.policies,
        loads=args.loads, warmup=args.warmup, repeats=args.repeats)
    records = run_study(settings)
    table = study_table(records)
    os.makedirs(args.out, exist_ok=True)
    write_json(osp.join(args.out, 'records.json'), records, indent=1)
    with open(osp.join(args.out, 'table.md'), 'w') as file:
        file.write(table + '\n')
    print(table)
    return 0


if __name__ == '__main__':
    run_tool(main)
