"""Temporal smoothing of keypoint sequences with the One-Euro filter.

The One-Euro filter (Casiez, Roussel and Vogel, "1 Euro Filter: A Simple
Speed-based Low-pass Filter for Noisy Input in Interactive Systems",
CHI 2012) is an exponential low-pass filter whose cut-off frequency rises
with the signal's speed: a joint that holds still is smoothed hard (no
jitter), a joint that moves fast is barely smoothed (little lag). Per frame,
with ``dt`` seconds since the previous one::

    alpha(fc)  = 1 / (1 + 1 / (2 pi fc dt))
    dx_hat     = lowpass((x - x_hat_prev) / dt, alpha(d_cutoff))
    fc         = min_cutoff + beta * |dx_hat|
    x_hat      = lowpass(x, alpha(fc))

Keypoints are filtered in units of the body size (``scale``, e.g. the
skeleton's height in pixels), so the parameters do not depend on the image
resolution: a speed of 1 is one body size per second. Each joint has one
cut-off for its ``x`` and ``y`` (its 2-D speed). A missing joint (``-1``)
stays missing and restarts its filter when it reappears.
"""
from typing import Optional, Sequence

import numpy as np

from ratenet_plugin.datasets.keypoints import missing_mask

#: Cut-off (Hz) of a joint at rest. Lower: less jitter, more lag when a
#: movement starts.
DEFAULT_MIN_CUTOFF = 1.0
#: Cut-off increase (Hz) per body size per second of speed. Higher: less
#: lag in fast movements, more jitter in them.
DEFAULT_BETA = 8.0
#: Cut-off (Hz) of the speed estimate.
DEFAULT_D_CUTOFF = 1.0


def _alpha(cutoff: np.ndarray, dt: float) -> np.ndarray:
    """Smoothing factor of an exponential filter with this cut-off (Hz)."""
    return 1.0 / (1.0 + 1.0 / (2 * np.pi * cutoff * dt))


class OneEuroFilter:
    """A One-Euro filter over ``(J, 2)`` points, one cut-off per point.

    Args:
        min_cutoff (float): Cut-off frequency at rest, Hz (> 0).
        beta (float): Cut-off increase per unit of speed, Hz per (unit per
            second) (>= 0).
        d_cutoff (float): Cut-off frequency of the speed estimate, Hz (> 0).
    """

    def __init__(self,
                 min_cutoff: float = DEFAULT_MIN_CUTOFF,
                 beta: float = DEFAULT_BETA,
                 d_cutoff: float = DEFAULT_D_CUTOFF) -> None:
        if min_cutoff <= 0 or d_cutoff <= 0 or beta < 0:
            raise ValueError('need min_cutoff > 0, d_cutoff > 0 and beta >= '
                             f'0, got {min_cutoff}, {d_cutoff}, {beta}')
        self.min_cutoff = min_cutoff
        self.beta = beta
        self.d_cutoff = d_cutoff
        self._value: Optional[np.ndarray] = None  # (J, 2) last output
        self._speed: Optional[np.ndarray] = None  # (J, 2) filtered speed
        self._present: Optional[np.ndarray] = None  # (J,) in the last frame

    def __call__(self, points: np.ndarray, dt: float,
                 present: np.ndarray) -> np.ndarray:
        """Filter one frame.

        Args:
            points (np.ndarray): ``(J, 2)`` positions.
            dt (float): Seconds since the previous frame (> 0).
            present (np.ndarray): ``(J,)`` bool; absent points restart.

        Returns:
            np.ndarray: ``(J, 2)`` float64 filtered positions (absent points
            are returned unchanged).
        """
        points = np.asarray(points, np.float64)
        if self._value is None:
            self._value = points.copy()
            self._speed = np.zeros_like(points)
            self._present = np.zeros(len(points), bool)
        speed = (points - self._value) / dt
        self._speed += _alpha(np.float64(self.d_cutoff), dt) * (
            speed - self._speed)
        cutoff = self.min_cutoff + self.beta * np.linalg.norm(
            self._speed, axis=1, keepdims=True)
        self._value += _alpha(cutoff, dt) * (points - self._value)
        # (Re)appearing points start from their measurement, at rest.
        restart = ~self._present | ~present
        self._value[restart] = points[restart]
        self._speed[restart] = 0
        self._present = present.copy()
        return self._value.copy()


def keypoint_scale(keypoints: np.ndarray) -> float:
    """Body size of a ``(T, 18, 2)`` sequence: the median, over frames with
    two or more joints, of the larger side of the joints' bounding box
    (pixels); 1 when no frame has two joints."""
    sizes = []
    for frame in keypoints:
        pts = frame[~missing_mask(frame)]
        if len(pts) >= 2:
            sizes.append(float((pts.max(axis=0) - pts.min(axis=0)).max()))
    size = float(np.median(sizes)) if sizes else 0.0
    return size if size > 0 else 1.0


def smooth_keypoints(keypoints: np.ndarray,
                     fps: float,
                     *,
                     min_cutoff: float = DEFAULT_MIN_CUTOFF,
                     beta: float = DEFAULT_BETA,
                     d_cutoff: float = DEFAULT_D_CUTOFF,
                     scale: Optional[float] = None,
                     frame_times: Optional[Sequence[float]] = None
                     ) -> np.ndarray:
    """One-Euro-filter a keypoint sequence, each joint on its own.

    Args:
        keypoints (np.ndarray): ``(T, J, 2)`` ``(x, y)`` pixels, ``-1`` for a
            missing joint (COCO-18: ``J = 18``).
        fps (float): Frames per second of the sequence (> 0).
        min_cutoff, beta, d_cutoff (float): Filter parameters, see
            :class:`OneEuroFilter`; speeds in body sizes per second.
        scale (float, optional): Body size in pixels; by default
            :func:`keypoint_scale` of the sequence.
        frame_times (Sequence[float], optional): Each frame's time in
            seconds, for a sequence with gaps (frames without a person
            dropped); by default the frames are ``1 / fps`` apart.

    Returns:
        np.ndarray: ``float32 (T, J, 2)``, missing joints still ``-1``.
    """
    keypoints = np.asarray(keypoints, np.float32)
    if keypoints.ndim != 3 or keypoints.shape[2] != 2:
        raise ValueError('expected (T, J, 2) keypoints, got shape '
                         f'{keypoints.shape}')
    if fps <= 0:
        raise ValueError(f'fps must be positive, got {fps}')
    steps = np.full(len(keypoints), 1.0 / fps)
    if frame_times is not None:
        times = np.asarray(frame_times, np.float64)
        if times.shape != (len(keypoints), ) or (np.diff(times) <= 0).any():
            raise ValueError('frame_times must hold one increasing time per '
                             f'frame ({len(keypoints)})')
        steps[1:] = np.diff(times)
    scale = keypoint_scale(keypoints) if scale is None else scale
    one_euro = OneEuroFilter(min_cutoff, beta, d_cutoff)
    out = np.full_like(keypoints, -1)
    for t, frame in enumerate(keypoints):
        present = ~missing_mask(frame)
        filtered = one_euro(frame / scale, steps[t], present) * scale
        out[t, present] = filtered[present]
    return out
