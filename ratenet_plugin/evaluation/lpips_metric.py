"""LPIPS (Zhang et al., 2018) as an MMagic sample-wise metric."""
from typing import List, Optional, Sequence

import torch
import torch.nn as nn
from mmagic.evaluation.metrics.base_sample_wise_metric import \
    BaseSampleWiseMetric
from mmagic.evaluation.metrics.metrics_utils import obtain_data
from torch import Tensor
from torch.utils.data import DataLoader

from ratenet_plugin.registry import METRICS
from ratenet_plugin.utils.channel_order import as_rgb
from .metric_errors import MetricInputError
from .weights import build_lpips

# Smallest input each backbone's pooling chain maps to a non-empty feature map.
MIN_IMAGE_SIDE = {'alex': 31, 'vgg': 16}


@torch.no_grad()
def lpips_distance(net: nn.Module, gt: Tensor, pred: Tensor) -> Tensor:
    """Per-image LPIPS distance.

    Args:
        net (nn.Module): An ``lpips.LPIPS`` network (see
            :func:`ratenet_plugin.evaluation.weights.build_lpips`).
        gt (Tensor): (N, 3, H, W) RGB in [0, 255].
        pred (Tensor): (N, 3, H, W) RGB in [0, 255].

    Returns:
        Tensor: (N,) distances, 0 for identical images.
    """
    if gt.shape != pred.shape:
        raise ValueError(f'LPIPS needs images of one shape, got gt '
                         f'{tuple(gt.shape)} and pred {tuple(pred.shape)}')
    min_side = MIN_IMAGE_SIDE.get(getattr(net, 'pnet_type', None), 0)
    if min(gt.shape[-2:]) < min_side:
        raise MetricInputError(
            f'LPIPS with the {net.pnet_type} backbone needs images of at '
            f'least {min_side} px per side, got {tuple(gt.shape[-2:])}; use '
            "net='vgg' (>= 16 px) for smaller images")
    gt = gt.float() / 127.5 - 1
    pred = pred.float() / 127.5 - 1
    return net(pred, gt).flatten()


@METRICS.register_module()
class LPIPS(BaseSampleWiseMetric):
    """Learned Perceptual Image Patch Similarity, lower is better.

    Uses the ``lpips`` package (v0.1 linear layers, shipped with the package)
    on a torchvision ImageNet backbone loaded from a local file (see
    docs/evaluation.md); nothing is downloaded. Reads ``output[pred_key]``
    against ``gt_key`` like MMagic's ``SSIM``; both are (3, H, W) in
    [0, 255], RGB unless the sample's metainfo says ``channel_order='BGR'``.
    One result per sample, so MMEngine's collection counts each sample once
    across ranks.

    Args:
        gt_key (str): Key of the ground truth in a data sample.
        pred_key (str): Key of the prediction in the sample's ``output``.
        net (str): Backbone, ``'alex'`` (the field's choice) or ``'vgg'``.
        backbone_path (str, optional): torchvision state dict of the
            backbone; ``None`` = ``$TORCH_HOME/hub/checkpoints/`` (
            ``alexnet-owt-7be5be79.pth`` / ``vgg16-397923af.pth``).
        linear_path (str, optional): LPIPS linear layers; ``None`` = the
            package's ``weights/v0.1/<net>.pth``.
        device (str): Device before :meth:`prepare` moves the network to the
            model's device.
        collect_device (str): ``'cpu'`` or ``'gpu'``, for gathering results
            across ranks.
        prefix (str, optional): Prefix of the result key
            (``<prefix>/LPIPS``).

    Metrics:
        - LPIPS (float): mean distance over the samples.
    """

    metric = 'LPIPS'

    def __init__(self,
                 gt_key: str = 'gt_img',
                 pred_key: str = 'pred_img',
                 *,
                 net: str = 'alex',
                 backbone_path: Optional[str] = None,
                 linear_path: Optional[str] = None,
                 device: str = 'cpu',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(
            gt_key=gt_key,
            pred_key=pred_key,
            mask_key=None,
            device=device,
            collect_device=collect_device,
            prefix=prefix)
        self.net_type = net
        self.lpips_net = build_lpips(net, backbone_path, linear_path)
        self.lpips_net.to(device)

    def prepare(self, module: nn.Module, dataloader: DataLoader) -> None:
        """Record the data set size and move the network to the model's
        device."""
        super().prepare(module, dataloader)
        self.device = self.data_preprocessor.device
        self.lpips_net.to(self.device)

    def process(self, data_batch: Optional[dict],
                data_samples: Sequence[dict]) -> None:
        """Append one ``{'LPIPS': value}`` per sample to ``self.results``."""
        gts = [
            as_rgb(obtain_data(s, self.gt_key, self.device), s)
            for s in data_samples
        ]
        preds = [
            as_rgb(obtain_data(s['output'], self.pred_key, self.device), s)
            for s in data_samples
        ]
        if all(g.shape == gts[0].shape for g in gts + preds):
            distances = lpips_distance(self.lpips_net, torch.stack(gts),
                                       torch.stack(preds))
        else:
            distances = torch.cat([
                lpips_distance(self.lpips_net, g[None], p[None])
                for g, p in zip(gts, preds)
            ])
        self.results.extend({self.metric: float(d)} for d in distances)

    def compute_metrics(self, results: List[dict]) -> dict:
        """Mean LPIPS over ``results`` (one entry per sample)."""
        return {
            self.metric: sum(r[self.metric] for r in results) / len(results)
        }
