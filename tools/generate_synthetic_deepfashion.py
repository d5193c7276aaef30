"""Generate a synthetic DeepFashion data set in the PATN format.

People-like figures drawn from 18 COCO keypoints, several identities with
their own textured outfits, several poses each, split into train/test by
identity (see ``ratenet_plugin.datasets.synthetic``).

    python tools/generate_synthetic_deepfashion.py data/synthetic_deepfashion
    python tools/generate_synthetic_deepfashion.py data/synthetic_64 \
        --num-identities 12 --poses-per-identity 6 --size 64 44 --seed 1

The output folder must not exist (or be empty); the result is what
``DeepFashionPoseDataset(..., synthetic=dict(...))`` generates on first use.
"""
import argparse
import os
import os.path as osp
import time

from ratenet_plugin.datasets.synthetic import (MARKER_FILE,
                                               ensure_synthetic_deepfashion)
from ratenet_plugin.fileio.errors import UserInputError
from ratenet_plugin.fileio.text_file import read_text
from ratenet_plugin.utils.arguments import folder_to_write, int_at_least
from ratenet_plugin.utils.cli import run_tool


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Write a synthetic PATN-format DeepFashion data set')
    parser.add_argument('out_dir', type=folder_to_write,
                        help='output folder (absent or empty)')
    parser.add_argument('--num-identities', type=int_at_least(1),
                        default=10)
    parser.add_argument('--poses-per-identity', type=int_at_least(2),
                        default=6, help='at least 2, to form pairs')
    parser.add_argument(
        '--num-test-identities', type=int_at_least(0), default=2,
        help='the last this-many identities form the test split')
    parser.add_argument('--size', type=int_at_least(16), nargs=2,
                        default=(256, 176),
                        metavar=('H', 'W'),
                        help='image size (default 256 176)')
    parser.add_argument('--seed', type=int_at_least(0), default=0)
    parser.add_argument('--image-format', choices=('jpg', 'png'),
                        default='jpg')
    args = parser.parse_args(argv)
    if args.num_test_identities > args.num_identities:
        parser.error(f'--num-test-identities {args.num_test_identities} is '
                     f'more than --num-identities {args.num_identities}')
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    marker = osp.join(args.out_dir, MARKER_FILE)
    if osp.exists(marker):
        raise UserInputError(f'{args.out_dir} already holds a synthetic set; '
                             'delete it to regenerate')
    if osp.isdir(args.out_dir) and os.listdir(args.out_dir):
        # Before the data set code, which would take such a folder as data.
        raise UserInputError(f'{args.out_dir} is not empty: give a new or '
                             'empty output folder')
    start = time.perf_counter()
    ensure_synthetic_deepfashion(
        args.out_dir, num_identities=args.num_identities,
        poses_per_identity=args.poses_per_identity,
        num_test_identities=args.num_test_identities, height=args.size[0],
        width=args.size[1], seed=args.seed, image_format=args.image_format)
    if not osp.exists(marker):
        raise UserInputError(f'{args.out_dir} is not empty: give a new or '
                             'empty output folder')
    summary = read_text(marker)
    print(f'wrote {args.out_dir} in {time.perf_counter() - start:.1f} s:\n'
          f'{summary}')
    return 0


if __name__ == '__main__':
    run_tool(main)
