"""Train the paper's ablation variants on the synthetic set and report them.

    python tools/analysis/synthetic_ablation.py --cycles 500 --seeds 0 1
    python tools/analysis/synthetic_ablation.py --variants full full-clamp \
        full-tanh --cycles 500 --seeds 0 1 --name range

Every variant (ratenet_plugin/analysis/ablation.py) is trained from the demo
config for the same number of cycles and seeds, sequentially, then scored on
the held-out pairs. Writes ``<work-dir>/records.json`` (appended to as runs
finish; a rerun skips finished runs), ``docs/images/<name>_curves.png``,
``docs/images/<name>_grid.png`` and the table to stdout and
``<work-dir>/table.md`` (docs/ablation.md quotes it).
"""
import argparse
import json
import os
import os.path as osp
import platform
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from ratenet_plugin.analysis.ablation import (VARIANTS, RunSpec,  # noqa: E402
                                              comparison_grid,
                                              markdown_table,
                                              plot_metric_history, train_run)
from ratenet_plugin.analysis.options import image_size  # noqa: E402
from ratenet_plugin.fileio.image_file import write_image  # noqa: E402
from ratenet_plugin.fileio.json_file import write_json  # noqa: E402
from ratenet_plugin.utils.arguments import (folder_to_write,  # noqa: E402
                                            int_at_least)
from ratenet_plugin.utils.cli import run_tool  # noqa: E402
from ratenet_plugin.utils.config import (apply_fast_paths,  # noqa: E402
                                         import_plugin, load_config)
from ratenet_plugin.utils.config_errors import (  # noqa: E402
    naming_config_keys)

DEFAULT_VARIANTS = ('full', 'pb-only', 'pb-fixed', 'texture-half',
                    'joint-only')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default='configs/ratenet/ratenet_demo_1xb4-1600cycles_synthetic-64x44.py')
    parser.add_argument('--variants', nargs='+', default=DEFAULT_VARIANTS,
                        choices=sorted(VARIANTS))
    parser.add_argument('--seeds', nargs='+', type=int_at_least(0),
                        default=[0, 1])
    parser.add_argument('--cycles', type=int_at_least(1), default=500)
    parser.add_argument('--val-points', type=int_at_least(1), default=4,
                        help='held-out evaluations per run (for the plot)')
    parser.add_argument('--name', default='ablation',
                        help='prefix of the written images')
    parser.add_argument('--work-dir', type=folder_to_write,
                        default='work_dirs/synthetic_ablation')
    parser.add_argument('--images-dir', type=folder_to_write,
                        default='docs/images')
    args = parser.parse_args(argv)
    if 'pb-fixed' in args.variants and 'pb-only' not in args.variants:
        parser.error('pb-fixed needs pb-only in --variants (its frozen G_P)')
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    base = load_config(args.config)
    # The machine's fast paths, as tools/train.py chooses them (one log line).
    apply_fast_paths(base)
    import_plugin(base)
    os.makedirs(args.work_dir, exist_ok=True)
    records_file = osp.join(args.work_dir, 'records.json')
    records = []
    if osp.isfile(records_file):
        with open(records_file) as f:
            records = json.load(f)
    done = {(r['variant'], r['seed']): r['work_dir'] for r in records}
    # pb-only before pb-fixed, which starts from its G_P.
    order = sorted(args.variants,
                   key=lambda v: (v == 'pb-fixed', args.variants.index(v)))
    start = time.perf_counter()
    for seed in args.seeds:
        for variant in order:
            work_dir = osp.join(args.work_dir, f'{variant}_seed{seed}')
            if (variant, seed) in done and any(
                    r['cycles'] == args.cycles for r in records
                    if (r['variant'], r['seed']) == (variant, seed)):
                continue
            spec = RunSpec(variant, seed, args.cycles, work_dir, dict(done))
            with naming_config_keys(base):
                record = train_run(base, spec, args.val_points)
            record['work_dir'] = work_dir
            records.append(record)
            done[(variant, seed)] = work_dir
            write_json(records_file, records, indent=1)
            print(f'{variant} seed {seed}: {record["seconds"]:.0f} s, '
                  f'{record["metrics"]}', flush=True)
    records = [
        r for r in records
        if r['variant'] in args.variants and r['seed'] in args.seeds and
        r['cycles'] == args.cycles
    ]
    table = markdown_table(records)
    cpu = platform.processor() or platform.machine()
    seconds = sum(r['seconds'] for r in records)
    footer = (f'\n\n{len(records)} runs of {args.cycles} cycles, '
              f'{seconds / 60:.1f} min of training in total '
              f'({(time.perf_counter() - start) / 60:.1f} min this call), '
              f'{os.cpu_count()} CPUs ({cpu}).')
    print(table + footer)
    with open(osp.join(args.work_dir, f'{args.name}_table.md'), 'w') as f:
        f.write(table + footer + '\n')
    os.makedirs(args.images_dir, exist_ok=True)
    plot_metric_history(
        records, ['final/SSIM', 'final/garment_colour',
                  'final/garment_texture', 'final/HaarPSI'],
        osp.join(args.images_dir, f'{args.name}_curves.png'))
    grid = comparison_grid(records, args.seeds[0], image_size(base))
    if grid is not None:
        write_image(osp.join(args.images_dir, f'{args.name}_grid.png'), grid)
        print('grid columns: source | ' + ' | '.join(
            r['variant'] for r in records if r['seed'] == args.seeds[0]) +
            ' | ground truth')


if __name__ == '__main__':
    run_tool(main)
