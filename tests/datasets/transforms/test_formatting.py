import numpy as np
import pytest
import torch
from mmagic.registry import TRANSFORMS
from mmagic.structures import DataSample

from ratenet_plugin.datasets import GeneratePoseHeatmap, PackPoseInputs
from tests.datasets.deepfashion_testing import standing_keypoints


def _sample():
    rng = np.random.default_rng(1)
    keypoints = standing_keypoints()
    return GeneratePoseHeatmap()(dict(
        src_img=rng.integers(0, 256, (64, 44, 3), dtype=np.uint8),
        tgt_img=rng.integers(0, 256, (64, 44, 3), dtype=np.uint8),
        src_keypoints=keypoints, tgt_keypoints=keypoints + 1,
        src_name='a.jpg', tgt_name='b.jpg', src_img_path='/d/a.jpg',
        tgt_img_path='/d/b.jpg', keypoint_frame=(64, 44), sample_idx=3))


def test_packs_inputs_and_data_sample():
    sample = _sample()
    pack = TRANSFORMS.build(dict(type='PackPoseInputs'))
    assert isinstance(pack, PackPoseInputs)
    packed = pack(dict(sample))
    inputs, data_sample = packed['inputs'], packed['data_samples']
    assert set(inputs) == {'src_img', 'tgt_img', 'src_pose', 'tgt_pose'}
    for side in ('src', 'tgt'):
        img = inputs[f'{side}_img']
        assert img.dtype == torch.uint8 and img.shape == (3, 64, 44)
        np.testing.assert_array_equal(img.permute(1, 2, 0).numpy(),
                                      sample[f'{side}_img'])
        pose = inputs[f'{side}_pose']
        assert pose.dtype == torch.float32 and pose.shape == (18, 64, 44)
        np.testing.assert_array_equal(pose.numpy(), sample[f'{side}_pose'])
    assert isinstance(data_sample, DataSample)
    assert data_sample.gt_img.dtype == torch.uint8
    assert torch.equal(data_sample.gt_img, inputs['tgt_img'])
    assert data_sample.gt_img.data_ptr() != inputs['tgt_img'].data_ptr()
    assert data_sample.src_name == 'a.jpg'
    assert data_sample.tgt_img_path == '/d/b.jpg'
    np.testing.assert_array_equal(data_sample.tgt_keypoints,
                                  sample['tgt_keypoints'])
    assert data_sample.sample_idx == 3
    assert data_sample.keypoint_frame == (64, 44)
    assert 'src_img_path' in data_sample.metainfo_keys()
    assert 'flip' not in data_sample.metainfo_keys()  # absent, so skipped


def test_missing_required_meta_key_is_an_error():
    sample = _sample()
    del sample['tgt_name']
    with pytest.raises(KeyError, match='tgt_name'):
        PackPoseInputs()(sample)
