"""Colour transfer gain of a checkpoint on the synthetic set's held-out pairs.

    python tools/analysis/colour_transfer_probe.py CONFIG CHECKPOINT \
        [--max-pairs 240] [--out gains.json]

Paints each pair's source garment in a few flat colours, generates, and
measures how far the generated garment follows (docs/evaluation.md, "Colour
transfer gain"; the logic is ratenet_plugin/analysis/colour_transfer.py).
Float32, whatever the config's fast paths. Prints one line per output and
garment (the gain) and one on where the output draws it (coverage of the
target's garment, spill outside it, gain where drawn), and one per output
and pair of garments (the leak of one into the other); ``--out`` writes the
summary as JSON.
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
                        help='JSON file for the summary')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    from ratenet_plugin.analysis.colour_transfer import (
        checkpoint_pairs, probe_colour_transfer, summarise)

    summary = summarise(
        probe_colour_transfer(*checkpoint_pairs(
            args.config, args.checkpoint, args.device, args.max_pairs)))
    for key, by_pair in summary.items():
        for pair, found in by_pair.items():
            what = 'leak' if '->' in pair else 'gain'
            rgb = ', '.join(f'{g:.2f}' for g in found['gain_rgb'])
            opponent = ', '.join(
                f'{g:.2f}' for g in found['gain_opponent'].values())
            print(f'{key:6s} {pair:12s} {what} {found["gain"]:.3f} '
                  f'(R, G, B: {rgb}; luminance, red-blue, green-magenta: '
                  f'{opponent}; {found["pairs"]} pairs)')
            if 'coverage' in found:
                print(f'{key:6s} {pair:12s} drawn: coverage '
                      f'{found["coverage"]:.2f}, spill {found["spill"]:.2f}, '
                      f'gain where drawn {found["gain_where_drawn"]:.2f}')
    if args.out:
        write_json(args.out, dict(config=args.config,
                                  checkpoint=args.checkpoint, gains=summary),
                   indent=1)
    return summary


if __name__ == '__main__':
    run_tool(main)
