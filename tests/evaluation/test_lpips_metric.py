"""The LPIPS metric: registered, zero for identical images, monotone in
noise, AlexNet by default and VGG on request."""
import pytest
import torch

from ratenet_plugin.evaluation import LPIPS, lpips_distance
from ratenet_plugin.registry import METRICS
from tests.evaluation.evaluation_testing import (as_samples, random_images,
                                                 run_metric)


@pytest.fixture
def lpips_metric(hub_cache, alexnet_file) -> LPIPS:
    hub_cache(alexnet_file)
    return METRICS.build(dict(type='LPIPS', prefix='final'))


def test_lpips_is_ours_in_mmagics_registry():
    assert METRICS.get('LPIPS') is LPIPS


def test_lpips_of_identical_images_is_zero(lpips_metric):
    images = random_images(3, 64, 44)
    result = run_metric(lpips_metric, images, images)
    assert result == {'final/LPIPS': pytest.approx(0., abs=1e-7)}


def test_lpips_grows_monotonically_with_added_noise(lpips_metric):
    gts = random_images(3, 64, 44, seed=1)
    noise = torch.randn(gts.shape, generator=torch.Generator().manual_seed(2))
    values = [
        run_metric(lpips_metric, gts,
                   (gts + sigma * noise).clamp(0, 255))['final/LPIPS']
        for sigma in (0, 8, 24, 64, 128)
    ]
    assert values[0] == pytest.approx(0., abs=1e-7)
    assert all(a < b for a, b in zip(values, values[1:]))


def test_lpips_counts_one_result_per_sample(lpips_metric):
    gts = random_images(5, 64, 44, seed=3)
    preds = random_images(5, 64, 44, seed=4)
    for batch in (slice(0, 2), slice(2, 5)):
        lpips_metric.process(None, as_samples(gts[batch], preds[batch]))
    assert len(lpips_metric.results) == 5
    expected = lpips_distance(lpips_metric.lpips_net, gts, preds).mean()
    lpips_metric.size = 5
    result = lpips_metric.evaluate()
    assert result['final/LPIPS'] == pytest.approx(float(expected), rel=1e-5)


def test_lpips_is_the_lpips_packages_distance_of_images_in_0_255(
        lpips_metric):
    """Images in [0, 255] reach the network as the lpips package's own
    [0, 1] path (``normalize=True``) takes them to [-1, 1]."""
    gts = random_images(2, 64, 44, seed=8)
    preds = random_images(2, 64, 44, seed=9)
    net = lpips_metric.lpips_net
    with torch.no_grad():
        expected = net(preds / 255, gts / 255, normalize=True).flatten()
    torch.testing.assert_close(lpips_distance(net, gts, preds), expected)


def test_lpips_handles_samples_of_different_sizes(lpips_metric):
    small, large = random_images(1, 64, 44), random_images(1, 80, 56)
    samples = as_samples(small, small) + as_samples(large, large + 10)
    lpips_metric.process(None, samples)
    assert lpips_metric.results[0]['LPIPS'] == pytest.approx(0., abs=1e-7)
    assert lpips_metric.results[1]['LPIPS'] > 0


def test_vgg_backbone_is_selectable(vgg16_file):
    metric = LPIPS(net='vgg', backbone_path=str(vgg16_file), prefix='vgg')
    images = random_images(2, 32, 22, seed=5)
    assert run_metric(metric, images, images) == {
        'vgg/LPIPS': pytest.approx(0., abs=1e-7)
    }
    assert metric.lpips_net.pnet_type == 'vgg'


def test_lpips_rejects_images_of_different_shapes(lpips_metric):
    with pytest.raises(ValueError, match='one shape'):
        lpips_distance(lpips_metric.lpips_net, torch.zeros(1, 3, 32, 22),
                       torch.zeros(1, 3, 32, 24))


def test_bgr_samples_are_scored_as_rgb(lpips_metric):
    gts = random_images(2, 64, 44, seed=6)
    preds = random_images(2, 64, 44, seed=7)
    rgb = run_metric(lpips_metric, gts, preds)['final/LPIPS']
    bgr_samples = as_samples(gts.flip(1), preds.flip(1))
    for sample in bgr_samples:
        sample['channel_order'] = 'BGR'  # RATENet's metainfo in BGR mode
    lpips_metric.process(None, bgr_samples)
    lpips_metric.size = 2
    assert lpips_metric.evaluate()['final/LPIPS'] == pytest.approx(rgb)
    assert rgb != pytest.approx(
        run_metric(lpips_metric, gts.flip(1), preds.flip(1))['final/LPIPS'])


@pytest.mark.parametrize('side, ok', [(30, False), (31, True)])
def test_alexnet_minimum_image_size_is_explained(lpips_metric, side, ok):
    images = random_images(1, 40, side)
    if ok:
        assert lpips_distance(lpips_metric.lpips_net, images, images) == 0
    else:
        with pytest.raises(ValueError, match="at least 31 px.*net='vgg'"):
            lpips_distance(lpips_metric.lpips_net, images, images)
