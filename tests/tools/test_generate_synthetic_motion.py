"""tools/generate_synthetic_motion.py writes frames and matching poses."""

import cv2
import numpy as np

from ratenet_plugin.apis import read_keypoint_json
from ratenet_plugin.datasets.synthetic import render_synthetic_motion
from tests.tools.tool_testing import load_tool


def test_frames_and_poses_of_the_synthetic_motion(tmp_path):
    tool = load_tool('generate_synthetic_motion')
    assert tool.main([str(tmp_path), '--frames', '3', '--identity', '2',
                      '--size', '32', '22']) == 0
    frames, keypoints = render_synthetic_motion(3, identity=2, height=32,
                                                width=22)
    for t in range(3):
        image = cv2.imread(str(tmp_path / 'frames' / f'{t:04d}.png'))
        np.testing.assert_array_equal(image[..., ::-1], frames[t])
        pose = read_keypoint_json(str(tmp_path / 'poses' / f'{t:04d}.json'))
        np.testing.assert_allclose(pose.keypoints, keypoints[t])
        assert pose.image_size == (32, 22)
