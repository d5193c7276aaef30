"""Garment colour error of a checkpoint, pair by pair, on the synthetic set.

    python tools/analysis/garment_error_breakdown.py CONFIG CHECKPOINT \
        [--max-pairs 240] [--out breakdown.json]

Generates every held-out pair once and breaks the garment colour error down
(docs/evaluation.md, "Garment colour error pair by pair"; the logic is
ratenet_plugin/analysis/garment_error_breakdown.py): per garment, the mean
error of I_t and I_co, the floor (the source's own mean colour), by scale
change between source and target (zoom out, same scale, zoom in), and the
slope of the generated colours against the people's (below 1: washed out).
Float32, whatever the config's fast paths. ``--out`` writes the summary and
every pair's figures as JSON.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
import _bootstrap  # noqa: E402,F401  (repo on sys.path, OpenMP defaults)

from ratenet_plugin.fileio.json_file import write_json  # noqa: E402
from ratenet_plugin.utils.arguments import file_to_write  # noqa: E402
from ratenet_plugin.utils.cli import run_tool  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    from ratenet_plugin.analysis.colour_transfer import \
        add_checkpoint_pairs_arguments

    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_checkpoint_pairs_arguments(parser)
    parser.add_argument('--out', type=file_to_write,
                        help='JSON file for the summary and pairs')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    from ratenet_plugin.analysis.colour_transfer import checkpoint_pairs
    from ratenet_plugin.analysis.garment_error_breakdown import (pair_errors,
                                                                 summarise)

    rows = pair_errors(*checkpoint_pairs(args.config, args.checkpoint,
                                         args.device, args.max_pairs))
    summary = summarise(rows)
    for name, found in summary.items():
        print(f'{name}: slope {found["slope"]:.2f}, residual '
              f'{found["residual"]:.1f}')
        for group, means in [('all', found['all'])] + list(
                found['by_scale'].items()):
            print(f'  {group:10s} {means["pairs"]:4d} pairs: final '
                  f'{means["final"]:6.1f}  coarse {means["coarse"]:6.1f}  '
                  f'floor {means["floor"]:5.1f}')
    if args.out:
        write_json(args.out, dict(config=args.config,
                                  checkpoint=args.checkpoint, summary=summary,
                                  pairs=rows), indent=1)
    return summary


if __name__ == '__main__':
    run_tool(main)
