import numpy as np
import pytest

from ratenet_plugin.apis.pose_smoothing import (OneEuroFilter,
                                                keypoint_scale,
                                                smooth_keypoints)

FPS = 25.0
BODY = np.array(
    [[88, 30], [88, 55], [68, 56], [60, 95], [58, 130], [108, 56],
     [116, 95], [118, 130], [76, 130], [74, 180], [72, 230], [100, 130],
     [102, 180], [104, 230], [84, 26], [92, 26], [80, 28], [96, 28]],
    np.float64)
WRIST = 4


def moving_sequence(frames: int = 100) -> np.ndarray:
    """A standing body whose right wrist swings 40 px left and right at
    0.5 Hz (peak speed 0.6 body heights per second)."""
    seq = np.repeat(BODY[None], frames, axis=0)
    seq[:, WRIST, 0] += 40 * np.sin(np.pi * np.arange(frames) / FPS)
    return seq


def jitter(seq: np.ndarray) -> float:
    """Mean absolute second difference over time."""
    return float(np.abs(np.diff(seq, 2, axis=0)).mean())


def test_jitter_of_a_noisy_sequence_is_reduced():
    clean = moving_sequence()
    noisy = clean + np.random.default_rng(0).normal(0, 2, clean.shape)
    smoothed = smooth_keypoints(noisy, FPS)
    still = [j for j in range(18) if j != WRIST]
    assert jitter(smoothed[:, still]) < jitter(noisy[:, still]) / 4
    assert np.abs(smoothed - clean).mean() < np.abs(noisy - clean).mean()


def test_a_real_movement_is_kept():
    clean = moving_sequence()
    smoothed = smooth_keypoints(clean, FPS)
    np.testing.assert_allclose(smoothed[:, 5:], clean[:, 5:], atol=1e-3)
    wrist, true = smoothed[:, WRIST, 0], clean[:, WRIST, 0]
    assert np.ptp(wrist) > 0.9 * np.ptp(true)
    # Lag: under 6 % of the 80 px swing at any frame.
    assert np.abs(wrist - true).max() < 0.06 * np.ptp(true)


def test_missing_joints_stay_missing_and_restart():
    seq = np.repeat(BODY[None], 6, axis=0)
    seq[3:, 0] += 50  # the nose jumps while it is missing in frame 2
    seq[2, 0] = -1
    smoothed = smooth_keypoints(seq, FPS)
    assert (smoothed[2, 0] == -1).all()
    np.testing.assert_allclose(smoothed[3, 0], seq[3, 0])


def test_scale_and_argument_checks():
    assert keypoint_scale(BODY[None]) == pytest.approx(204)  # 26 .. 230
    assert keypoint_scale(np.full((2, 18, 2), -1.0)) == 1.0
    with pytest.raises(ValueError, match='min_cutoff'):
        OneEuroFilter(min_cutoff=0)
    with pytest.raises(ValueError, match=r'\(T, J, 2\)'):
        smooth_keypoints(BODY, FPS)


def test_frames_dropped_from_a_sequence_keep_their_time():
    """A wrist moving steadily, 10 frames without a person dropped: told
    the kept frames' times, the filter follows as it does on the whole
    sequence (told nothing, it takes the 11-frame gap for one step: a jump
    at eleven times the speed)."""
    steps, fps = 40, 25.0
    keypoints = np.full((steps, 18, 2), -1, np.float32)
    keypoints[:, 1], keypoints[:, 8] = (100, 100), (100, 200)
    keypoints[:, 4, 0] = 100 + np.arange(steps) * 200 / fps
    keypoints[:, 4, 1] = 150
    kept = [t for t in range(steps) if not 15 <= t < 25]
    whole = smooth_keypoints(keypoints, fps, scale=100.0)[kept]
    timed = smooth_keypoints(keypoints[kept], fps, scale=100.0,
                             frame_times=np.array(kept) / fps)
    untimed = smooth_keypoints(keypoints[kept], fps, scale=100.0)
    assert np.abs(timed - whole).max() < 0.5
    assert np.abs(untimed - whole).max() > 2
    with pytest.raises(ValueError, match='one increasing time per frame'):
        smooth_keypoints(keypoints[:3], fps, frame_times=[0, 0.1, 0.05])
