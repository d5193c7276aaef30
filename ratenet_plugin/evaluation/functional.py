"""Pure functions shared by the registered metrics and the folder scoring."""
import os.path as osp
from typing import Any, List, Optional, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.dist import collect_results
from torch import Tensor


def pad_to_square(images: Union[Tensor, np.ndarray],
                  fill: float = 255.) -> Tensor:
    """Pad images to a centred square, as PATN's evaluation does.

    PATN pads each 176-wide DeepFashion image with 40 white columns on either
    side to 256x256 before SSIM and IS.

    Args:
        images (Tensor | np.ndarray): (..., C, H, W), values in [0, 255].
        fill (float): Padding value; 255 = white.

    Returns:
        Tensor: (..., C, S, S) with S = max(H, W), the image centred (an odd
        margin puts the extra column right / row bottom).
    """
    images = torch.as_tensor(images)
    height, width = images.shape[-2:]
    size = max(height, width)
    left, top = (size - width) // 2, (size - height) // 2
    return F.pad(
        images, (left, size - width - left, top, size - height - top),
        value=fill)


def feature_statistics(
        features: Union[Tensor, np.ndarray]) -> Tuple[np.ndarray, np.ndarray]:
    """Mean and covariance (float64) of (N, D) features, N >= 2."""
    features = np.asarray(torch.as_tensor(features).double().cpu())
    features = features.reshape(len(features), -1)
    if len(features) < 2:
        raise ValueError(
            f'FID needs at least 2 images per set, got {len(features)}')
    return features.mean(axis=0), np.cov(features, rowvar=False)


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray,
                     sigma2: np.ndarray) -> float:
    """Fréchet distance between Gaussians N(mu1, sigma1) and N(mu2, sigma2).

    ``|mu1 - mu2|^2 + tr(sigma1) + tr(sigma2) - 2 tr((sigma1 sigma2)^1/2)``,
    with ``tr((sigma1 sigma2)^1/2)`` taken as the sum of square roots of the
    eigenvalues of the symmetric ``sigma1^1/2 sigma2 sigma1^1/2`` (the same
    eigenvalues). That is the value ``scipy.linalg.sqrtm`` gives pytorch-fid
    and MMagic, but stays real for the rank-deficient covariances of small
    sets and takes ~1 s instead of ~20 s at 2048-d on 2 CPU cores (one
    2048 x 2048 eigendecomposition).
    """
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    sigma1 = np.atleast_2d(np.asarray(sigma1, np.float64))
    sigma2 = np.atleast_2d(np.asarray(sigma2, np.float64))
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape:
        raise ValueError(
            f'statistics differ in shape: mu {mu1.shape} vs {mu2.shape}, '
            f'sigma {sigma1.shape} vs {sigma2.shape} (different Inception '
            'features?)')
    eigval, eigvec = np.linalg.eigh((sigma1 + sigma1.T) / 2)
    keep = _drop_round_off(eigval) > 0
    # sigma1^1/2 = V_r diag(sqrt(w_r)) V_r^T over the r non-zero eigenvalues;
    # with B = V_r diag(sqrt(w_r)), sigma1^1/2 sigma2 sigma1^1/2 has the
    # non-zero eigenvalues of the r x r matrix B^T sigma2 B (r < set size).
    basis = eigvec[:, keep] * np.sqrt(eigval[keep])
    middle = basis.T @ sigma2 @ basis
    product_eigval = np.linalg.eigvalsh((middle + middle.T) / 2)
    trace_sqrt = np.sqrt(_drop_round_off(product_eigval)).sum()
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) -
                 2 * trace_sqrt)


def fid_from_features(features: Union[Tensor, np.ndarray], mu: np.ndarray,
                      sigma: np.ndarray) -> float:
    """FID of (N, D) features against the reference N(mu, sigma).

    The same value as ``frechet_distance(*feature_statistics(features), mu,
    sigma)``. For N <= D (sets smaller than the 2048 Inception features) the
    trace term comes from the N x N matrix ``Xc sigma Xc^T / (N - 1)``, whose
    eigenvalues are the non-zero ones of ``sigma_f sigma`` (``Xc`` the centred
    features), instead of a D x D eigendecomposition.
    """
    features = np.asarray(torch.as_tensor(features).double().cpu())
    features = features.reshape(len(features), -1)
    num, dim = features.shape
    if num < 2:
        raise ValueError(f'FID needs at least 2 images per set, got {num}')
    if num > dim:
        return frechet_distance(*feature_statistics(features), mu, sigma)
    mu, sigma = np.asarray(mu, np.float64), np.asarray(sigma, np.float64)
    if mu.shape != (dim, ) or sigma.shape != (dim, dim):
        raise ValueError(f'reference statistics of shape {mu.shape}, '
                         f'{sigma.shape} do not fit {dim}-d features '
                         '(different Inception features?)')
    mean = features.mean(axis=0)
    centred = features - mean
    small = centred @ sigma @ centred.T / (num - 1)
    product_eigval = np.linalg.eigvalsh((small + small.T) / 2)
    trace_sqrt = np.sqrt(_drop_round_off(product_eigval)).sum()
    diff = mean - mu
    return float(diff @ diff + (centred**2).sum() / (num - 1) +
                 np.trace(sigma) - 2 * trace_sqrt)


def _drop_round_off(eigval: np.ndarray) -> np.ndarray:
    """Eigenvalues of a PSD matrix with round-off (|x| < d * eps * max) set to
    0; their square roots would otherwise add up to visible noise."""
    largest = np.abs(eigval).max()
    tolerance = len(eigval) * np.finfo(eigval.dtype).eps * largest
    return np.where(eigval > tolerance, eigval, 0.)


def save_fid_stats(path: str, mu: np.ndarray, sigma: np.ndarray) -> None:
    """Save FID reference statistics as pytorch-fid does: ``mu``, ``sigma``."""
    np.savez(path, mu=mu, sigma=sigma)


def load_fid_stats(path: str) -> Tuple[np.ndarray, np.ndarray]:
    """Load ``mu`` and ``sigma`` from an ``.npz`` (pytorch-fid's format)."""
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'FID reference statistics {path!r} do not exist; write them with '
            'tools/score_folder.py --save-fid-stats, or set `real_stats=None` '
            'to use the ground truth of the evaluated pairs')
    with np.load(path) as stats:
        missing = {'mu', 'sigma'} - set(stats.files)
        if missing:
            raise KeyError(f'{path!r} lacks {sorted(missing)}; expected the '
                           'keys `mu` and `sigma` (pytorch-fid format)')
        return stats['mu'], stats['sigma']


def collect_in_order(results: List[Any],
                     size: int,
                     device: str = 'cpu') -> Optional[List[Any]]:
    """Gather per-sample results of all ranks in dataset order, each once.

    MMEngine's ``DefaultSampler`` gives rank r the samples r, r + W, r + 2W,
    ... and pads the last round with samples from the start. MMEngine's
    ``collect_results`` interleaves the ranks' lists back into that order and
    cuts it at ``size``, which drops the padding. (MMagic's GenMetric
    concatenates rank by rank instead, so with padding it can count a sample
    twice and drop another.)

    Args:
        results (list): This rank's results, one entry per sample, in the
            order the sampler gave them.
        size (int): Number of distinct samples.
        device (str): ``'cpu'`` (via a temporary directory) or ``'gpu'``.

    Returns:
        list | None: ``size`` results on rank 0, ``None`` on the others.
    """
    results = [
        item.detach().cpu() if isinstance(item, Tensor) else item
        for item in results
    ]
    return collect_results(results, size, device)
