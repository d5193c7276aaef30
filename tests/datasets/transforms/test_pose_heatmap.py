import numpy as np
import pytest
from mmagic.registry import TRANSFORMS

from ratenet_plugin.datasets import (GeneratePoseHeatmap,
                                    keypoints_to_heatmaps,
                                    keypoints_to_patn_heatmaps)
from ratenet_plugin.datasets.transforms import PosePipelineError
from ratenet_plugin.datasets.transforms.pose_heatmap import HEATMAP_FLOOR


def _keypoints():
    keypoints = np.full((18, 2), -1, np.float32)
    keypoints[0] = (10, 20)
    keypoints[7] = (43, 0)  # on the image corner
    keypoints[9] = (21.5, 30.25)  # sub-pixel
    return keypoints


def test_heatmaps_are_gaussians_with_zero_maps_for_missing_joints():
    heatmaps = keypoints_to_heatmaps(_keypoints(), 64, 44, sigma=2.0)
    assert heatmaps.dtype == np.float32 and heatmaps.shape == (18, 64, 44)
    assert heatmaps.min() >= 0 and heatmaps.max() <= 1
    missing = [i for i in range(18) if i not in (0, 7, 9)]
    assert (heatmaps[missing] == 0).all()
    assert heatmaps[0, 20, 10] == pytest.approx(1.0)
    assert np.unravel_index(heatmaps[0].argmax(), (64, 44)) == (20, 10)
    assert heatmaps[7, 0, 43] == pytest.approx(1.0)
    # Reference: the formula evaluated pixel by pixel.
    ys, xs = np.mgrid[0:64, 0:44]
    expected = np.exp(-((xs - 21.5)**2 + (ys - 30.25)**2) / (2 * 2.0**2))
    np.testing.assert_allclose(heatmaps[9], expected, rtol=1e-5, atol=1e-7)
    # One sigma away the value is exp(-1/2): float, not truncated as uint8.
    assert heatmaps[0, 20, 12] == pytest.approx(np.exp(-0.5), rel=1e-5)


def test_heatmaps_tail_below_the_floor_is_zero():
    """The tail far from a joint is exactly 0, neither a subnormal float nor
    a tiny normal one (their products with weights and gradients are
    subnormal, slow for convolutions on CPUs); the values above the floor
    are the Gaussian's."""
    keypoints = _keypoints()
    heatmaps = keypoints_to_heatmaps(keypoints, 64, 44, sigma=1.5)
    floor = 2.0**-24
    assert HEATMAP_FLOOR == np.float32(floor)
    assert not ((heatmaps > 0) & (heatmaps < floor)).any()
    # The formula in float64: below the floor the map is 0 (the formula
    # there spans tiny normal and subnormal float32 values); above it the
    # map is the Gaussian.
    ys, xs = np.mgrid[0:64, 0:44]
    expected = np.exp(-((xs - 10)**2 + (ys - 20)**2) / (2 * 1.5**2))
    tail = expected < floor
    tiny = np.finfo(np.float32).tiny
    assert (expected[tail] > 1e-30).any() and (expected[tail] < tiny).any()
    assert (heatmaps[0][tail] == 0).all()
    np.testing.assert_allclose(heatmaps[0][~tail], expected[~tail], rtol=1e-4)
    # The floor lies 5.8 sigma from the joint: (10, 28) is 8 px = 5.33
    # sigma away (kept), (10, 29) 9 px = 6 sigma away (zero).
    assert heatmaps[0, 28, 10] > 0 and heatmaps[0, 29, 10] == 0


def test_sigma_scales_with_image_height_by_default():
    transform = TRANSFORMS.build(dict(type='GeneratePoseHeatmap'))
    assert isinstance(transform, GeneratePoseHeatmap)
    assert transform.sigma_for(256) == 6.0
    assert transform.sigma_for(64) == 1.5
    assert GeneratePoseHeatmap(
        sigma=6, sigma_reference_height=None).sigma_for(64) == 6.0
    results = transform(
        dict(src_img=np.zeros((64, 44, 3), np.uint8),
             tgt_img=np.zeros((64, 44, 3), np.uint8),
             src_keypoints=_keypoints(),
             tgt_keypoints=np.full((18, 2), -1, np.float32)))
    np.testing.assert_allclose(
        results['src_pose'], keypoints_to_heatmaps(_keypoints(), 64, 44, 1.5))
    assert results['tgt_pose'].shape == (18, 64, 44)
    assert not results['tgt_pose'].any()
    assert repr(transform) == ('GeneratePoseHeatmap(sigma=6.0, '
                               "sigma_reference_height=256, keys=('src', "
                               "'tgt'), encoding='gaussian')")


def test_invalid_sigma():
    with pytest.raises(ValueError, match='sigma must be positive'):
        GeneratePoseHeatmap(sigma=0)


def test_patn_uint8_encoding_keeps_one_pixel_per_joint():
    """PATN's maps: the Gaussian at integer keypoints cast to uint8."""
    keypoints = _keypoints()
    heatmaps = keypoints_to_patn_heatmaps(keypoints, 64, 44, sigma=6.0)
    assert heatmaps.dtype == np.float32 and heatmaps.shape == (18, 64, 44)
    # PATN's formula at integer coordinates, stored in a uint8 array.
    ys, xs = np.mgrid[0:64, 0:44]
    for joint, (x, y) in ((0, (10, 20)), (7, (43, 0)), (9, (22, 30))):
        patn = np.zeros((64, 44), np.uint8)
        patn[...] = np.exp(-((ys - y)**2 + (xs - x)**2) / (2 * 6.0**2))
        np.testing.assert_array_equal(heatmaps[joint], patn)
        assert heatmaps[joint].sum() == 1 and heatmaps[joint, y, x] == 1
    missing = [i for i in range(18) if i not in (0, 7, 9)]
    assert not heatmaps[missing].any()
    transform = GeneratePoseHeatmap(encoding='patn_uint8', keys=('src', ))
    results = transform(
        dict(src_img=np.zeros((64, 44, 3), np.uint8),
             src_keypoints=keypoints))
    np.testing.assert_array_equal(results['src_pose'], heatmaps)


def test_unknown_encoding():
    with pytest.raises(ValueError, match='encoding must be one of'):
        GeneratePoseHeatmap(encoding='uint8')


def test_images_resized_without_their_keypoints_are_refused():
    """MMagic's Resize scales the images and not the keypoints: heatmaps
    drawn then would sit in the wrong place (the neck at half its height)."""
    from mmengine.registry import init_default_scope
    init_default_scope('mmagic')

    def sample():
        return dict(
            src_img=np.zeros((64, 44, 3), np.uint8),
            tgt_img=np.zeros((64, 44, 3), np.uint8),
            src_keypoints=_keypoints(), tgt_keypoints=_keypoints(),
            keypoint_frame=(64, 44))

    heatmap = GeneratePoseHeatmap(sigma=2.0)
    resize = TRANSFORMS.build(
        dict(type='Resize', keys=['src_img', 'tgt_img'], scale=(88, 128)))
    with pytest.raises(PosePipelineError, match='src_img is 128x88 but its '
                       'keypoints are in a 64x44 frame'):
        heatmap(resize(sample()))
    # MMagic's Flip mirrors the images, not the keypoints.
    flip = TRANSFORMS.build(dict(type='Flip', keys=['src_img', 'tgt_img'],
                                 flip_ratio=1.0, direction='horizontal'))
    with pytest.raises(PosePipelineError, match="without their keypoints "
                       "\(MMagic's Flip\); use PoseAwareFlip"):
        heatmap(flip(sample()))
    ours = TRANSFORMS.build(dict(type='ResizePadPose', scale=(128, 88)))
    results = heatmap(ours(sample()))
    assert np.unravel_index(results['src_pose'][0].argmax(),
                            (128, 88)) == (40, 20)
