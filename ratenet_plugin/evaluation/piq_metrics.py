"""Full-reference perceptual metrics that need no pretrained weights (piq).

LPIPS and FID need ImageNet weights; these hand-crafted metrics need none, so
they run on any machine and on the small demo images. They come from ``piq``
(PyTorch Image Quality, pinned in requirements/runtime.txt), a maintained
collection whose implementations follow the original papers' reference code:

- ``PairedMSSSIM`` (MS-SSIM, Wang et al. 2003), higher is better, in [0, 1]:
  SSIM's contrast and structure terms over a pyramid of scales. MMagic's own
  ``MS_SSIM`` measures the diversity of generated samples against each other,
  not generated against ground truth, hence the name.
- ``GMSD`` (gradient magnitude similarity deviation, Xue et al. 2014), lower is
  better, 0 for identical images: how unevenly the gradient magnitudes of the
  two images agree across the image; sensitive to blur and lost edges.
- ``HaarPSI`` (Reisenhofer et al. 2018), higher is better, in [0, 1]: local
  similarity of Haar wavelet coefficients weighted by their saliency; among
  the hand-crafted metrics it correlates best with human judgement on the
  usual IQA benchmarks (the paper's Table 2).

All read ``output[pred_key]`` against ``gt_key`` like MMagic's ``SSIM``: (3, H,
W) RGB in [0, 255], flipped first if the sample's metainfo says
``channel_order='BGR'``; one result per sample; the key is the mean.
"""
from typing import List, Optional, Sequence

import piq
import torch
from mmagic.evaluation.metrics.base_sample_wise_metric import \
    BaseSampleWiseMetric
from mmagic.evaluation.metrics.metrics_utils import obtain_data
from torch import Tensor

from ratenet_plugin.registry import METRICS
from ratenet_plugin.utils.channel_order import as_rgb
from .metric_errors import MetricInputError

# piq's MS-SSIM weights of the five scales (Wang et al. 2003).
MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


class _PairedPiqMetric(BaseSampleWiseMetric):
    """One piq full-reference score per (gt, pred) sample; the mean. MMagic's
    sample-wise base gives the evaluator's ``prepare``/sampler interface."""

    metric = 'piq'

    def __init__(self,
                 gt_key: str = 'gt_img',
                 pred_key: str = 'pred_img',
                 *,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(
            gt_key=gt_key,
            pred_key=pred_key,
            collect_device=collect_device,
            prefix=prefix)

    def score(self, gt: Tensor, pred: Tensor) -> Tensor:
        """(N,) scores of (N, 3, H, W) images in [0, 255]."""
        raise NotImplementedError

    def process(self, data_batch: Optional[dict],
                data_samples: Sequence[dict]) -> None:
        """Append one ``{metric: value}`` per sample to ``self.results``."""
        for sample in data_samples:
            gt = as_rgb(obtain_data(sample, self.gt_key), sample)
            pred = as_rgb(obtain_data(sample['output'], self.pred_key),
                          sample)
            if gt.shape != pred.shape:
                raise ValueError(
                    f'{self.metric} needs images of one shape, got gt '
                    f'{tuple(gt.shape)} and pred {tuple(pred.shape)}')
            with torch.no_grad():
                value = self.score(gt.float().clamp(0, 255)[None],
                                   pred.float().clamp(0, 255)[None])
            self.results.append({self.metric: float(value[0])})

    def compute_metrics(self, results: List[dict]) -> dict:
        """Mean over ``results`` (one entry per sample)."""
        return {
            self.metric: sum(r[self.metric] for r in results) / len(results)
        }


@METRICS.register_module()
class PairedMSSSIM(_PairedPiqMetric):
    """MS-SSIM of generated against ground-truth images (``piq``).

    Args:
        gt_key (str): Key of the ground truth in a data sample.
        pred_key (str): Key of the prediction in the sample's ``output``.
        num_scales (int, optional): Scales of the pyramid, 1-5; the first
            ``num_scales`` of the five standard weights, renormalised. The
            smaller image side must be at least
            ``(kernel_size - 1) * 2 ** (num_scales - 1) + 1`` (5 scales with
            the 11-px window need 161 px: 256x176 images; 64x44 images take
            3). None: as many as the images allow (at most 5; numbers are
            then comparable only between images of one size).
        kernel_size (int): Gaussian window size (odd). Defaults to 11.
        kernel_sigma (float): Gaussian window sigma. Defaults to 1.5.
        collect_device (str): ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): Prefix of the result key.

    Metrics:
        - MS-SSIM (float): mean over samples, higher is better.
    """

    metric = 'MS-SSIM'

    def __init__(self,
                 gt_key: str = 'gt_img',
                 pred_key: str = 'pred_img',
                 *,
                 num_scales: Optional[int] = 5,
                 kernel_size: int = 11,
                 kernel_sigma: float = 1.5,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(
            gt_key, pred_key, collect_device=collect_device, prefix=prefix)
        if num_scales is not None and not 1 <= num_scales <= len(
                MS_SSIM_WEIGHTS):
            raise ValueError(f'num_scales must be in [1, 5] or None, got '
                             f'{num_scales}')
        self.num_scales = num_scales
        self.kernel_size = kernel_size
        self.kernel_sigma = kernel_sigma

    def min_side(self, num_scales: int) -> int:
        """Smallest image side MS-SSIM accepts with ``num_scales``."""
        return (self.kernel_size - 1) * 2**(num_scales - 1) + 1

    def score(self, gt: Tensor, pred: Tensor) -> Tensor:
        side = min(gt.shape[-2:])
        num_scales = self.num_scales
        if num_scales is None:
            num_scales = max([
                n for n in range(1, len(MS_SSIM_WEIGHTS) + 1)
                if self.min_side(n) <= side
            ], default=1)
        if side < self.min_side(num_scales):
            raise MetricInputError(
                f'MS-SSIM with {num_scales} scales and a '
                f'{self.kernel_size}-px window needs images of at least '
                f'{self.min_side(num_scales)} px per side, got '
                f'{tuple(gt.shape[-2:])}; lower num_scales or kernel_size in '
                'the metric config, or set num_scales=None')
        weights = torch.tensor(MS_SSIM_WEIGHTS[:num_scales])
        return piq.multi_scale_ssim(
            pred, gt,
            kernel_size=self.kernel_size,
            kernel_sigma=self.kernel_sigma,
            data_range=255.,
            reduction='none',
            scale_weights=(weights / weights.sum()).to(gt.device))


@METRICS.register_module()
class GMSD(_PairedPiqMetric):
    """Gradient Magnitude Similarity Deviation (``piq.gmsd``), lower is
    better; 0 for identical images. Computed on luminance after piq's 2x
    average-pooling, as in the paper.

    Args:
        gt_key (str): Key of the ground truth in a data sample.
        pred_key (str): Key of the prediction in the sample's ``output``.
        collect_device (str): ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): Prefix of the result key.

    Metrics:
        - GMSD (float): mean over samples.
    """

    metric = 'GMSD'

    def score(self, gt: Tensor, pred: Tensor) -> Tensor:
        return piq.gmsd(pred, gt, data_range=255., reduction='none')


@METRICS.register_module()
class HaarPSI(_PairedPiqMetric):
    """Haar wavelet-based perceptual similarity (``piq.haarpsi``), higher is
    better, in [0, 1].

    Args:
        gt_key (str): Key of the ground truth in a data sample.
        pred_key (str): Key of the prediction in the sample's ``output``.
        scales (int): Haar wavelet scales (the paper's 3). The images must
            be at least ``2 ** (scales + 1)`` px per side (16 for 3).
        subsample (bool): Halve the images first, as the paper does.
        collect_device (str): ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): Prefix of the result key.

    Metrics:
        - HaarPSI (float): mean over samples.
    """

    metric = 'HaarPSI'

    def __init__(self,
                 gt_key: str = 'gt_img',
                 pred_key: str = 'pred_img',
                 *,
                 scales: int = 3,
                 subsample: bool = True,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(
            gt_key, pred_key, collect_device=collect_device, prefix=prefix)
        self.scales = scales
        self.subsample = subsample

    def score(self, gt: Tensor, pred: Tensor) -> Tensor:
        return piq.haarpsi(
            pred, gt,
            data_range=255.,
            reduction='none',
            scales=self.scales,
            subsample=self.subsample)
