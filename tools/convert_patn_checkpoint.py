"""Convert PATN's released DeepFashion generator into our G_P's checkpoint.

    python tools/convert_patn_checkpoint.py latest_net_netG.pth \
        checkpoints/patn_deepfashion_converted.pth

PATN.pth: PATN's ``latest_net_netG.pth`` for DeepFashion (download it from
the link in github.com/tengteng95/Pose-Transfer's README; nothing here
downloads it). OUT.pth: an MMEngine checkpoint with the keys
``generator.pose_transfer.*``, for the ``patn`` configs (docs/patn.md).
Prints each mapped and dropped key. A file that is not PATN's DeepFashion
generator is refused with the keys that did not match (exit code 2); so is
an OUT.pth that exists, unless ``--overwrite``.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from ratenet_plugin.models.editors.ratenet.patn_conversion import (  # noqa
    convert_patn_checkpoint)
from ratenet_plugin.utils.arguments import file_to_write  # noqa: E402
from ratenet_plugin.utils.cli import run_tool  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='PATN DeepFashion generator -> RATE-Net G_P checkpoint')
    parser.add_argument('patn', help='PATN\'s latest_net_netG.pth')
    parser.add_argument('out', type=file_to_write,
                        help='converted checkpoint to write')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace OUT if it exists (refused otherwise)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    report = convert_patn_checkpoint(
        args.patn, args.out, overwrite=args.overwrite)
    for patn_key, our_key in report.mapped:
        print(f'{patn_key} -> generator.pose_transfer.{our_key}')
    for patn_key, reason in report.dropped:
        print(f'{patn_key} dropped: {reason}')
    print(f'wrote {args.out}: {len(report.mapped)} tensors mapped, '
          f'{len(report.dropped)} dropped')
    return 0


if __name__ == '__main__':
    run_tool(main)
