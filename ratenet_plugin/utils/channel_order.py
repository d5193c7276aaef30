"""The channel order of generated samples: which images are BGR, and
turning them into RGB pictures.

Models state the order of the images they hand to metrics and hooks in the
sample's metainfo ``channel_order`` (RATENet: ``'RGB'``, or ``'BGR'`` with
``eval_channel_order='BGR'`` for MMagic's TransFID/TransIS). Metrics, grids
and the inferencer read it here, so a BGR sample is never shown or scored
with red and blue swapped.
"""
import numpy as np
import torch
from torch import Tensor


def as_rgb(image: Tensor, sample: dict) -> Tensor:
    """``image`` (..., 3, H, W) in RGB, by the order the sample says.

    ``channel_order`` in its metainfo decides (RATENet: ``'RGB'``, or
    ``'BGR'`` with ``eval_channel_order='BGR'`` for MMagic's TransFID/TransIS;
    PosePix2Pix: ``'RGB'``). Without it, a sample of MMagic's own editors is
    BGR: their ``DataPreprocessor`` tags samples ``<key>_output_channel_order``
    and its ``destruct`` hands evaluators BGR images, the order MMagic's
    metrics assume. Any other sample is RGB, the contract's default.
    """
    order = sample.get('channel_order')
    if order is None:
        keys = sample.all_keys() if hasattr(sample, 'all_keys') else sample
        tagged = any(
            str(key).endswith('_output_channel_order') for key in keys)
        order = 'BGR' if tagged else 'RGB'
    order = str(order).upper()
    if order not in ('RGB', 'BGR'):
        raise ValueError(f'unknown channel_order {order!r} in a data sample')
    return image.flip(-3) if order == 'BGR' else image


def to_hwc_uint8(image: Tensor) -> np.ndarray:
    """(3, H, W) float in [0, 255] -> (H, W, 3) uint8, channels as given."""
    return image.detach().float().cpu().clamp(0, 255).round().byte().permute(
        1, 2, 0).numpy()


def rgb_uint8(image: Tensor, sample: dict) -> np.ndarray:
    """A sample's image (3, H, W) float in [0, 255], in the channel order
    the sample states (:func:`as_rgb`) -> (H, W, 3) uint8 RGB."""
    return to_hwc_uint8(as_rgb(torch.as_tensor(image), sample))
