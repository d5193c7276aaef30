"""Garment fidelity on the synthetic set: colour and texture per garment.

SSIM and L1 average over the whole image, where background and skin dominate;
they barely notice a red top that comes out purple, or stripes that come out
plain. The synthetic generator knows which pixels of each ground truth are the
upper and the lower garment (``ratenet_plugin/fileio/garment_labels.py``), so
inside each garment of the ground truth this module compares:

- **colour**: the Euclidean distance between the mean RGB colour of the
  generated and the ground-truth pixels, in 8-bit units (0 = same mean colour;
  swapping red and blue of a saturated garment gives ~100-200);
- **texture**: the mean absolute log ratio of local band energies: each image
  is filtered per RGB channel with a bank of quadrature Gabor pairs (4
  orientations, periods given as fractions of the image height, covering the
  synthetic textures' 2-7 %), and the energy ``even^2 + odd^2``, summed over
  the channels (so that recolouring alone changes it little), is averaged
  over the garment. This is a sampled local power spectrum: it is
  phase-invariant (stripes shifted by half a period score 0), drops for a
  blurred or a flattened garment, and rises for spurious texture. Before
  filtering, pixels outside the garment are set to the garment's mean colour
  of that image, so the garment's outline does not count as texture.

Both use the garment's interior: its mask eroded by one pixel (the
anti-aliased outline mixes garment and surroundings), or the whole mask where
the interior has too few pixels (thin sleeves of small images).

Both are 0 for the ground truth itself and grow with the error.
"""
import math
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from mmagic.evaluation.metrics.base_sample_wise_metric import \
    BaseSampleWiseMetric
from mmagic.evaluation.metrics.metrics_utils import obtain_data
from torch import Tensor

from ratenet_plugin.fileio.garment_labels import LOWER, UPPER, read_labels
from ratenet_plugin.registry import METRICS
from ratenet_plugin.utils.channel_order import as_rgb
from .metric_errors import MetricInputError

GARMENTS = {'upper': UPPER, 'lower': LOWER}
# Periods of the filter bank as fractions of the image height; the synthetic
# textures have periods of 2-7 % of the height.
DEFAULT_PERIODS = (0.03, 0.05, 0.08)
NUM_ORIENTATIONS = 4
# Energy floor (8-bit units squared) of the log ratio: band energies below
# an amplitude of about 2 grey levels count as "no texture".
ENERGY_FLOOR = 4.0


def gabor_bank(periods_px: Sequence[float],
               num_orientations: int = NUM_ORIENTATIONS) -> Tensor:
    """Quadrature Gabor filters, even and odd interleaved.

    Args:
        periods_px (Sequence[float]): Wavelengths in pixels (>= 2).
        num_orientations (int): Orientations evenly spaced over 180 degrees.

    Returns:
        Tensor: (2 * len(periods_px) * num_orientations, 1, K, K) float32,
        K odd (the largest filter's support; smaller ones are zero-padded);
        even filters have zero mean, each filter has unit L2 norm.
    """
    sigmas = [0.56 * p for p in periods_px]  # about one octave of bandwidth
    half = int(math.ceil(2.5 * max(sigmas)))
    ys, xs = torch.meshgrid(
        torch.arange(-half, half + 1, dtype=torch.float64),
        torch.arange(-half, half + 1, dtype=torch.float64),
        indexing='ij')
    filters = []
    for period, sigma in zip(periods_px, sigmas):
        envelope = torch.exp(-(xs**2 + ys**2) / (2 * sigma**2))
        for k in range(num_orientations):
            theta = math.pi * k / num_orientations
            u = xs * math.cos(theta) + ys * math.sin(theta)
            even = envelope * torch.cos(2 * math.pi * u / period)
            even = even - envelope * even.sum() / envelope.sum()
            odd = envelope * torch.sin(2 * math.pi * u / period)
            filters += [even / even.norm(), odd / odd.norm()]
    return torch.stack(filters)[:, None].float()


def _fill_outside(image: Tensor, mask: Tensor) -> Tensor:
    """``image`` (3, H, W) with pixels outside ``mask`` (H, W) bool set to
    the mean colour inside it."""
    mean = image[:, mask].mean(dim=1)
    return torch.where(mask, image, mean[:, None, None])


def band_energies(image: Tensor, mask: Tensor, bank: Tensor) -> Tensor:
    """Mean quadrature energy of each channel and filter inside ``mask``.

    Args:
        image (Tensor): (3, H, W) float in [0, 255].
        mask (Tensor): (H, W) bool, not empty.
        bank (Tensor): (2F, 1, K, K) from :func:`gabor_bank`.

    Returns:
        Tensor: (F,) energies summed over the channels, in 8-bit units
        squared.
    """
    filled = _fill_outside(image.float(), mask)
    pad = bank.shape[-1] // 2
    padded = F.pad(filled[:, None], (pad, pad, pad, pad), mode='replicate')
    responses = F.conv2d(padded, bank.to(image.device))  # (3, 2F, H, W)
    energy = responses[:, 0::2]**2 + responses[:, 1::2]**2  # (3, F, H, W)
    return energy[:, :, mask].mean(dim=-1).sum(dim=0)


def interior(mask: Tensor, min_pixels: int) -> Tensor:
    """``mask`` (H, W) bool eroded by one pixel (3x3), or ``mask`` itself if
    fewer than ``min_pixels`` remain."""
    inner = -F.max_pool2d(-mask[None, None].float(), 3, stride=1,
                          padding=1)[0, 0] > 0.5
    return inner if int(inner.sum()) >= min_pixels else mask


def garment_errors(gt: Tensor,
                   pred: Tensor,
                   labels: np.ndarray,
                   periods: Sequence[float] = DEFAULT_PERIODS,
                   min_pixels: int = 8) -> Dict[str, float]:
    """Colour error and texture distance of ``pred`` in each garment of ``gt``.

    Args:
        gt (Tensor): (3, H, W) RGB in [0, 255], the ground truth.
        pred (Tensor): (3, H, W) RGB in [0, 255], the generated image.
        labels (np.ndarray): (H, W) garment labels of ``gt``.
        periods (Sequence[float]): Filter periods as fractions of H.
        min_pixels (int): A garment with fewer pixels is skipped.

    Returns:
        dict: ``colour_<garment>`` and ``texture_<garment>`` for each garment
        (``upper``, ``lower``) with at least ``min_pixels`` pixels.
    """
    if gt.shape != pred.shape or tuple(gt.shape[-2:]) != labels.shape:
        raise ValueError(
            f'gt {tuple(gt.shape)}, pred {tuple(pred.shape)} and labels '
            f'{labels.shape} must have one size (H, W)')
    height = gt.shape[-2]
    bank = gabor_bank([max(2.0, f * height) for f in periods])
    gt, pred = gt.float().clamp(0, 255), pred.float().clamp(0, 255)
    errors = {}
    for name, value in GARMENTS.items():
        mask = torch.from_numpy(labels == value).to(gt.device)
        if int(mask.sum()) < min_pixels:
            continue
        mask = interior(mask, min_pixels)
        errors[f'colour_{name}'] = float(
            (gt[:, mask].mean(dim=1) - pred[:, mask].mean(dim=1)).norm())
        energy_gt = band_energies(gt, mask, bank)
        energy_pred = band_energies(pred, mask, bank)
        errors[f'texture_{name}'] = float(
            (torch.log(energy_pred + ENERGY_FLOOR) -
             torch.log(energy_gt + ENERGY_FLOOR)).abs().mean())
    return errors


@METRICS.register_module()
class GarmentFidelity(BaseSampleWiseMetric):
    """Colour error and texture distance inside the ground truth's garments.

    Needs the garment label image of each target (written by the synthetic
    generator; read through the sample's ``tgt_img_path``), so it applies to
    the synthetic set only. Reads ``output[pred_key]`` against ``gt_key``,
    both (3, H, W) in [0, 255], like MMagic's ``SSIM``. See the module
    docstring for the definitions.

    Args:
        gt_key (str): Key of the ground truth in a data sample.
        pred_key (str): Key of the prediction in the sample's ``output``.
        periods (Sequence[float]): Filter periods as fractions of the image
            height.
        collect_device (str): ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): Prefix of the result keys.

    Metrics (lower is better, 0 for the ground truth itself):
        - garment_colour: mean over samples and garments of the mean-colour
          distance (8-bit RGB units).
        - garment_texture: the same for the texture distance.
        - garment_colour_upper / _lower, garment_texture_upper / _lower:
          per garment.
    """

    metric = 'garment_colour'

    def __init__(self,
                 gt_key: str = 'gt_img',
                 pred_key: str = 'pred_img',
                 *,
                 periods: Sequence[float] = DEFAULT_PERIODS,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(
            gt_key=gt_key,
            pred_key=pred_key,
            collect_device=collect_device,
            prefix=prefix)
        self.periods = tuple(periods)

    def process(self, data_batch: Optional[dict],
                data_samples: Sequence[dict]) -> None:
        """Append the per-garment errors of each sample to ``results``."""
        for sample in data_samples:
            gt = as_rgb(obtain_data(sample, self.gt_key), sample)
            pred = as_rgb(obtain_data(sample['output'], self.pred_key),
                          sample)
            if 'tgt_img_path' not in sample:
                raise MetricInputError(
                    'GarmentFidelity needs the target image path '
                    '(tgt_img_path) in the data samples\' metainfo, to read '
                    'its garment labels (synthetic set only): '
                    'PackPoseInputs packs it; with MMagic\'s PackInputs add '
                    "meta_keys=['tgt_img_path']")
            labels = read_labels(sample['tgt_img_path'])
            self.results.append(
                garment_errors(gt, pred, labels, self.periods))

    def compute_metrics(self, results: List[dict]) -> dict:
        """Means over samples, per garment and over both garments."""
        metrics = {}
        for kind in ('colour', 'texture'):
            values: List[float] = []
            for name in GARMENTS:
                per_garment = [
                    r[f'{kind}_{name}'] for r in results
                    if f'{kind}_{name}' in r
                ]
                values += per_garment
                metrics[f'garment_{kind}_{name}'] = _mean(per_garment)
            metrics[f'garment_{kind}'] = _mean(values)
        return metrics


def _mean(values: List[float]) -> float:
    return float(np.mean(values)) if values else float('nan')
