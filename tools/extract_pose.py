"""Extract COCO-18 body keypoints from a folder of images with MediaPipe.

Writes a PATN-format annotation CSV (``name:keypoints_y:keypoints_x``) that
``DeepFashionPoseDataset`` reads; pair it with a ``from,to`` pairs CSV of
images showing the same person.

    python tools/extract_pose.py IMAGES_DIR --out annotation.csv
    # crop every person to 256x176 (DeepFashion frame) and annotate the crops
    python tools/extract_pose.py IMAGES_DIR --out data/annotation.csv \
        --crop-size 256 176 --image-out data/images
    # also one coco18 JSON per image (inputs for tools/infer.py)
    python tools/extract_pose.py IMAGES_DIR --out a.csv --json-dir poses/

An image without a person gets a message and a row of ``-1`` joints; an
unreadable (missing, empty, damaged) image gets a message and no row, the
other images are still written, and the exit status is 1. Usage mistakes
(a file instead of a folder, ``--out`` a folder) are one ``error:`` line,
exit status 2.
"""
import argparse
import os
import os.path as osp
import sys

# Running from a source checkout without `pip install -e .` still finds the
# plugin.
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from ratenet_plugin.apis.pose_annotation import annotate_images  # noqa
from ratenet_plugin.apis.pose_extraction import PoseExtractor  # noqa: E402
from ratenet_plugin.fileio.errors import UserInputError, listing  # noqa
from ratenet_plugin.fileio.image_file import (  # noqa: E402
    IMAGE_EXTENSIONS, list_images)
from ratenet_plugin.utils.arguments import (folder_to_write,  # noqa: E402
                                            int_at_least, number_in)
from ratenet_plugin.utils.cli import EXIT_SOME_FAILED, run_tool  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Folder of images -> PATN keypoint annotation CSV '
        '(COCO-18, MediaPipe Pose)')
    parser.add_argument('images', help='folder with .jpg/.png/... images')
    parser.add_argument('--out', required=True, help='annotation CSV to write')
    parser.add_argument(
        '--crop-size', type=int_at_least(1), nargs=2, metavar=('H', 'W'),
        help='crop each person to this frame and write the crops to '
        '--image-out; keypoints then refer to the crops')
    parser.add_argument('--image-out', type=folder_to_write,
                        help='folder for the cropped images')
    parser.add_argument(
        '--json-dir', type=folder_to_write,
        help='also write one coco18 keypoint JSON per image')
    parser.add_argument(
        '--min-visibility', type=number_in(0, 1), default=0.5,
        help='joints MediaPipe sees with less visibility are -1 (default 0.5)')
    args = parser.parse_args(argv)
    if args.crop_size and not args.image_out:
        parser.error('--crop-size needs --image-out')
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    args.out = osp.expanduser(args.out)  # --out=~/a.csv: no shell expansion
    if osp.isdir(args.out):
        raise UserInputError(
            f'--out {args.out} is a folder; give the annotation CSV file to '
            f'write, e.g. {osp.join(args.out, "annotation.csv")}')
    images = list_images(args.images)
    entries = sorted(os.listdir(args.images))
    folders = [n for n in entries if osp.isdir(osp.join(args.images, n))]
    others = [n for n in entries if osp.isfile(osp.join(args.images, n))
              and osp.join(args.images, n) not in images]
    if not images:
        raise UserInputError(
            f'no images ({", ".join(IMAGE_EXTENSIONS)}) found in '
            f'{args.images}' + (
                f'; its {len(folders)} subfolders ({listing(folders)}) are '
                'not searched: run once per subfolder' if folders else ''))
    if others:
        print(f'skipped {len(others)} files that are not images of '
              f'{", ".join(IMAGE_EXTENSIONS)} ({listing(others)}; e.g. '
              'convert HEIC photos to JPEG)', file=sys.stderr)
    with PoseExtractor(min_visibility=args.min_visibility) as extractor:
        report = annotate_images(
            images, args.out, extractor,
            crop_size=tuple(args.crop_size) if args.crop_size else None,
            image_out_dir=args.image_out, json_dir=args.json_dir)
    print(f'wrote {report.rows} rows to {args.out} '
          f'({len(report.no_person)} without a person, '
          f'{len(report.unreadable)} unreadable)')
    if len(report.image_sizes) > 1:
        print('warning: the images have different sizes '
              f'{sorted(report.image_sizes)}; DeepFashionPoseDataset expects '
              'one frame: use --crop-size H W', file=sys.stderr)
    return EXIT_SOME_FAILED if report.unreadable else 0


if __name__ == '__main__':
    run_tool(main)
