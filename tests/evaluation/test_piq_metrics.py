"""PairedMSSSIM, GMSD, HaarPSI: piq's numbers, wired as MMagic metrics."""
import piq
import pytest
import torch

from ratenet_plugin.evaluation.metric_errors import MetricInputError
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
    # A user's setting, printed by the tools as one error line.
    with pytest.raises(MetricInputError, match='at least 161 px'):
        run_metric(build('PairedMSSSIM'), gts, preds)


def test_ms_ssim_takes_the_scales_the_images_allow():
    gts, preds = pairs()  # 44 px wide: 3 scales with the 11-px window
    automatic = run_metric(build('PairedMSSSIM', num_scales=None), gts, preds)
    three = run_metric(build('PairedMSSSIM', num_scales=3), gts, preds)
    assert automatic == three


def test_an_mmagic_editors_bgr_samples_are_scored_in_rgb(tmp_path):
    """MMagic's editors hand evaluators BGR images (their DataPreprocessor's
    ``destruct``), tagged ``<key>_output_channel_order`` and without our
    ``channel_order``: the metric must score them as the same pictures in
    RGB, not with red and blue swapped (what it did before)."""
    import cv2
    import numpy as np
    from mmengine.dataset import Compose, pseudo_collate
    from mmengine.registry import init_default_scope

    from ratenet_plugin.registry import MODELS, TRANSFORMS

    init_default_scope('mmagic')
    rng = np.random.RandomState(0)
    for i in range(4):  # strong colour casts: red and blue differ
        picture = (rng.rand(32, 32, 3) * 255).astype(np.uint8)
        picture[..., i % 3] = 255
        cv2.imwrite(str(tmp_path / f'{i}.png'), picture)
    pipeline = Compose([
        TRANSFORMS.build(t) for t in (
            dict(type='LoadImageFromFile', key='img'),
            dict(type='LoadImageFromFile', key='gt'), dict(type='PackInputs'))
    ])
    model = MODELS.build(
        dict(
            type='BaseEditModel',
            generator=dict(
                type='SRCNNNet', channels=(3, 4, 2, 3),
                kernel_sizes=(9, 1, 5), upscale_factor=1),
            pixel_loss=dict(type='L1Loss'),
            data_preprocessor=dict(
                type='DataPreprocessor', mean=[0.] * 3, std=[255.] * 3)))
    batch = pseudo_collate([
        pipeline(dict(img_path=str(tmp_path / f'{i}.png'),
                      gt_path=str(tmp_path / f'{(i + 1) % 4}.png')))
        for i in range(4)
    ])
    samples = [output.to_dict() for output in model.test_step(batch)]
    assert 'channel_order' not in samples[0]
    gts = torch.stack([s['gt_img'] for s in samples])
    preds = torch.stack([s['output']['pred_img'] for s in samples])
    # The ground truths are the files in BGR (OpenCV's order).
    assert torch.equal(gts[0].round().byte().permute(1, 2, 0),
                       torch.from_numpy(cv2.imread(str(tmp_path / '1.png'))))

    def score(samples):
        metric = METRICS.build(dict(type='HaarPSI', prefix='x'))
        metric.size = len(samples)
        metric.process(None, samples)
        return metric.evaluate()['x/HaarPSI']

    in_rgb = run_metric(
        METRICS.build(dict(type='HaarPSI', prefix='x')), gts.flip(1),
        preds.flip(1))['x/HaarPSI']
    swapped = run_metric(
        METRICS.build(dict(type='HaarPSI', prefix='x')), gts,
        preds)['x/HaarPSI']
    assert in_rgb != pytest.approx(swapped, rel=1e-3)
    assert score(samples) == pytest.approx(in_rgb, rel=1e-6)
