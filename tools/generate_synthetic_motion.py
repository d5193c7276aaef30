"""Write a synthetic person's movement as frames and keypoint JSONs.

A driving sequence (or a source photo with its pose) for
``tools/animate.py`` without any real data: one identity of the synthetic
DeepFashion set moving between two of its poses and back
(``ratenet_plugin.datasets.synthetic.render_synthetic_motion``).

    python tools/generate_synthetic_motion.py work_dirs/motion \
        --frames 24 --identity 0 --size 64 44

writes ``<out>/frames/0000.png ...`` and ``<out>/poses/0000.json ...``
(our coco18 format, in the frames' pixels).
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from ratenet_plugin.apis import write_keypoint_json  # noqa: E402
from ratenet_plugin.datasets.synthetic import \
    render_synthetic_motion  # noqa: E402
from ratenet_plugin.fileio.image_file import write_image  # noqa: E402
from ratenet_plugin.utils.arguments import (folder_to_write,  # noqa: E402
                                            int_at_least)
from ratenet_plugin.utils.cli import run_tool  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Write a synthetic movement as PNG frames and JSON poses')
    parser.add_argument('out_dir', type=folder_to_write, help='output folder')
    parser.add_argument('--frames', type=int_at_least(2), default=24,
                        help='number of frames (default 24)')
    parser.add_argument('--identity', type=int_at_least(0), default=0,
                        help='identity of the synthetic set (default 0)')
    parser.add_argument('--size', type=int_at_least(1), nargs=2,
                        default=(256, 176),
                        metavar=('H', 'W'),
                        help='frame size (default 256 176)')
    parser.add_argument('--seed', type=int_at_least(0), default=0,
                        help='seed of the synthetic set (default 0)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    frames, keypoints = render_synthetic_motion(
        args.frames, identity=args.identity, height=args.size[0],
        width=args.size[1], seed=args.seed)
    for sub in ('frames', 'poses'):
        os.makedirs(osp.join(args.out_dir, sub), exist_ok=True)
    for t, (frame, kpts) in enumerate(zip(frames, keypoints)):
        write_image(osp.join(args.out_dir, 'frames', f'{t:04d}.png'), frame)
        write_keypoint_json(
            osp.join(args.out_dir, 'poses', f'{t:04d}.json'), kpts,
            tuple(args.size))
    print(f'wrote {len(frames)} frames and poses to {args.out_dir}')
    return 0


if __name__ == '__main__':
    run_tool(main)
