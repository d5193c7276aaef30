"""SSIM: MMagic's metric as configured, agreement with scikit-image, PATN's
padded variant."""
import numpy as np
import pytest
from skimage.metrics import structural_similarity

from ratenet_plugin.evaluation import pad_to_square
from ratenet_plugin.registry import METRICS
from tests.evaluation.evaluation_testing import random_images, run_metric


def skimage_ssim(gt, pred) -> float:
    """scikit-image SSIM with MMagic's / PATN's window: Gaussian, sigma 1.5,
    population covariance, data range 255, mean over channels."""
    return structural_similarity(
        gt.permute(1, 2, 0).double().numpy(),
        pred.permute(1, 2, 0).double().numpy(),
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
        data_range=255,
        channel_axis=2)


def build(type_name, **kwargs):
    return METRICS.build(dict(type=type_name, prefix='final', **kwargs))


def test_ssim_of_identical_images_is_one():
    images = random_images(3)
    result = run_metric(build('SSIM'), images, images)
    assert result['final/SSIM'] == pytest.approx(1., abs=1e-6)


def test_ssim_agrees_with_scikit_image_on_random_images():
    gts = random_images(4, 48, 34, seed=1)
    preds = (gts + random_images(4, 48, 34, seed=2) - 127.5).clamp(0, 255)
    result = run_metric(build('SSIM'), gts, preds)
    expected = np.mean([skimage_ssim(g, p) for g, p in zip(gts, preds)])
    assert 0.05 < expected < 0.95
    assert result['final/SSIM'] == pytest.approx(expected, abs=1e-3)


def test_padded_ssim_is_ssim_of_white_padded_images():
    gts = random_images(3, 40, 24, seed=3)
    preds = random_images(3, 40, 24, seed=4)
    result = run_metric(build('PaddedSSIM'), gts, preds)
    expected = np.mean([
        skimage_ssim(pad_to_square(g), pad_to_square(p))
        for g, p in zip(gts, preds)
    ])
    assert result['final/SSIM-padded'] == pytest.approx(expected, abs=1e-3)


def test_white_margins_raise_ssim_as_in_patn_numbers():
    gts = random_images(3, 40, 24, seed=5)
    preds = random_images(3, 40, 24, seed=6)
    plain = run_metric(build('SSIM'), gts, preds)['final/SSIM']
    padded = run_metric(build('PaddedSSIM'), gts, preds)['final/SSIM-padded']
    assert padded > plain + 0.05


def test_coarse_image_is_scored_with_its_own_key_and_prefix():
    gts = random_images(2, seed=7)
    metric = METRICS.build(
        dict(type='SSIM', prefix='coarse', pred_key='coarse_img'))
    result = run_metric(metric, gts, random_images(2, seed=8), coarse=gts)
    assert result == {'coarse/SSIM': pytest.approx(1., abs=1e-6)}
