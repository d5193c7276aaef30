"""Helpers for tests/evaluation: images and samples as metrics see them."""
from typing import List, Optional

import torch
from mmagic.structures import DataSample
from torch import Tensor


def random_images(num: int,
                  height: int = 32,
                  width: int = 22,
                  seed: int = 0) -> Tensor:
    """(num, 3, H, W) float RGB in [0, 255] with some smooth structure."""
    generator = torch.Generator().manual_seed(seed)
    coarse = torch.rand(num, 3, height // 4, width // 2, generator=generator)
    smooth = torch.nn.functional.interpolate(
        coarse, size=(height, width), mode='bilinear', align_corners=False)
    noise = torch.rand(num, 3, height, width, generator=generator)
    return (0.8 * smooth + 0.2 * noise) * 255


def as_samples(gts: Tensor,
               preds: Tensor,
               coarse: Optional[Tensor] = None) -> List[dict]:
    """What MMagic's Evaluator passes to metrics for our val/test_step
    outputs: ``DataSample(gt_img, output=DataSample(pred_img, coarse_img))``
    turned into dicts."""
    samples = []
    for index, (gt, pred) in enumerate(zip(gts, preds)):
        sample = DataSample(gt_img=gt.clone())
        output = DataSample(pred_img=pred.clone())
        if coarse is not None:
            output.coarse_img = coarse[index].clone()
        sample.output = output
        samples.append(sample.to_dict())
    return samples


def run_metric(metric,
               gts: Tensor,
               preds: Tensor,
               batch_size: int = 4,
               **kwargs) -> dict:
    """Feed a metric batch by batch as the loop does, then evaluate it."""
    samples = as_samples(gts, preds, **kwargs)
    if hasattr(metric, 'prepare_for'):
        metric.prepare_for(len(samples), 'cpu')
    else:
        metric.size = len(samples)
    for start in range(0, len(samples), batch_size):
        metric.process(None, samples[start:start + batch_size])
    return metric.evaluate()
