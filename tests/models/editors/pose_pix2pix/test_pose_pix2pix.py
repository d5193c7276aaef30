"""PosePix2Pix: MMagic's Pix2Pix whose outputs RATE-Net's metrics read."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

from ratenet_plugin.models import PosePix2Pix
from ratenet_plugin.registry import MODELS, TRANSFORMS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__))))))
DEMO = osp.join(
    ROOT, 'configs', 'pix2pix_pose',
    'pix2pix_vanilla-unet-bn_1xb8-2kiters_deepfashion-pose-demo.py')


@pytest.fixture
def model() -> PosePix2Pix:
    init_default_scope('mmagic')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(DEMO).model)
    model.init_weights()
    return model


def packed_pairs(num: int = 2) -> list:
    """Pose pairs through ConcatPoseCondition and MMagic's PackInputs, as
    the demo config's pipeline gives them (64x64)."""
    rng = np.random.default_rng(0)
    concat = TRANSFORMS.build(
        dict(type='ConcatPoseCondition', condition_key='img_condition',
             target_key='img_person'))
    pack = TRANSFORMS.build(
        dict(type='PackInputs', keys=['img_person', 'img_condition'],
             data_keys=['img_person', 'img_condition']))
    samples = []
    for _ in range(num):
        pair = dict(
            src_img=rng.integers(0, 256, (64, 64, 3), dtype=np.uint8),
            tgt_img=rng.integers(0, 256, (64, 64, 3), dtype=np.uint8),
            tgt_pose=rng.random((18, 64, 64), dtype=np.float32))
        samples.append(pack(concat(pair)))
    return samples


def test_init_weights_draws_mmagic_normal_init(model):
    conv = model.generators['person'].model.model[0].conv
    assert conv.weight.std().item() == pytest.approx(0.02, rel=0.2)


def test_val_and_test_outputs_carry_rate_net_metric_keys(model):
    samples = packed_pairs()
    batch = pseudo_collate(samples)
    model.eval()
    for results in (model.val_step(batch), model.test_step(batch)):
        assert len(results) == 2
        for sample, packed in zip(results, samples):
            assert sample.metainfo['channel_order'] == 'RGB'
            assert sample.output.pred_img.shape == (3, 64, 64)
            assert sample.gt_img.dtype == torch.float32
            # The real target image, RGB in [0, 255], as packed.
            torch.testing.assert_close(
                sample.gt_img,
                packed['data_samples'].img_person.float())
            assert 0 <= sample.output.pred_img.min()
            assert sample.output.pred_img.max() <= 255
