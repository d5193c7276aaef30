"""The evaluator config fragment builds, and runs in MMagic's MultiTestLoop."""
import json
from pathlib import Path

import pytest
import torch
from mmagic.evaluation import Evaluator
from mmagic.structures import DataSample
from mmengine.config import Config
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

from ratenet_plugin.evaluation import run_test_with_report
from ratenet_plugin.registry import EVALUATORS
from tests.evaluation.evaluation_testing import random_images

ROOT = Path(__file__).resolve().parents[2]
FRAGMENT = ROOT / 'configs' / 'ratenet' / '_base_' / 'evaluation.py'


@pytest.fixture(scope='module')
def fragment() -> Config:
    return Config.fromfile(str(FRAGMENT))


class TinyPairs(Dataset):
    """Packed samples as the pose dataset gives them (gt_img uint8 RGB)."""
    metainfo = dict(dataset_type='tiny_pairs')

    def __init__(self, num: int = 2) -> None:
        self.images = random_images(num, 64, 44).round().to(torch.uint8)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> dict:
        return dict(
            inputs=dict(src_img=self.images[index]),
            data_samples=DataSample(gt_img=self.images[index]))


class EchoModel(BaseModel):
    """Follows the val/test_step contract; predicts the ground truth."""

    def __init__(self) -> None:
        super().__init__()
        self.dummy = torch.nn.Parameter(torch.zeros(1))

    def forward(self, inputs, data_samples=None, mode='predict'):
        outputs = []
        for sample in data_samples:
            gt = sample.gt_img.float()
            out = DataSample(gt_img=gt)
            out.output = DataSample(pred_img=gt.clone(), coarse_img=gt.clone())
            outputs.append(out)
        return outputs


def test_result_keys_are_unique_and_name_images_and_protocol(fragment):
    expected = {
        f'{prefix}/{name}'
        for prefix in ('final', 'coarse')
        for name in ('SSIM', 'SSIM-padded', 'LPIPS', 'FID', 'IS', 'IS-padded',
                     'MS-SSIM', 'GMSD', 'HaarPSI')
    }
    names = []
    for cfg in fragment.test_evaluator.metrics:
        name = {
            'SSIM': 'SSIM',
            'PaddedSSIM': 'SSIM-padded',
            'LPIPS': 'LPIPS',
            'PoseTransferFID': 'FID',
            'PoseTransferIS': 'IS-padded' if cfg.get('pad_to_square') else 'IS',
            'PairedMSSSIM': 'MS-SSIM',
            'GMSD': 'GMSD',
            'HaarPSI': 'HaarPSI',
        }[cfg.type]
        key = cfg.get('pred_key', cfg.get('fake_key'))
        assert key == {'final': 'pred_img', 'coarse': 'coarse_img'}[cfg.prefix]
        names.append(f'{cfg.prefix}/{name}')
    assert sorted(names) == sorted(expected)


def test_test_evaluator_builds_and_shares_one_data_pass(
        fragment, all_weights_cached):
    evaluator = EVALUATORS.build(fragment.test_evaluator.to_dict())
    assert isinstance(evaluator, Evaluator)
    assert len(evaluator.metrics) == 18
    hashes = {evaluator._cal_metric_hash(m) for m in evaluator.metrics}
    assert len(hashes) == 1  # the model runs over the data once


def test_val_evaluator_runs_in_multi_test_loop_and_is_reported(
        fragment, all_weights_cached, tmp_path):
    runner = Runner(
        model=EchoModel(),
        work_dir=str(tmp_path),
        test_dataloader=dict(
            dataset=TinyPairs(2),
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=2,
            collate_fn=dict(type='pseudo_collate')),
        test_cfg=dict(type='MultiTestLoop'),
        test_evaluator=fragment.val_evaluator.to_dict(),
        default_scope='mmagic',
        cfg=dict(test_evaluator=fragment.val_evaluator.to_dict()))
    metrics = run_test_with_report(runner, checkpoint='echo.pth')
    assert set(metrics) == {
        'final/SSIM', 'final/LPIPS', 'final/FID', 'final/IS', 'final/IS_std'
    }
    assert metrics['final/SSIM'] == pytest.approx(1., abs=1e-6)
    assert metrics['final/LPIPS'] == pytest.approx(0., abs=1e-6)
    assert abs(metrics['final/FID']) < 1e-6
    assert 1. <= metrics['final/IS'] <= 2.
    written = json.loads((tmp_path / 'test_results.json').read_text())
    # A copy in the run's own folder: a later test in this work dir keeps it.
    assert json.loads((tmp_path / runner.timestamp /
                       'test_results.json').read_text()) == written
    assert written['metrics'] == pytest.approx(metrics)
    assert written['table']['final']['SSIM'] == metrics['final/SSIM']
    assert written['meta']['checkpoint'] == 'echo.pth'
    assert [m['type'] for m in written['meta']['evaluator']['metrics']
            ] == ['SSIM', 'LPIPS', 'PoseTransferFID', 'PoseTransferIS']
