"""FID and IS on our outputs: reference set, growth, tiny sets, errors."""
import pytest
import torch
from mmagic.evaluation import Evaluator
from mmagic.evaluation.metrics.inception_score import TransIS

from ratenet_plugin.evaluation import (PoseTransferFID, PoseTransferIS,
                                       feature_statistics, pad_to_square,
                                       save_fid_stats)
from ratenet_plugin.evaluation.metric_errors import MetricInputError
from ratenet_plugin.registry import METRICS
from tests.evaluation.evaluation_testing import (as_samples, random_images,
                                                 run_metric)


@pytest.fixture
def fid(fid_inception_file) -> PoseTransferFID:
    """A fresh FID metric per test (metrics keep the samples they saw)."""
    return PoseTransferFID(
        inception_path=str(fid_inception_file), prefix='final')


def test_fid_of_a_set_against_itself_is_zero(fid):
    images = random_images(2, seed=0)
    result = run_metric(fid, images, images)
    assert set(result) == {'final/FID'}
    assert abs(result['final/FID']) < 1e-6


def test_fid_grows_with_a_colour_shift(fid, fid_inception_file, tmp_path):
    gts = random_images(2, seed=1)
    stats = tmp_path / 'reference.npz'
    save_fid_stats(
        str(stats), *feature_statistics(torch.cat(fid.features_of(list(gts)))))
    against_stats = PoseTransferFID(
        inception_path=str(fid_inception_file),
        real_stats=str(stats),
        prefix='final')
    values = [
        run_metric(against_stats, gts, (gts + shift).clamp(0,
                                                           255))['final/FID']
        for shift in (40, 120)
    ]
    assert 0 < values[0] < values[1]
    assert against_stats.real_results == []  # the reference is the file


def test_fid_uses_at_most_fake_nums_samples(fid_inception_file):
    fid = PoseTransferFID(
        fake_nums=1, inception_path=str(fid_inception_file), prefix='final')
    fid.prepare_for(2, 'cpu')
    images = random_images(2, seed=2)
    for index in range(2):
        fid.process(
            None,
            as_samples(images[index:index + 1], images[index:index + 1]))
    assert len(fid.fake_results) == len(fid.real_results) == 1


def test_fake_nums_beyond_the_evaluation_set_fails_early(fid):
    fid.requested_nums = 10
    try:
        with pytest.raises(MetricInputError,
                           match='fake_nums=10.*has 4 samples'):
            fid.prepare_for(4, 'cpu')
    finally:
        fid.requested_nums = -1


def test_fid_names_the_missing_output_key(fid):
    fid.prepare_for(1, 'cpu')
    fid.fake_key = 'coarse_img'
    try:
        with pytest.raises(KeyError, match="'coarse_img' not in"):
            images = random_images(2)
            fid.process(None, as_samples(images, images))
    finally:
        fid.fake_key = 'pred_img'


def test_is_on_a_tiny_set_runs(is_inception_file):
    metric = METRICS.build(
        dict(
            type='PoseTransferIS',
            prefix='final',
            splits=1,
            inception_path=str(is_inception_file)))
    images = random_images(2, seed=3)
    result = run_metric(metric, images, images, batch_size=1)
    assert set(result) == {'final/IS', 'final/IS_std'}
    # IS = exp(mean KL(p(y|x) || p(y))) lies in [1, number of images].
    assert 1. < result['final/IS'] <= 2.
    assert result['final/IS_std'] == 0  # one split


def test_padded_is_has_its_own_name(is_inception_file):
    metric = PoseTransferIS(
        splits=1,
        pad_to_square=True,
        inception_path=str(is_inception_file),
        prefix='coarse',
        fake_key='coarse_img')
    images = random_images(2, seed=4)
    result = run_metric(metric, images, images, coarse=images)
    assert set(result) == {'coarse/IS-padded', 'coarse/IS-padded_std'}
    assert result['coarse/IS-padded_std'] == 0  # one split


def _class_probabilities(is_inception_file, images, **kwargs):
    metric = PoseTransferIS(
        splits=1, inception_path=str(is_inception_file), **kwargs)
    metric.prepare_for(len(images), 'cpu')
    metric.process(None, as_samples(images, images))
    return torch.cat(metric.fake_results)


def test_padded_is_scores_the_images_padded_white(is_inception_file):
    """IS-padded sees what PATN's IS saw: the 32x22 images padded with
    white to 32x32, not the images themselves."""
    images = random_images(2, seed=4)
    padded = _class_probabilities(
        is_inception_file, images, pad_to_square=True)
    torch.testing.assert_close(
        padded, _class_probabilities(is_inception_file,
                                     pad_to_square(images)))
    assert not torch.allclose(
        padded, _class_probabilities(is_inception_file, images))


def test_is_gives_mmagics_is_the_bgr_it_expects(is_inception_file):
    """Our RGB images reach MMagic's TransIS code as the BGR it flips back
    to RGB: the same probabilities as MMagic's own processing of the BGR
    images (and not of the RGB ones: the test images tell them apart)."""
    images = random_images(2, seed=7)
    ours = _class_probabilities(is_inception_file, images)
    reference = PoseTransferIS(
        splits=1, inception_path=str(is_inception_file))
    reference.prepare_for(4, 'cpu')
    TransIS.process(reference, None,
                    [dict(fake_img=img) for img in images.flip(1)])
    TransIS.process(reference, None, [dict(fake_img=img) for img in images])
    bgr, rgb = torch.cat(reference.fake_results).split(2)
    torch.testing.assert_close(ours, bgr)
    assert not torch.allclose(ours, rgb)


def test_fid_feeds_inception_rgb_in_minus_one_to_one(fid):
    """pytorch-fid's Inception takes RGB in [-1, 1]: our features of RGB
    images in [0, 255] are its output for them, not for the BGR ones."""
    fid.prepare_for(2, 'cpu')
    images = random_images(2, seed=6)
    with torch.no_grad():
        expected = fid.inception(images / 127.5 - 1)[0].view(2, -1)
        swapped = fid.inception(images.flip(1) / 127.5 - 1)[0].view(2, -1)
    features = fid.inception_features(images)
    # (x - 127.5) / 127.5 in MMagic, x / 127.5 - 1 here: rounding apart.
    torch.testing.assert_close(features, expected, rtol=1e-3, atol=1e-3)
    assert (features - swapped).abs().max() > 0.1


def test_bgr_samples_are_read_as_rgb(is_inception_file):
    metric = PoseTransferIS(
        splits=1, inception_path=str(is_inception_file), prefix='final')
    metric.prepare_for(2, 'cpu')
    images = random_images(2, seed=5)
    metric.process(None, as_samples(images, images))
    bgr_samples = as_samples(images.flip(1), images.flip(1))
    for sample in bgr_samples:
        sample['channel_order'] = 'BGR'  # RATENet's metainfo in BGR mode
    metric.fake_nums = 4
    metric.process(None, bgr_samples)
    rgb, bgr = torch.cat(metric.fake_results).split(2)
    torch.testing.assert_close(bgr, rgb)


def test_more_splits_than_images_is_an_error(is_inception_file):
    metric = PoseTransferIS(
        splits=10, inception_path=str(is_inception_file), prefix='final')
    with pytest.raises(ValueError, match='splits=10.*got 4'):
        metric.prepare_for(4, 'cpu')


def test_inception_metrics_share_a_data_pass_with_ssim(fid, is_inception_file):
    ssim = METRICS.build(dict(type='SSIM', prefix='final'))
    inception_score = PoseTransferIS(
        splits=1, inception_path=str(is_inception_file), prefix='final')
    hashes = {
        Evaluator._cal_metric_hash(m)
        for m in (ssim, fid, inception_score)
    }
    assert len(hashes) == 1
