"""FID and IS for pose transfer, on top of MMagic's ``TransFID`` / ``TransIS``.

What these add to MMagic's classes (everything else, the Inception
preprocessing and the IS computation, is MMagic's code):

- they read the generated image from ``sample['output'][fake_key]`` (our
  ``val_step`` / ``test_step`` contract, docs/architecture.md); MMagic's look
  only at the top level of a sample;
- Inception weights come from local files or the standard caches, with a clear
  error instead of a download (:mod:`ratenet_plugin.evaluation.weights`);
- FID's reference set is stated: by default the ground truth of the evaluated
  pairs, taken in the same pass, so there is no hash-keyed feature cache in
  ``~/.cache/openmmlab/mmagic`` to go stale; or fixed statistics from a file;
- ``fake_nums=-1`` means "every sample of the evaluation set", checked
  against the data set in :meth:`prepare` rather than failing at the end;
- results are gathered across ranks in sampler order, each sample once;
- they share the data pass with ``SSIM`` / ``LPIPS`` (see ``__init__``).
"""
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
from mmagic.evaluation.metrics.fid import TransFID
from mmagic.evaluation.metrics.inception_score import TransIS
from mmengine.dist import broadcast_object_list, is_main_process
from torch import Tensor
from torch.utils.data import DataLoader

from ratenet_plugin.registry import METRICS
from ratenet_plugin.utils.channel_order import as_rgb
from .functional import (collect_in_order, feature_statistics,
                         fid_from_features, load_fid_stats, pad_to_square)
from .metric_errors import MetricInputError
from .weights import build_fid_inception, build_is_inception


def _sample_image(sample: dict, key: str, *, in_output: bool) -> Tensor:
    """``sample['output'][key]`` (a prediction) or ``sample[key]``, RGB."""
    container = sample.get('output', {}) if in_output else sample
    if key not in container:
        where = "sample['output']" if in_output else 'sample'
        raise KeyError(
            f'{key!r} not in {where}; it has '
            f'{sorted(container)}. val_step/test_step must return '
            'DataSample(gt_img=..., output=DataSample(pred_img=...))'
            ' (docs/architecture.md)')
    return as_rgb(container[key], sample)


def _resolve_sample_count(metric, requested: int, available: int) -> int:
    if requested == -1:
        return available
    if not 0 < requested <= available:
        raise MetricInputError(
            f'{type(metric).__name__} (prefix {metric.prefix!r}): fake_nums='
            f'{requested} but the evaluation set has {available} samples; use '
            'fake_nums=-1 for all of them')
    return requested


@METRICS.register_module()
class PoseTransferFID(TransFID):
    """FID of generated images against a stated reference set.

    Reference set: with ``real_stats=None``, the ground-truth images
    (``real_key``) of the same evaluated samples, one per pair, so fake and
    real sets have the same size and the pairs' pose distribution; on the
    PATN test split that is the 8,570 targets of the test pairs (an image
    that is the target of several pairs counts several times). With
    ``real_stats='x.npz'``, fixed statistics (pytorch-fid's ``mu``/``sigma``),
    e.g. of the training images, written by ``tools/score_folder.py``.

    Args:
        fake_nums (int): Samples to use; -1 = the whole evaluation set.
        fake_key (str): Key of the generated image in the sample's ``output``.
        real_key (str): Key of the ground truth in the sample.
        real_stats (str, optional): ``.npz`` with reference ``mu``/``sigma``;
            ``None`` = the evaluated ground truth.
        inception_style (str): ``'PyTorch'``: MMagic's pytorch-fid Inception
            (``pt_inception-2015-12-05-6726825d.pth``); ``'StyleGAN'``:
            TorchScript ``inception-2015-12-05.pt``.
        inception_path (str, optional): The Inception file; ``None`` = the
            standard cache (docs/evaluation.md).
        collect_device (str): ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): Prefix of the result key (``<prefix>/FID``).

    Metrics:
        - FID (float): Fréchet Inception distance, pool3 (2048-d) features.
    """

    metric = 'FID'

    def __init__(self,
                 fake_nums: int = -1,
                 *,
                 fake_key: str = 'pred_img',
                 real_key: str = 'gt_img',
                 real_stats: Optional[str] = None,
                 inception_style: str = 'PyTorch',
                 inception_path: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(
            fake_nums=fake_nums,
            real_nums=fake_nums,
            inception_style=inception_style,
            inception_path=inception_path,
            inception_pkl=None,
            fake_key=fake_key,
            real_key=real_key,
            sample_model='orig',
            collect_device=collect_device,
            prefix=prefix)
        # MMagic's Evaluator groups metrics into data passes by SAMPLER_MODE,
        # sample_model and, if present, need_cond_input; SSIM/LPIPS lack the
        # latter, so keeping it would run the model over the data twice.
        # TransFID never reads it (its sampler is the dataloader itself).
        del self.need_cond_input
        self.requested_nums = fake_nums
        self.real_stats = real_stats
        self.reference: Optional[Tuple[np.ndarray, np.ndarray]] = (
            load_fid_stats(real_stats) if real_stats else None)

    def _load_inception(
            self, inception_style: str,
            inception_path: Optional[str]) -> Tuple[nn.Module, str]:
        return build_fid_inception(inception_style, inception_path)

    def prepare(self, module: nn.Module, dataloader: DataLoader) -> None:
        """Move Inception to the model's device and fix the sample count."""
        self.prepare_for(
            len(dataloader.dataset), module.data_preprocessor.device)

    def prepare_for(self, num_samples: int, device) -> None:
        """Use ``fake_nums`` of ``num_samples`` samples, Inception on
        ``device``."""
        self.fake_nums = _resolve_sample_count(self, self.requested_nums,
                                               num_samples)
        self.real_nums = self.fake_nums
        self.device = device
        self.inception.to(device)

    @torch.no_grad()
    def inception_features(self, images: Tensor) -> Tensor:
        """Pool3 features of (N, 3, H, W) RGB images in [0, 255], on CPU."""
        # MMagic's forward_inception expects BGR and flips it to RGB.
        return self.forward_inception(images[:, [2, 1, 0]].float()).cpu()

    def process(self, data_batch: Optional[dict],
                data_samples: Sequence[dict]) -> None:
        """Add Inception features of the generated (and real) images."""
        if len(self.fake_results) >= self.fake_nums_per_device:
            return
        fakes = [
            _sample_image(s, self.fake_key, in_output=True)
            for s in data_samples
        ]
        self.fake_results += self.features_of(fakes)
        if self.reference is None:
            reals = [
                _sample_image(s, self.real_key, in_output=False)
                for s in data_samples
            ]
            self.real_results += self.features_of(reals)

    def features_of(self, images: List[Tensor]) -> List[Tensor]:
        """One (1, 2048) CPU feature per (3, H, W) RGB image in [0, 255]."""
        if all(img.shape == images[0].shape for img in images):
            feats = self.inception_features(torch.stack(images))
        else:
            feats = torch.cat(
                [self.inception_features(img[None]) for img in images])
        return list(torch.split(feats, 1))

    def compute_metrics(self,
                        fake_results: List[Tensor],
                        real_results: Optional[List[Tensor]] = None) -> dict:
        """FID of the gathered fake features against the reference."""
        if self.reference is not None:
            real_mu, real_sigma = self.reference
        else:
            real_mu, real_sigma = feature_statistics(torch.cat(real_results))
        return {
            self.metric:
            fid_from_features(torch.cat(fake_results), real_mu, real_sigma)
        }

    def evaluate(self) -> dict:
        """Gather features of all ranks (each sample once) and compute FID."""
        fakes = collect_in_order(self.fake_results, self.fake_nums,
                                 self.collect_device)
        reals = None
        if self.reference is None:
            reals = collect_in_order(self.real_results, self.fake_nums,
                                     self.collect_device)
        metrics = [None]
        if is_main_process():
            result = self.compute_metrics(fakes, reals)
            if self.prefix:
                result = {f'{self.prefix}/{k}': v for k, v in result.items()}
            metrics = [result]
        broadcast_object_list(metrics)
        self.fake_results.clear()
        self.real_results.clear()
        return metrics[0]


@METRICS.register_module()
class PoseTransferIS(TransIS):
    """Inception Score of generated images, optionally PATN-padded.

    MMagic's IS (PIL bicubic resize to 299, softmax, mean over ``splits``
    groups of exp(mean KL)) on ``sample['output'][fake_key]``. With
    ``pad_to_square=True`` each image is first padded with white to a square
    (PATN's protocol, 176x256 -> 256x256) and the result is named
    ``IS-padded``.

    Args:
        fake_nums (int): Samples to use; -1 = the whole evaluation set.
        fake_key (str): Key of the generated image in the sample's ``output``.
        splits (int): Number of groups (PATN: 10); needs
            ``splits <= fake_nums``.
        pad_to_square (bool): Pad with white to a square first (PATN).
        inception_style (str): ``'PyTorch'``: torchvision Inception-v3
            (``inception_v3_google-0cc3c7bd.pth``); ``'StyleGAN'``: the
            TorchScript TF Inception (``inception-2015-12-05.pt``), closer to
            the TF Inception of PATN's IS.
        inception_path (str, optional): The Inception file; ``None`` = the
            standard cache (docs/evaluation.md).
        resize_method (str): PIL resampling to 299x299.
        collect_device (str): ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): Prefix of the result keys
            (``<prefix>/IS``, ``<prefix>/IS_std``).

    Metrics:
        - IS / IS-padded (float): mean over the splits.
        - IS_std / IS-padded_std (float): standard deviation over the splits.
    """

    def __init__(self,
                 fake_nums: int = -1,
                 *,
                 fake_key: str = 'pred_img',
                 splits: int = 10,
                 pad_to_square: bool = False,
                 inception_style: str = 'PyTorch',
                 inception_path: Optional[str] = None,
                 resize_method: str = 'bicubic',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(
            fake_nums=fake_nums,
            resize=True,
            splits=splits,
            inception_style=inception_style,
            inception_path=inception_path,
            resize_method=resize_method,
            use_pillow_resize=True,
            fake_key=fake_key,
            sample_model='orig',
            collect_device=collect_device,
            prefix=prefix)
        # See PoseTransferFID: share the data pass with SSIM/LPIPS.
        del self.need_cond_input
        self.requested_nums = fake_nums
        self.pad_to_square = pad_to_square
        self.metric = 'IS-padded' if pad_to_square else 'IS'

    def _load_inception(
            self, inception_style: str,
            inception_path: Optional[str]) -> Tuple[nn.Module, str]:
        return build_is_inception(inception_style, inception_path)

    def prepare(self, module: nn.Module, dataloader: DataLoader) -> None:
        """Move Inception to the model's device and fix the sample count."""
        self.prepare_for(
            len(dataloader.dataset), module.data_preprocessor.device)

    def prepare_for(self, num_samples: int, device) -> None:
        """Use ``fake_nums`` of ``num_samples`` samples, Inception on
        ``device``."""
        self.fake_nums = _resolve_sample_count(self, self.requested_nums,
                                               num_samples)
        if self.splits > self.fake_nums:
            raise MetricInputError(
                f'PoseTransferIS (prefix {self.prefix!r}): splits='
                f'{self.splits} needs at least as many images, got '
                f'{self.fake_nums}; lower `splits` for a small set')
        self.device = device
        self.inception.to(device)

    def process(self, data_batch: Optional[dict],
                data_samples: Sequence[dict]) -> None:
        """Add Inception class probabilities of the generated images."""
        if len(self.fake_results) >= self.fake_nums_per_device:
            return
        fakes = torch.stack([
            _sample_image(s, self.fake_key, in_output=True)
            for s in data_samples
        ]).float()
        if self.pad_to_square:
            fakes = pad_to_square(fakes)
        # MMagic's IS reads `fake_img` and expects BGR, which it flips to RGB.
        with torch.no_grad():
            super().process(data_batch,
                            [dict(fake_img=img[[2, 1, 0]]) for img in fakes])

    def _collect_target_results(self, target: str) -> Optional[list]:
        return collect_in_order(
            getattr(self, f'{target}_results'), self.fake_nums,
            self.collect_device)

    def compute_metrics(self, fake_results: list) -> dict:
        """MMagic's IS over the gathered probabilities, named by protocol."""
        # float64: in float32 the mean of a tiny and a zero probability can
        # underflow to 0, and MMagic's KL then returns inf.
        result = super().compute_metrics([r.double() for r in fake_results])
        return {
            self.metric: result['is'],
            f'{self.metric}_std': result['is_std']
        }
