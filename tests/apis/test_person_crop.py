import numpy as np
import pytest

from ratenet_plugin.apis.person_crop import FrameCrop, full_crop, person_crop


def _standing_person(x_center: float, top: float, height: float):
    """A rough upright COCO-18 skeleton (nose ... ankles)."""
    kpts = np.full((18, 2), -1, np.float32)
    rows = {0: 0.05, 1: 0.15, 2: 0.15, 5: 0.15, 8: 0.5, 11: 0.5, 9: 0.72,
            12: 0.72, 10: 0.95, 13: 0.95, 14: 0.03, 15: 0.03}
    dx = {2: -0.1, 5: 0.1, 8: -0.06, 11: 0.06, 9: -0.06, 12: 0.06,
          10: -0.06, 13: 0.06, 14: -0.02, 15: 0.02}
    for joint, frac in rows.items():
        kpts[joint] = (x_center + dx.get(joint, 0) * height,
                       top + frac * height)
    return kpts


def test_full_crop_of_same_size_is_identity():
    crop = full_crop((256, 176), (256, 176))
    assert (crop.x0, crop.y0, crop.width, crop.height) == (0, 0, 176, 256)
    image = np.random.default_rng(0).integers(0, 255, (256, 176, 3),
                                              dtype=np.uint8)
    np.testing.assert_array_equal(crop.apply_image(image), image)
    kpts = _standing_person(88, 10, 230)
    np.testing.assert_allclose(crop.apply_keypoints(kpts), kpts)


def test_full_crop_letterboxes_with_white():
    image = np.zeros((100, 200, 3), np.uint8)
    crop = full_crop((100, 200), (64, 64))
    out = crop.apply_image(image)
    assert out.shape == (64, 64, 3)
    assert (out[0] == 255).all() and (out[-1] == 255).all()
    assert (out[32] == 0).all()


def test_person_crop_frames_a_small_person_in_a_big_image():
    image = np.full((1000, 1500, 3), 40, np.uint8)
    kpts = _standing_person(1100, 300, 400)
    crop = person_crop(kpts, (256, 176))
    sx, sy = crop.scale_xy
    assert sx == pytest.approx(sy, rel=0.02)
    out_kpts = crop.apply_keypoints(kpts)
    present = kpts[:, 0] >= 0
    assert (out_kpts[present] >= 0).all()
    # The person fills most of the frame height, centred horizontally.
    assert out_kpts[present, 1].max() - out_kpts[present, 1].min() > 0.7 * 256
    assert abs(out_kpts[1, 0] - 88) < 5
    # Keypoints move exactly with the image: draw a dot and find it.
    image[int(kpts[0, 1]) - 3:int(kpts[0, 1]) + 4,
          int(kpts[0, 0]) - 3:int(kpts[0, 0]) + 4] = 255
    out = crop.apply_image(image)
    ys, xs = np.nonzero(out[..., 0] > 200)
    assert abs(ys.mean() - out_kpts[0, 1]) < 1.5
    assert abs(xs.mean() - out_kpts[0, 0]) < 1.5


def test_person_crop_pads_outside_the_image_and_drops_outside_joints():
    kpts = _standing_person(50, 5, 300)  # head at the top, feet below
    crop = person_crop(kpts, (128, 88))
    assert crop.y0 < 0
    out = crop.apply_image(np.zeros((200, 100, 3), np.uint8))
    assert (out[0] == 255).all()
    moved = crop.apply_keypoints(kpts)
    assert ((moved == -1).all(axis=1) | (moved >= 0).all(axis=1)).all()


def test_person_crop_needs_keypoints():
    with pytest.raises(ValueError, match='without keypoints'):
        person_crop(np.full((18, 2), -1, np.float32), (256, 176))


def test_person_crop_of_a_sequence_holds_every_pose():
    walk = np.stack([_standing_person(100 + 60 * t, 50, 300)
                     for t in range(4)])
    crop = person_crop(walk, (256, 176))
    moved = np.stack([crop.apply_keypoints(kpts) for kpts in walk])
    present = walk[..., 0] >= 0
    assert (moved[present] >= 0).all()
    # One window for all: the person walks 180 px, 180 px times the scale
    # in the frame.
    assert moved[3, 1, 0] - moved[0, 1, 0] == pytest.approx(
        180 * crop.scale_xy[0])
    # A single pose gives the same window as before.
    assert person_crop(walk[:1], (256, 176)) == person_crop(walk[0],
                                                            (256, 176))


def test_keypoints_follow_pixel_centres_as_the_image_does():
    """A 4x4 block shrunk 4x is one output pixel; the block's centre must map
    onto that pixel's centre (not a third of a pixel off), and a 2x
    enlargement likewise."""
    image = np.zeros((256, 176, 3), np.uint8)
    image[60:64, 100:104] = 255
    centre = np.full((18, 2), -1, np.float32)
    centre[0] = (101.5, 61.5)
    shrink = FrameCrop(0, 0, 176, 256, (64, 44))
    ys, xs = np.nonzero(shrink.apply_image(image)[..., 0] == 255)
    assert (ys.tolist(), xs.tolist()) == ([15], [25])
    np.testing.assert_allclose(shrink.apply_keypoints(centre)[0], (25, 15))
    small = np.zeros((32, 22, 3), np.uint8)
    small[10, 7] = 255
    enlarge = FrameCrop(0, 0, 22, 32, (64, 44))
    out = enlarge.apply_image(small)[..., 0].astype(float)
    ys, xs = np.mgrid[:64, :44]
    dot = np.full((18, 2), -1, np.float32)
    dot[0] = (7, 10)
    np.testing.assert_allclose(
        enlarge.apply_keypoints(dot)[0],
        ((xs * out).sum() / out.sum(), (ys * out).sum() / out.sum()),
        atol=0.05)


def test_explicit_presence_keeps_joints_left_of_the_image():
    """Keypoints may lie left of or above the input image, inside a window
    that reaches beyond it; ``present`` says which exist."""
    crop = FrameCrop(-20, -20, 60, 90, (64, 44))
    kpts = np.full((18, 2), -1, np.float32)
    kpts[4] = (-10, -5)
    assert (crop.apply_keypoints(kpts)[4] == -1).all()
    present = np.zeros(18, bool)
    present[4] = True
    moved = crop.apply_keypoints(kpts, present=present)
    np.testing.assert_allclose(
        moved[4], (np.array([10, 15]) + 0.5) * crop.scale_xy - 0.5)
    assert (np.delete(moved, 4, axis=0) == -1).all()
