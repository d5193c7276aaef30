"""Animate a person along a pose sequence with a trained RATE-Net.

    python tools/animate.py --config configs/ratenet/ratenet_demo-pat32x22_1xb4-1800cycles_synthetic-64x44.py \
        --checkpoint work_dirs/ratenet_demo-pat32x22_1xb4-1800cycles_synthetic-64x44/iter_1800.pth \
        --source person.jpg --poses dance.mp4 --out dance.gif \
        [--side-by-side] [--batch-size 8] [--fps 12]

``--poses`` is a video file, a folder of frames (poses extracted with
MediaPipe) or a folder of keypoint JSONs (ours or OpenPose's per-frame
files). The driving poses are smoothed over time (One-Euro filter) and
retargeted onto the source person (``--no-retarget``, ``--no-smooth`` turn
that off). ``--out`` ends in ``.gif`` or ``.mp4``. Frames without a person
are skipped and reported. Precision and layout follow the config's
``fast_paths`` for the machine, as in tools/infer.py (``--amp/--no-amp``,
``--channels-last/--no-channels-last``). See docs/inference.md.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import _bootstrap  # noqa: E402  (repo on sys.path, OpenMP and malloc defaults)

# Run as a script, it only generates: MMEngine's training-only optional
# imports are skipped (_bootstrap.TRAINING_ONLY_IMPORTS).
with _bootstrap.heavy_imports(skip_training_only=__name__ == '__main__'):
    from ratenet_plugin.apis import (RATENetInferencer, animate,
                                     write_animation)
    from ratenet_plugin.apis.inferencer import add_inferencer_arguments
    from ratenet_plugin.fileio.video import (ANIMATION_EXTENSIONS,
                                             GIF_MIN_FPS, frames_written)
    from ratenet_plugin.utils.arguments import (int_at_least, number_in,
                                                path_ending_in)
    from ratenet_plugin.utils.cli import run_tool


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='RATE-Net animation: a source person driven by a pose '
        'sequence')
    parser.add_argument('--config', required=True,
                        help='model config the checkpoint was trained with')
    parser.add_argument('--checkpoint', required=True, help='checkpoint file')
    parser.add_argument('--source', required=True, help='source photo')
    parser.add_argument(
        '--source-pose', help='keypoint JSON of the source photo (default: '
        'extracted with MediaPipe)')
    parser.add_argument(
        '--poses', required=True, help='driving sequence: a video, a folder '
        'of frames or a folder of keypoint JSONs')
    parser.add_argument('--out', required=True,
                        type=path_ending_in(ANIMATION_EXTENSIONS),
                        help='animation to write (.gif or .mp4)')
    parser.add_argument(
        '--side-by-side', action='store_true',
        help='show the driving frame (or skeleton) left of each result')
    parser.add_argument('--batch-size', type=int_at_least(1), default=8,
                        help='frames per forward pass (default 8)')
    parser.add_argument(
        '--fps', type=number_in(0, low_open=True),
        help='frame rate of the sequence and the result (default: the '
        'video\'s; 25 for folders)')
    parser.add_argument('--no-retarget', action='store_true',
                        help='use the driving skeletons as they are')
    parser.add_argument('--no-smooth', action='store_true',
                        help='no temporal smoothing of the keypoints')
    add_inferencer_arguments(parser)
    args = parser.parse_args(argv)
    if (args.fps is not None and args.out.lower().endswith('.gif')
            and args.fps < GIF_MIN_FPS):
        parser.error(f'--fps {args.fps:g}: a GIF shows a frame for at most '
                     f'655.35 s, so at least {GIF_MIN_FPS:.4f}; write an '
                     '.mp4')
    return args


def run(args: argparse.Namespace) -> int:
    inferencer = RATENetInferencer.from_args(args)
    try:
        animation = animate(
            inferencer, args.source, args.poses,
            source_pose=args.source_pose,
            retarget=not args.no_retarget, smooth=not args.no_smooth,
            batch_size=args.batch_size, side_by_side=args.side_by_side,
            fps=args.fps)
    finally:
        inferencer.close()
    rate = write_animation(animation.frames, args.out, animation.fps)
    height, width = animation.frames[0].shape[:2]
    skipped = len(animation.skipped)
    kept = frames_written(len(animation.frames), animation.fps, rate)
    print(f'wrote {args.out}: {kept} of {height}x{width} at {rate:g} fps'
          f'{f", {skipped} skipped" if skipped else ""}')
    return 0


def main(argv=None) -> int:
    """Bad inputs (and a missing config or checkpoint) raise; run as a
    script, they end in one ``error:`` line (``utils/cli.run_tool``)."""
    return run(parse_args(argv))


if __name__ == '__main__':
    run_tool(main)
