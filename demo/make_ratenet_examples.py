"""Write the web app's bundled examples into ``demo/examples/``.

    python demo/make_ratenet_examples.py

* ``sources/astronaut.jpg``: scikit-image's astronaut photo (NASA, public
  domain), 256x256, for MediaPipe to find the person in;
* ``sources/synthetic_<k>.png`` + ``.json``: two people of the synthetic
  set's held-out identities (the demo model never trained on them), drawn at
  256x176, with their keypoints (the generator's exact annotation, which
  the app uses for these exact images; MediaPipe's estimate of a drawn
  figure is some pixels off);
* ``poses/<k>_<view>.json``: the pose gallery, coco18 keypoints of other
  held-out images (front, side and back views);
* ``sequences/synthetic_motion/<t>.json``: a short driving sequence for the
  animation tab, the coco18 keypoints of the movement that
  ``tools/generate_synthetic_motion.py`` draws (identity 0 going between
  two of its poses and back).

Everything comes from the synthetic generator with the main job's parameters, so
rerunning the script reproduces the files.
"""
import argparse
import os
import os.path as osp
import re
import sys
import tempfile

import cv2
from mmengine.config import Config
from skimage import data

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from ratenet_plugin.datasets.synthetic import (  # noqa: E402
    generate_synthetic_deepfashion, render_synthetic_motion)
from ratenet_plugin.fileio.image_file import (read_image,  # noqa: E402
                                              write_image)
from ratenet_plugin.fileio.keypoint_json import \
    write_keypoint_json  # noqa: E402
from ratenet_plugin.fileio.patn_csv import read_annotation_csv  # noqa: E402
from ratenet_plugin.utils.cli import run_tool  # noqa: E402

SIZE = (256, 176)  # (H, W): DeepFashion's frame
ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: The main job, whose held-out people the examples are.
MAIN_JOB = osp.join(ROOT, 'configs', 'ratenet',
                    'ratenet_demo-pat32x22_1xb4-1800cycles_synthetic-64x44.py')
NUM_SOURCES = 2
NUM_POSES = 6
NUM_SEQUENCE_FRAMES = 8  # short: the page animates it in seconds on a CPU


def write_examples(out_dir: str) -> None:
    sources, poses = osp.join(out_dir, 'sources'), osp.join(out_dir, 'poses')
    os.makedirs(sources, exist_ok=True)
    os.makedirs(poses, exist_ok=True)
    astronaut = cv2.resize(data.astronaut(), (256, 256),
                           interpolation=cv2.INTER_AREA)
    write_image(osp.join(sources, 'astronaut.jpg'), astronaut,
                jpeg_quality=90)

    # The main job's set, drawn at 256x176: identity i is the same person
    # whatever the size, so its test identities are people the demo model
    # never trained on.
    synthetic = {
        key: value
        for key, value in Config.fromfile(MAIN_JOB)['synthetic'].items()
        if key in ('num_identities', 'poses_per_identity',
                   'num_test_identities', 'seed')
    }
    with tempfile.TemporaryDirectory() as tmp:
        generate_synthetic_deepfashion(
            tmp, height=SIZE[0], width=SIZE[1], image_format='png',
            **synthetic)
        rows = read_annotation_csv(
            osp.join(tmp, 'fasion-resize-annotation-test.csv'))
        # Names end in <pose index><view>.png, e.g. ...01_1front.png; the
        # first image of the first identities are the sources.
        parts = [re.search(r'_(\d+)([a-z]+)\.png$', row.name) for row in rows]
        firsts = [row for row, m in zip(rows, parts)
                  if m.group(1) == '1'][:NUM_SOURCES]
        for k, row in enumerate(firsts, 1):
            image = read_image(osp.join(tmp, 'test', row.name))
            write_image(osp.join(sources, f'synthetic_{k}.png'), image)
            write_keypoint_json(
                osp.join(sources, f'synthetic_{k}.json'), row.keypoints, SIZE)
        # Gallery: the remaining held-out poses, every view in turn.
        by_view = {}
        for row, match in zip(rows, parts):
            if row.name not in {first.name for first in firsts}:
                by_view.setdefault(match.group(2), []).append(row)
        chosen = []
        while len(chosen) < NUM_POSES and any(by_view.values()):
            for view in sorted(by_view):
                if by_view[view] and len(chosen) < NUM_POSES:
                    chosen.append((view, by_view[view].pop(0)))
        for k, (view, row) in enumerate(chosen, 1):
            write_keypoint_json(
                osp.join(poses, f'{k}_{view}.json'), row.keypoints, SIZE)

    motion = osp.join(out_dir, 'sequences', 'synthetic_motion')
    os.makedirs(motion, exist_ok=True)
    _, keypoints = render_synthetic_motion(
        NUM_SEQUENCE_FRAMES, identity=0, height=SIZE[0], width=SIZE[1],
        seed=synthetic['seed'])
    for t, kpts in enumerate(keypoints):
        write_keypoint_json(osp.join(motion, f'{t:04d}.json'), kpts, SIZE)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--out-dir',
        default=osp.join(osp.dirname(osp.abspath(__file__)), 'examples'),
        help='default: demo/examples next to this script')
    write_examples(parser.parse_args(argv).out_dir)


if __name__ == '__main__':
    run_tool(main)
