"""PoseDataPreprocessor: [-1, 1] images, float heatmaps, eval ground truth."""
import numpy as np
import pytest
import torch
from mmagic.structures import DataSample
from mmengine.dataset import default_collate, pseudo_collate

from ratenet_plugin.datasets.transforms import (PackPoseInputs,
                                               PosePipelineError)
from ratenet_plugin.models import PoseDataPreprocessor
from tests.models.ratenet_testing import raw_batch


def _packed_samples(num=2, height=16, width=12):
    """Samples exactly as the dataset pipeline packs them."""
    rng = np.random.default_rng(0)
    samples = []
    for index in range(num):
        results = dict(
            src_img=rng.integers(0, 256, (height, width, 3), dtype=np.uint8),
            tgt_img=rng.integers(0, 256, (height, width, 3), dtype=np.uint8),
            src_pose=rng.random((18, height, width), dtype=np.float32),
            tgt_pose=rng.random((18, height, width), dtype=np.float32),
            src_name=f's{index}.jpg',
            tgt_name=f't{index}.jpg',
            src_img_path=f'/data/s{index}.jpg',
            tgt_img_path=f'/data/t{index}.jpg',
            src_keypoints=np.full((18, 2), -1, np.float32),
            tgt_keypoints=np.full((18, 2), -1, np.float32),
            keypoint_frame=(height, width))
        samples.append(PackPoseInputs()(results))
    return samples


@pytest.mark.parametrize('collate', [pseudo_collate, default_collate])
def test_training_batch(collate):
    samples = _packed_samples()
    data = PoseDataPreprocessor()(collate(samples), training=True)
    inputs = data['inputs']
    for key in ('src_img', 'tgt_img'):
        raw = torch.stack([s['inputs'][key] for s in samples])
        assert inputs[key].dtype == torch.float32
        assert inputs[key].shape == (2, 3, 16, 12)
        assert torch.allclose(inputs[key], raw.float() / 127.5 - 1)
        assert inputs[key].min() >= -1 and inputs[key].max() <= 1
    for key in ('src_pose', 'tgt_pose'):
        raw = torch.stack([s['inputs'][key] for s in samples])
        assert torch.equal(inputs[key], raw)
    assert isinstance(data['data_samples'], DataSample)
    assert data['data_samples'].gt_img.dtype == torch.uint8
    assert data['data_samples'].src_name == ['s0.jpg', 's1.jpg']


@pytest.mark.parametrize('order', ['RGB', 'BGR'])
def test_eval_ground_truth_is_float_in_the_eval_channel_order(order):
    samples = _packed_samples()
    pre = PoseDataPreprocessor(eval_channel_order=order)
    data = pre(pseudo_collate(samples), training=False)
    gt = data['data_samples'].gt_img
    rgb = torch.stack([s['inputs']['tgt_img'] for s in samples]).float()
    assert gt.dtype == torch.float32 and gt.shape == (2, 3, 16, 12)
    assert torch.equal(gt, rgb if order == 'RGB' else rgb[:, [2, 1, 0]])
    # Model outputs converted by to_eval_image share that order and range.
    assert torch.allclose(
        pre.to_eval_image(data['inputs']['tgt_img']), gt, atol=1e-4)


def test_default_eval_order_is_rgb():
    assert PoseDataPreprocessor().eval_channel_order == 'RGB'
    with pytest.raises(ValueError, match='eval_channel_order'):
        PoseDataPreprocessor(eval_channel_order='bgr')


def test_same_batch_twice_gives_the_same_result():
    """A hook that keeps a batch and evaluates it repeatedly sees the same
    ground truth each time (the preprocessor does not mutate its input)."""
    batch = pseudo_collate(_packed_samples())
    pre = PoseDataPreprocessor()
    first = pre(batch, training=False)['data_samples'].gt_img
    second = pre(batch, training=False)['data_samples'].gt_img
    assert torch.equal(first, second)
    assert batch['data_samples'][0].gt_img.dtype == torch.uint8


def test_inference_batch_without_target_or_samples():
    batch = raw_batch()
    del batch['inputs']['tgt_img'], batch['data_samples']
    data = PoseDataPreprocessor()(batch, training=False)
    assert set(data['inputs']) == {'src_img', 'src_pose', 'tgt_pose'}
    assert data['data_samples'] is None


def test_rejects_unbatchable_images():
    batch = raw_batch()
    batch['inputs']['src_img'] = torch.zeros(3, 32, 22, dtype=torch.uint8)
    with pytest.raises(ValueError, match="inputs\\['src_img'\\]"):
        PoseDataPreprocessor()(batch, training=True)


def test_a_pipeline_that_separates_images_and_heatmaps_is_named():
    """Images resized after GeneratePoseHeatmap, or MMagic's PackInputs in
    place of PackPoseInputs: one error naming the steps, not a size
    mismatch deep in a PAT block."""
    batch = raw_batch()
    images = batch['inputs']['src_img']
    batch['inputs']['src_img'] = [
        torch.nn.functional.interpolate(image[None].float(), scale_factor=2)[0]
        .to(torch.uint8) for image in images
    ]
    with pytest.raises(PosePipelineError) as info:
        PoseDataPreprocessor()(batch, training=True)
    height, width = images[0].shape[-2:]
    assert str(info.value).startswith(
        f'the data pipeline gave src_img (3, {2 * height}, {2 * width}), '
        f'tgt_img (3, {height}, {width})')
    assert 'resize with ResizePadPose before GeneratePoseHeatmap' in str(
        info.value)
    with pytest.raises(PosePipelineError, match="packed the inputs as "
                       "Tensor.*end it with PackPoseInputs"):
        PoseDataPreprocessor()(dict(inputs=torch.zeros(2, 42, 8, 8),
                                    data_samples=None), training=True)
