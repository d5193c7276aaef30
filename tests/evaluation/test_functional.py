"""Pure metric functions: padding, Fréchet distance, statistics files."""
import numpy as np
import pytest
import scipy.linalg
import torch

from ratenet_plugin.evaluation import (feature_statistics, fid_from_features,
                                       frechet_distance, load_fid_stats,
                                       pad_to_square, save_fid_stats)


def test_pad_to_square_centres_a_patn_image_between_white_margins():
    image = torch.zeros(3, 256, 176)
    padded = pad_to_square(image)
    assert padded.shape == (3, 256, 256)
    assert (padded[:, :, :40] == 255).all()
    assert (padded[:, :, 216:] == 255).all()
    assert (padded[:, :, 40:216] == 0).all()


def test_pad_to_square_keeps_batch_dims_and_puts_odd_margin_last():
    padded = pad_to_square(torch.zeros(2, 3, 4, 7), fill=9.)
    assert padded.shape == (2, 3, 7, 7)
    assert (padded[:, :, :1] == 9).all() and (padded[:, :, 1:5] == 0).all()
    assert (padded[:, :, 5:] == 9).all()


def test_pad_to_square_leaves_a_square_image_alone():
    image = torch.rand(3, 5, 5)
    assert torch.equal(pad_to_square(image), image)


def _random_stats(rng, num, dim, shift=0.):
    features = rng.normal(size=(num, dim)) @ rng.normal(size=(dim, dim))
    return feature_statistics(features + shift)


def test_frechet_distance_matches_scipy_sqrtm_formula():
    rng = np.random.default_rng(0)
    mu1, sigma1 = _random_stats(rng, 50, 8)
    mu2, sigma2 = _random_stats(rng, 40, 8, shift=0.5)
    covmean = scipy.linalg.sqrtm(sigma1 @ sigma2).real
    expected = (((mu1 - mu2)**2).sum() + np.trace(sigma1) + np.trace(sigma2) -
                2 * np.trace(covmean))
    assert frechet_distance(mu1, sigma1, mu2, sigma2) == pytest.approx(
        expected, rel=1e-8)


def test_frechet_distance_of_a_set_to_itself_is_zero_even_rank_deficient():
    rng = np.random.default_rng(1)
    mu, sigma = _random_stats(rng, 5, 64)  # rank 4 covariance
    assert abs(frechet_distance(mu, sigma, mu, sigma)) < 1e-8 * np.trace(sigma)


def test_frechet_distance_grows_with_a_mean_shift():
    rng = np.random.default_rng(2)
    features = rng.normal(size=(30, 6))
    mu, sigma = feature_statistics(features)
    distances = [
        frechet_distance(*feature_statistics(features + s), mu, sigma)
        for s in (0., 0.5, 1., 2.)
    ]
    assert distances == sorted(distances) and distances[-1] > 4


@pytest.mark.parametrize('num', [3, 12])
def test_fid_from_features_equals_fid_of_their_statistics(num):
    rng = np.random.default_rng(3)
    features = rng.normal(size=(num, 8)) * 2 + 1
    mu, sigma = _random_stats(rng, 20, 8)
    expected = frechet_distance(*feature_statistics(features), mu, sigma)
    assert fid_from_features(features, mu, sigma) == pytest.approx(
        expected, rel=1e-8)


def test_frechet_distance_rejects_features_of_different_size():
    with pytest.raises(ValueError, match='differ in shape'):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))


def test_feature_statistics_need_two_images():
    with pytest.raises(ValueError, match='at least 2'):
        feature_statistics(torch.zeros(1, 8))


def test_fid_statistics_file_round_trip(tmp_path):
    mu, sigma = np.arange(3.), np.eye(3) * 2
    save_fid_stats(str(tmp_path / 'stats.npz'), mu, sigma)
    loaded_mu, loaded_sigma = load_fid_stats(str(tmp_path / 'stats.npz'))
    np.testing.assert_array_equal(loaded_mu, mu)
    np.testing.assert_array_equal(loaded_sigma, sigma)


def test_missing_or_malformed_statistics_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.npz'):
        load_fid_stats(str(tmp_path / 'nope.npz'))
    np.savez(tmp_path / 'bad.npz', mean=np.zeros(2))
    with pytest.raises(KeyError, match='bad.npz'):
        load_fid_stats(str(tmp_path / 'bad.npz'))
