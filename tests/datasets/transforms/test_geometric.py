import numpy as np
import pytest
from mmagic.registry import TRANSFORMS

from ratenet_plugin.datasets import (GeneratePoseHeatmap, PoseAwareFlip,
                                     ResizePadPose, keypoints_to_heatmaps)
from ratenet_plugin.datasets.keypoints import COCO18_NAMES
from tests.datasets.deepfashion_testing import standing_keypoints

LEFT_WRIST = COCO18_NAMES.index('left_wrist')
RIGHT_WRIST = COCO18_NAMES.index('right_wrist')


def _sample(height=64, width=44):
    rng = np.random.default_rng(0)
    keypoints = standing_keypoints(height, width)
    keypoints[COCO18_NAMES.index('right_ear')] = -1
    return dict(
        src_img=rng.integers(0, 256, (height, width, 3), dtype=np.uint8),
        tgt_img=rng.integers(0, 256, (height, width, 3), dtype=np.uint8),
        src_keypoints=keypoints, tgt_keypoints=keypoints[::-1].copy(),
        keypoint_frame=(height, width))


def test_flip_swaps_left_and_right_wrist_with_mirrored_x():
    sample = _sample()
    left_wrist = sample['src_keypoints'][LEFT_WRIST].copy()
    flip = TRANSFORMS.build(dict(type='PoseAwareFlip', prob=1.0))
    assert isinstance(flip, PoseAwareFlip)
    out = flip(dict(sample, src_img=sample['src_img'].copy()))
    assert out['flip'] is True
    np.testing.assert_array_equal(out['src_keypoints'][RIGHT_WRIST],
                                  (44 - 1 - left_wrist[0], left_wrist[1]))
    np.testing.assert_array_equal(out['src_img'], sample['src_img'][:, ::-1])
    np.testing.assert_array_equal(out['tgt_img'], sample['tgt_img'][:, ::-1])
    # The missing right ear is the missing left ear now.
    assert (out['src_keypoints'][COCO18_NAMES.index('left_ear')] == -1).all()
    assert repr(flip) == "PoseAwareFlip(prob=1.0, keys=('src', 'tgt'))"


def test_flip_of_heatmaps_equals_heatmaps_of_flipped_keypoints():
    sample = GeneratePoseHeatmap(sigma=8)(_sample())
    out = PoseAwareFlip(prob=1.0)(sample)
    np.testing.assert_allclose(
        out['src_pose'],
        keypoints_to_heatmaps(out['src_keypoints'], 64, 44, sigma=2.0),
        atol=1e-6)


def test_flip_probability_zero_and_range():
    sample = _sample()
    out = PoseAwareFlip(prob=0.0)(dict(sample))
    assert out['flip'] is False
    assert out['src_keypoints'] is sample['src_keypoints']
    with pytest.raises(ValueError, match='prob'):
        PoseAwareFlip(prob=1.5)


def test_pad_176_to_256_shifts_x_by_40():
    sample = _sample(256, 176)
    img = sample['src_img']
    out = TRANSFORMS.build(dict(type='ResizePadPose', scale=(256, 256)))(
        dict(sample))
    assert out['src_img'].shape == (256, 256, 3)
    np.testing.assert_array_equal(out['src_img'][:, 40:216], img)
    assert (out['src_img'][:, :40] == 255).all()
    assert (out['src_img'][:, 216:] == 255).all()
    expected = sample['src_keypoints'] + [40, 0]
    expected[COCO18_NAMES.index('right_ear')] = -1
    np.testing.assert_array_equal(out['src_keypoints'], expected)
    assert out['keypoint_frame'] == (256, 256)


def test_crop_256_to_176_is_the_patn_crop():
    sample = _sample(256, 256)
    sample['src_keypoints'][0] = (10, 50)  # left of column 40: cropped away
    out = ResizePadPose(scale=(256, 176), mode='crop')(dict(sample))
    np.testing.assert_array_equal(out['src_img'], sample['src_img'][:, 40:216])
    assert (out['src_keypoints'][0] == -1).all()
    np.testing.assert_array_equal(out['src_keypoints'][1],
                                  sample['src_keypoints'][1] - [40, 0])


def test_resize_moves_keypoints_with_the_image():
    # A single bright pixel at a keypoint stays at the moved keypoint.
    sample = _sample(32, 22)
    sample['src_img'] = np.zeros((32, 22, 3), np.uint8)
    sample['src_img'][10:12, 6:8] = 255  # a 2x2 block centred at (6.5, 10.5)
    sample['src_keypoints'][0] = (6.5, 10.5)
    out = ResizePadPose(scale=(64, 64), mode='pad', pad_value=0,
                        interpolation='nearest')(dict(sample))
    # 32x22 -> 64x44 (factor 2), padded by 10 columns each side.
    x, y = out['src_keypoints'][0]
    assert (x, y) == (2 * 7 - 0.5 + 10, 2 * 11 - 0.5)
    block = np.argwhere(out['src_img'][..., 0] == 255)
    assert block.mean(axis=0) == pytest.approx((y, x))
    stretched = ResizePadPose(scale=(64, 64), mode='stretch')(_sample(32, 22))
    assert stretched['src_img'].shape == (64, 64, 3)


def test_joints_on_the_border_stay_when_the_image_shrinks():
    """256x176 -> 64x44: pixel centres of the edge columns and rows map half
    a pixel outside the frame, onto its border pixels, where the image
    draws them; those joints are kept on the border, joints beyond the
    frame are dropped."""
    sample = _sample(256, 176)
    keypoints = np.full((18, 2), -1, np.float32)
    keypoints[:4] = [(0, 100), (175, 100), (88, 255), (88, 0)]
    sample['src_keypoints'] = keypoints
    out = ResizePadPose(scale=(64, 44), mode='stretch')(dict(sample))
    np.testing.assert_allclose(out['src_keypoints'][:4],
                               [(0, 24.625), (43, 24.625), (21.625, 63),
                                (21.625, 0)])
    assert (out['src_keypoints'][4:] == -1).all()
    # Cropped away: 256x256 -> the centre 256x176 drops x = 30.
    square = _sample(256, 256)
    square['src_keypoints'] = np.full((18, 2), -1, np.float32)
    square['src_keypoints'][0] = (30, 100)
    out = ResizePadPose(scale=(256, 176), mode='crop')(dict(square))
    assert (out['src_keypoints'][0] == -1).all()


def test_fit_height_scales_to_the_height_then_crops_or_pads():
    fit = ResizePadPose(scale=(64, 44), mode='fit_height')
    square = _sample(64, 64)  # like DeepFashion's 256x256 img: crop
    out = fit(dict(square))
    np.testing.assert_array_equal(out['src_img'], square['src_img'][:, 10:54])
    np.testing.assert_array_equal(out['src_keypoints'][1],
                                  square['src_keypoints'][1] - [10, 0])
    narrow = _sample(64, 40)  # like img_highres: pad
    out = fit(dict(narrow))
    np.testing.assert_array_equal(out['src_img'][:, 2:42], narrow['src_img'])
    assert (out['src_img'][:, :2] == 255).all()
    large = _sample(128, 88)  # same aspect: a plain resize
    out = fit(dict(large))
    np.testing.assert_array_equal(
        out['src_img'],
        ResizePadPose(scale=(64, 44), mode='stretch')(dict(large))['src_img'])


def test_resize_after_heatmaps_is_an_error_and_bad_arguments():
    sample = GeneratePoseHeatmap()(_sample())
    with pytest.raises(ValueError, match='must come before'):
        ResizePadPose()(sample)
    with pytest.raises(ValueError, match='mode'):
        ResizePadPose(mode='zoom')
    assert repr(ResizePadPose()) == (
        "ResizePadPose(scale=(256, 176), mode='pad', pad_value=255, "
        "interpolation='bilinear', keys=('src', 'tgt'))")
