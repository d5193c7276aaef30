"""Pose-guided person image synthesis with a trained RATE-Net.

One pair (the target pose from a keypoint JSON, a target photo, or a PATN
annotation row):

    python tools/infer.py --checkpoint iter_40000.pth \
        --source person.jpg --target-pose pose.json --out result.png \
        [--panel panel.png] [--config configs/ratenet/ratenet_full_1xb7-40kcycles_deepfashion-256x176.py]
    python tools/infer.py ... --target-pose other_person.jpg --out r.png
    python tools/infer.py ... --target-pose fasion-resize-annotation-test.csv \
        --target-name fashionWOMENDressesid0000262902_3back.jpg --out r.png

Batch mode over a pairs CSV (``from,to``; target poses from ``--pose-dir``
JSONs or extracted from the target images; a source's pose from its
``--pose-dir`` JSON where there is one, else extracted):

    python tools/infer.py --checkpoint ckpt.pth --pairs pairs.csv \
        --image-dir images/ --out-dir results/ [--pose-dir poses/] [--panel]

Both poses of each pair from a PATN annotation CSV (``--annotations``; with
``--crop full --no-amp`` the results are those ``tools/test.py`` generates,
for ``tools/score_folder.py``).

Source photos may have any size: the person is cropped to the model's frame
(``--crop person``, default) or the whole photo is letterboxed
(``--crop full``). Runs on ``--device cpu`` (default) or ``cuda``, in
bfloat16 where the config's ``fast_paths`` choose it for the machine (CPUs
with native bf16; ``--no-amp`` for float32, docs/inference.md).
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import _bootstrap  # noqa: E402  (repo on sys.path, OpenMP and malloc defaults)

# Run as a script, it only generates: MMEngine's training-only optional
# imports are skipped (_bootstrap.TRAINING_ONLY_IMPORTS).
with _bootstrap.heavy_imports(skip_training_only=__name__ == '__main__'):
    from ratenet_plugin.apis.inferencer import (RATENetInferencer,
                                                add_inferencer_arguments)
    from ratenet_plugin.fileio.errors import UserInputError
    from ratenet_plugin.fileio.image_file import IMAGE_EXTENSIONS, write_image
    from ratenet_plugin.utils.arguments import (folder_to_write,
                                                path_ending_in)
    from ratenet_plugin.utils.cli import EXIT_SOME_FAILED, run_tool

DEFAULT_CONFIG = osp.join(
    osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs', 'ratenet',
    'ratenet_full_1xb7-40kcycles_deepfashion-256x176.py')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='RATE-Net inference: source image + target pose -> image')
    parser.add_argument(
        '--config', default=DEFAULT_CONFIG,
        help='model config (default: configs/ratenet/'
        'ratenet_full_1xb7-40kcycles_deepfashion-256x176.py)')
    parser.add_argument('--checkpoint', required=True, help='checkpoint file')
    add_inferencer_arguments(parser)
    single = parser.add_argument_group('one pair')
    single.add_argument('--source', help='source image')
    single.add_argument(
        '--source-pose', help='keypoint JSON of the source image (default: '
        'extracted with MediaPipe)')
    single.add_argument(
        '--target-pose', help='keypoint JSON (coco18, OpenPose, MMPose, '
        'MediaPipe; docs/inference.md), a target image, '
        'or a PATN annotation CSV with --target-name')
    single.add_argument('--target-name', help='row of the annotation CSV')
    single.add_argument('--out', type=path_ending_in(IMAGE_EXTENSIONS),
                        help='result image to write')
    single.add_argument(
        '--panel', nargs='?', const=True, default=None,
        type=path_ending_in(IMAGE_EXTENSIONS),
        help='also write a source | target pose | result panel (a path in '
        'single mode; a flag in batch mode)')
    batch = parser.add_argument_group('batch mode')
    batch.add_argument('--pairs', help='pairs CSV (from,to)')
    batch.add_argument('--image-dir', help='folder of the pairs\' images')
    batch.add_argument(
        '--pose-dir', help='folder of <to stem>.json target poses (default: '
        'extract from the target images); a <from stem>.json there in the '
        'source photo\'s pixels is the source\'s pose (else extracted)')
    batch.add_argument(
        '--annotations', help='PATN annotation CSV whose rows are both '
        'poses of each pair (e.g. the test set\'s): with --crop full and '
        '--no-amp the results are tools/test.py\'s, for tools/score_folder.py')
    batch.add_argument('--out-dir', type=folder_to_write,
                       help='folder for the results')
    args = parser.parse_args(argv)
    if args.pairs:
        single_options = [
            option for option, value in (
                ('--source', args.source), ('--source-pose', args.source_pose),
                ('--target-pose', args.target_pose),
                ('--target-name', args.target_name), ('--out', args.out))
            if value is not None
        ]
        if single_options:
            parser.error(f'{", ".join(single_options)}: one pair\'s options, '
                         'not read in batch mode (--pairs); drop them, or '
                         'drop --pairs')
        if not (args.image_dir and args.out_dir):
            parser.error('--pairs needs --image-dir and --out-dir')
        if args.pose_dir and args.annotations:
            parser.error('--pose-dir and --annotations both give the poses: '
                         'choose one')
        if isinstance(args.panel, str):
            parser.error('in batch mode --panel takes no path: the panels '
                         'are written beside the results, as '
                         '<out-dir>/<name>_panel.png')
    elif not (args.source and args.target_pose and args.out):
        parser.error('give --source, --target-pose and --out (or --pairs)')
    elif args.panel is True:
        parser.error('--panel needs the file to write in single mode, e.g. '
                     '--panel panel.png')
    if args.annotations and not args.pairs:
        parser.error('--annotations is for batch mode (--pairs); for one '
                     'pair use --target-pose ANNOTATION.csv --target-name ROW')
    if args.target_name and not (args.target_pose or '').lower().endswith(
            '.csv'):
        parser.error('--target-name names a row of an annotation CSV: it '
                     'needs --target-pose ANNOTATION.csv')
    if not args.pairs:
        _check_outputs_spare_inputs(parser, args)
    return args


def _check_outputs_spare_inputs(parser: argparse.ArgumentParser,
                                args: argparse.Namespace) -> None:
    """--out and --panel must not replace an input file or each other."""
    inputs = [('--source', args.source), ('--source-pose', args.source_pose),
              ('--target-pose', args.target_pose)]
    outputs = [('--out', args.out)]
    if isinstance(args.panel, str):
        outputs.append(('--panel', args.panel))
    for index, (option, path) in enumerate(outputs):
        for other, given in inputs + outputs[:index]:
            if given is not None and osp.realpath(path) == osp.realpath(given):
                parser.error(f'{option} {path} is the {other} file: writing '
                             'it would replace that; choose another file')


def _target_pose(args, inferencer: RATENetInferencer):
    if args.target_pose.lower().endswith('.csv'):
        if not args.target_name:
            raise UserInputError(f'{args.target_pose} is an annotation CSV: '
                                 'name the row with --target-name')
        # Read as the config's dataset reads the row, in its frame.
        return inferencer.read_patn_pose(args.target_pose, args.target_name)
    return args.target_pose


def run(args: argparse.Namespace, inferencer: RATENetInferencer) -> int:
    if args.pairs:
        written, failed = inferencer.infer_pairs(
            args.pairs, args.image_dir, args.out_dir,
            pose_dir=args.pose_dir, annotation_file=args.annotations,
            save_panel=bool(args.panel))
        skipped = f', {len(failed)} pairs skipped (see above)' if failed \
            else ''
        print(f'wrote {len(written)} results to {args.out_dir}{skipped}')
        return EXIT_SOME_FAILED if failed else 0
    outputs = inferencer(
        args.source, _target_pose(args, inferencer),
        source_pose=args.source_pose)
    files = [(args.out, outputs['predictions'][0]['result'])]
    if isinstance(args.panel, str):
        files.append((args.panel, outputs['visualization'][0]))
    for path, image in files:
        os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
        write_image(path, image)
        print(f'wrote {path} ({image.shape[0]}x{image.shape[1]})')
    return 0


def main(argv=None) -> int:
    args = parse_args(argv)
    inferencer = RATENetInferencer.from_args(args)
    try:
        return run(args, inferencer)
    finally:
        inferencer.close()


if __name__ == '__main__':
    run_tool(main)
