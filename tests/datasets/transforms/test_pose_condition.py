"""ConcatPoseCondition: a pose pair as one condition image for Pix2Pix."""
import numpy as np
import pytest

from ratenet_plugin.datasets.transforms import ConcatPoseCondition
from ratenet_plugin.registry import TRANSFORMS


@pytest.fixture
def pair() -> dict:
    rng = np.random.default_rng(0)
    return dict(
        src_img=rng.integers(0, 256, (8, 6, 3), dtype=np.uint8),
        tgt_img=rng.integers(0, 256, (8, 6, 3), dtype=np.uint8),
        src_pose=rng.random((18, 8, 6), dtype=np.float32),
        tgt_pose=rng.random((18, 8, 6), dtype=np.float32))


def test_concat_pose_condition_layout(pair):
    transform = TRANSFORMS.build(dict(type='ConcatPoseCondition'))
    assert isinstance(transform, ConcatPoseCondition)
    out = transform(dict(pair))
    cond = out['img_condition']
    assert cond.shape == (8, 6, 21) and cond.dtype == np.float32
    np.testing.assert_array_equal(cond[..., :3], pair['src_img'])
    np.testing.assert_allclose(cond[..., 3 + 7],
                               pair['tgt_pose'][7] * 255, rtol=1e-6)
    assert out['img_person'] is pair['tgt_img']
    assert 0 <= cond.min() and cond.max() <= 255


def test_concat_pose_condition_with_source_pose(pair):
    out = ConcatPoseCondition(
        condition_key='c', target_key='t', with_src_pose=True)(dict(pair))
    assert out['c'].shape == (8, 6, 39)
    np.testing.assert_allclose(out['c'][..., 3], pair['src_pose'][0] * 255,
                               rtol=1e-6)
    np.testing.assert_allclose(out['c'][..., 21], pair['tgt_pose'][0] * 255,
                               rtol=1e-6)
