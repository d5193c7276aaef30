"""Prepare DeepFashion In-shop for pose transfer, in PATN's format.

From the raw In-shop download (``img`` or ``img_highres``, plus a split) and
PATN-format keypoint annotation CSVs, write ``train/``, ``test/``, the
annotation and pairs CSVs ``DeepFashionPoseDataset`` reads, and a summary of
what was kept and dropped, and why (see docs/data.md). What a complete download
would not lose (annotated images not found, unreadable images, given pairs
dropped) is also a ``warning:`` line on stderr, and the exit code is then 1.

    # PATN's split and test pairs, 256x176 (the field's protocol)
    python tools/prepare_deepfashion.py data/In-shop data/deepfashion \
        --annotations fasion-resize-annotation-train.csv \
                      fasion-resize-annotation-test.csv --split-by-annotation \
        --test-pairs fasion-resize-pairs-test.csv
    # 256x256 from img_highres with the official split, pairs formed anew
    python tools/prepare_deepfashion.py data/In-shop data/deepfashion256 \
        --annotations all-annotations.csv --size 256 256 \
        --partition data/In-shop/Eval/list_eval_partition.txt
"""
import argparse
import json
import sys

from ratenet_plugin.datasets.inshop_preparation import (PAIR_RULES,
                                                        prepare_deepfashion)
from ratenet_plugin.utils.arguments import (folder_to_write, int_at_least,
                                            number_in)
from ratenet_plugin.utils.cli import EXIT_SOME_FAILED, run_tool


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Raw DeepFashion In-shop -> PATN-format pose data')
    parser.add_argument('raw_root', help='the In-shop download (with img/ '
                        'and/or img_highres/)')
    parser.add_argument('out_dir', type=folder_to_write,
                        help='output folder (absent or empty)')
    parser.add_argument('--annotations', nargs='+', required=True,
                        help='PATN annotation CSV(s) name:keypoints_y:'
                        'keypoints_x')
    parser.add_argument(
        '--annotation-frame', type=int_at_least(1), nargs=2,
        default=(256, 176), metavar=('H', 'W'),
        help='frame of the annotation keypoints (default 256 176, PATN)')
    parser.add_argument('--images', choices=('img', 'img_highres'),
                        help='raw image folder (default: img_highres if '
                        'present, else img)')
    split = parser.add_argument_group('split (give one)')
    split.add_argument('--partition',
                       help="In-shop's list_eval_partition.txt (train -> "
                       'train, query/gallery -> test)')
    split.add_argument('--train-list', help='train image names, one a line')
    split.add_argument('--test-list', help='test image names, one a line')
    split.add_argument(
        '--split-by-annotation', action='store_true',
        help='images of the first --annotations file are train, of the '
        'second test (PATN)')
    parser.add_argument('--size', type=int_at_least(1), nargs=2,
                        default=(256, 176),
                        metavar=('H', 'W'),
                        help='output size (default 256 176; or 256 256)')
    parser.add_argument('--train-pairs', help='keep these train pairs '
                        '(default: all pairs within an identity)')
    parser.add_argument('--test-pairs', help='keep these test pairs, e.g. '
                        "PATN's fasion-resize-pairs-test.csv")
    parser.add_argument(
        '--pair-rule', choices=PAIR_RULES, default='patn',
        help='for formed pairs: patn = both images show both shoulders and '
        'hips (default); any = at least one joint')
    parser.add_argument('--outside-tolerance', type=number_in(0),
                        default=10.0,
                        help='clip joints this many px outside the output '
                        'frame; mark farther ones missing (default 10)')
    parser.add_argument('--workers', type=int_at_least(1), default=1)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    pairs_files = {
        split: path
        for split, path in (('train', args.train_pairs), ('test',
                                                          args.test_pairs))
        if path
    }
    summary = prepare_deepfashion(
        args.raw_root, args.out_dir, annotation_files=args.annotations,
        annotation_frame=args.annotation_frame, image_folder=args.images,
        partition_file=args.partition, train_list=args.train_list,
        test_list=args.test_list,
        split_by_annotation=args.split_by_annotation, size=args.size,
        pairs_files=pairs_files, pair_rule=args.pair_rule,
        outside_tolerance=args.outside_tolerance, workers=args.workers)
    print(json.dumps(summary, indent=2))
    for warning in summary['warnings']:
        print(f'warning: {warning}', file=sys.stderr)
    return EXIT_SOME_FAILED if summary['warnings'] else 0


if __name__ == '__main__':
    run_tool(main)
