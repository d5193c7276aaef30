"""PairedMSSSIM, GMSD, HaarPSI: piq's numbers, wired as MMagic metrics."""
import piq
import pytest
import torch

from ratenet_plugin.registry import METRICS
from tests.evaluation.evaluation_testing import random_images, run_metric

SIZE = (64, 44)  # the demo's images


def build(type_name, **kwargs):
    return METRICS.build(dict(type=type_name, prefix='final', **kwargs))


def pairs():
    gts = random_images(3, *SIZE, seed=1)
    noise = random_images(3, *SIZE, seed=2) - 127.5
    return gts, (gts + 0.5 * noise).clamp(0, 255)


@pytest.mark.parametrize('type_name, key, kwargs, reference', [
    ('PairedMSSSIM', 'MS-SSIM', dict(num_scales=3),
     lambda p, g: piq.multi_scale_ssim(
         p, g, data_range=1., reduction='none',
         scale_weights=torch.tensor([0.0448, 0.2856, 0.3001]) / 0.6305)),
    ('GMSD', 'GMSD', {},
     lambda p, g: piq.gmsd(p, g, data_range=1., reduction='none')),
    ('HaarPSI', 'HaarPSI', {},
     lambda p, g: piq.haarpsi(p, g, data_range=1., reduction='none')),
])
def test_metric_equals_piq_on_known_pairs(type_name, key, kwargs, reference):
    gts, preds = pairs()
    result = run_metric(build(type_name, **kwargs), gts, preds, batch_size=2)
    # piq itself, on the same pairs scaled to [0, 1].
    expected = reference(preds / 255, gts / 255).mean().item()
    assert result[f'final/{key}'] == pytest.approx(expected, rel=1e-4)
    identical = run_metric(build(type_name, **kwargs), gts, gts)
    perfect = 0. if key == 'GMSD' else 1.
    assert identical[f'final/{key}'] == pytest.approx(perfect, abs=1e-4)
    # The noisy pairs are clearly worse than identical ones.
    assert abs(result[f'final/{key}'] - perfect) > 0.05


def test_ms_ssim_names_the_smallest_size_it_accepts():
    gts, preds = pairs()
    with pytest.raises(ValueError, match='at least 161 px'):
        run_metric(build('PairedMSSSIM'), gts, preds)


def test_ms_ssim_takes_the_scales_the_images_allow():
    gts, preds = pairs()  # 44 px wide: 3 scales with the 11-px window
    automatic = run_metric(build('PairedMSSSIM', num_scales=None), gts, preds)
    three = run_metric(build('PairedMSSSIM', num_scales=3), gts, preds)
    assert automatic == three
