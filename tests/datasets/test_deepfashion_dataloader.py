"""A dataloader over the synthetic set yields what the model consumes."""
import torch
from mmagic.registry import MODELS
from mmagic.structures import DataSample
from mmengine.runner import Runner

from tests.datasets.deepfashion_testing import SYNTHETIC


def _dataloader(root, num_workers):
    height, width = SYNTHETIC['height'], SYNTHETIC['width']
    return Runner.build_dataloader(
        dict(
            batch_size=2,
            num_workers=num_workers,
            persistent_workers=False,
            sampler=dict(type='DefaultSampler', shuffle=True),
            dataset=dict(
                type='DeepFashionPoseDataset',
                data_root=str(root),
                ann_file='fasion-resize-annotation-train.csv',
                pairs_file='fasion-resize-pairs-train.csv',
                data_prefix=dict(img='train'),
                keypoint_frame=(height, width),
                synthetic=dict(SYNTHETIC),
                pipeline=[
                    dict(type='LoadPosePairFromFile'),
                    dict(type='PoseAwareFlip', prob=0.5),
                    dict(type='ResizePadPose', scale=(height, height)),
                    dict(type='GeneratePoseHeatmap', sigma=6),
                    dict(type='PackPoseInputs'),
                ])),
        seed=0)


def test_batches_have_the_shapes_the_model_expects(synthetic_root):
    loader = _dataloader(synthetic_root, num_workers=1)
    batch = next(iter(loader))
    assert set(batch) == {'inputs', 'data_samples'}
    inputs = batch['inputs']
    assert set(inputs) == {'src_img', 'tgt_img', 'src_pose', 'tgt_pose'}
    for side in ('src', 'tgt'):
        img = torch.stack(inputs[f'{side}_img'])
        assert img.shape == (2, 3, 64, 64) and img.dtype == torch.uint8
        pose = torch.stack(inputs[f'{side}_pose'])
        assert pose.shape == (2, 18, 64, 64) and pose.dtype == torch.float32
        assert 0 <= pose.min() and pose.max() <= 1
        # Neck, shoulders and hips are always visible on synthetic figures.
        peaks = pose.amax(dim=(2, 3))
        assert (peaks[:, [1, 2, 5, 8, 11]] > 0.9).all()
    samples = DataSample.stack(batch['data_samples'])
    assert samples.gt_img.shape == (2, 3, 64, 64)
    assert torch.equal(samples.gt_img, torch.stack(inputs['tgt_img']))
    assert len(samples.src_name) == 2
    assert all(k.shape == (18, 2) for k in samples.tgt_keypoints)
    assert len(loader) == len(loader.dataset) // 2


def test_batches_feed_the_pose_data_preprocessor(synthetic_root):
    batch = next(iter(_dataloader(synthetic_root, num_workers=0)))
    preprocessor = MODELS.build(dict(type='PoseDataPreprocessor'))
    data = preprocessor(batch, training=True)
    inputs = data['inputs']
    for side in ('src', 'tgt'):
        img = inputs[f'{side}_img']
        assert img.shape == (2, 3, 64, 64) and img.dtype == torch.float32
        assert -1 <= img.min() and img.max() <= 1
        assert img.max() == 1  # the white padding
        assert inputs[f'{side}_pose'].shape == (2, 18, 64, 64)
    assert data['data_samples'].gt_img.shape == (2, 3, 64, 64)
