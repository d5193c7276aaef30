"""Fit a person (image and keypoints) into the model's frame.

A :class:`FrameCrop` is an axis-aligned window in the input image that is
resized to the output frame ``(H, W)``; keypoints move with it. Two ways to
choose the window:

* :func:`person_crop`: around the person's keypoints, with margins for the
  head and feet, at the output aspect ratio (DeepFashion-like framing);
* :func:`full_crop`: the whole image, centred and padded (letterbox).

Windows may reach outside the image; that part is filled with white, the
DeepFashion background.
"""
from dataclasses import dataclass
from typing import Optional, Tuple

import cv2
import numpy as np

from ratenet_plugin.datasets.keypoints import (COCO18_NAMES, keep_in_frame,
                                               missing_mask,
                                               scale_pixel_centres)

_NOSE = COCO18_NAMES.index('nose')
_NECK = COCO18_NAMES.index('neck')

# Margins around the keypoints' bounding box, as fractions of its larger
# side: keypoints stop at the nose/eyes and ankles, the person does not.
TOP_MARGIN = 0.15
BOTTOM_MARGIN = 0.08
SIDE_MARGIN = 0.15
# The top of the head lies about this many nose-to-neck distances above the
# nose.
HEAD_TOP = 0.9


@dataclass(frozen=True)
class FrameCrop:
    """Window ``[x0, x0 + width) x [y0, y0 + height)`` (input pixels) that is
    resized to ``out_size = (H, W)``; integer window, so the mapping is exact.
    """
    x0: int
    y0: int
    width: int
    height: int
    out_size: Tuple[int, int]

    @property
    def scale_xy(self) -> Tuple[float, float]:
        """Output pixels per input pixel along x and y."""
        return self.out_size[1] / self.width, self.out_size[0] / self.height

    def apply_keypoints(self,
                        keypoints: np.ndarray,
                        present: Optional[np.ndarray] = None) -> np.ndarray:
        """Map ``(18, 2)`` ``(x, y)`` keypoints into the output frame.

        Pixel centres map onto pixel centres, as ``cv2.resize`` moves the
        image in :meth:`apply_image`: ``x' = (x - x0 + 0.5) * sx - 0.5``.

        Args:
            keypoints (np.ndarray): ``(18, 2)`` input pixels.
            present (np.ndarray, optional): ``(18,)`` bool, which joints
                exist. By default those without a negative coordinate (the
                ``-1`` convention); pass it for keypoints that may lie left
                of or above the input image yet inside the window (e.g. a
                pose retargeted onto a photo that cuts off a raised arm).

        Returns:
            np.ndarray: float32 ``(18, 2)``; missing joints and joints that
            land outside the output frame are ``-1`` (within half a pixel of
            it: on its border, :func:`keep_in_frame`).
        """
        if present is None:
            present = ~missing_mask(keypoints)
        moved = scale_pixel_centres(keypoints, self.scale_xy,
                                    origin=(self.x0, self.y0))
        return keep_in_frame(moved, present, self.out_size)

    def apply_image(self, image: np.ndarray,
                    fill: int = 255) -> np.ndarray:
        """Crop (padding with ``fill`` outside the image) and resize."""
        img_h, img_w = image.shape[:2]
        pad_left = max(0, -self.x0)
        pad_top = max(0, -self.y0)
        pad_right = max(0, self.x0 + self.width - img_w)
        pad_bottom = max(0, self.y0 + self.height - img_h)
        padded = cv2.copyMakeBorder(
            image, pad_top, pad_bottom, pad_left, pad_right,
            cv2.BORDER_CONSTANT, value=(fill, fill, fill))
        x0, y0 = self.x0 + pad_left, self.y0 + pad_top
        window = padded[y0:y0 + self.height, x0:x0 + self.width]
        height, width = self.out_size
        shrink = width < self.width or height < self.height
        return cv2.resize(
            window, (width, height),
            interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)


def _window(cx: float, cy: float, min_w: float, min_h: float,
            out_size: Tuple[int, int]) -> FrameCrop:
    """Smallest window at the output aspect ratio covering ``min_w x min_h``
    around ``(cx, cy)``."""
    out_h, out_w = out_size
    height = max(min_h, min_w * out_h / out_w, 1.0)
    width = max(1, int(round(height * out_w / out_h)))
    height = max(1, int(round(height)))
    return FrameCrop(
        int(round(cx - width / 2)), int(round(cy - height / 2)), width,
        height, (int(out_h), int(out_w)))


def identity_crop(out_size: Tuple[int, int]) -> FrameCrop:
    """The frame itself: for keypoints already in the model's frame."""
    height, width = out_size
    return FrameCrop(0, 0, int(width), int(height), (int(height), int(width)))


def full_crop(image_size: Tuple[int, int],
              out_size: Tuple[int, int]) -> FrameCrop:
    """The whole ``(H, W)`` image, centred and padded to the output aspect
    ratio (an identity crop when the sizes are equal)."""
    img_h, img_w = image_size
    return _window(img_w / 2, img_h / 2, img_w, img_h, out_size)


def person_crop(keypoints: np.ndarray,
                out_size: Tuple[int, int]) -> FrameCrop:
    """A window around the person's ``(18, 2)`` keypoints, or one window
    that holds every pose of a ``(T, 18, 2)`` sequence.

    Raises:
        ValueError: if no joint is present.
    """
    poses = np.asarray(keypoints).reshape(-1, len(COCO18_NAMES), 2)
    present = ~missing_mask(poses)
    if not present.any():
        raise ValueError('cannot crop to a person without keypoints')
    pts = poses[present]
    x_min, y_min = pts.min(axis=0)
    x_max, y_max = pts.max(axis=0)
    extent = max(x_max - x_min, y_max - y_min, 1.0)
    top = y_min - TOP_MARGIN * extent
    with_head = present[:, _NOSE] & present[:, _NECK]
    if with_head.any():
        nose_y = poses[with_head, _NOSE, 1]
        head = poses[with_head, _NECK, 1] - nose_y
        top = min(top, float((nose_y - HEAD_TOP * head).min()))
    bottom = y_max + BOTTOM_MARGIN * extent
    min_w = (x_max - x_min) + 2 * SIDE_MARGIN * extent
    return _window((x_min + x_max) / 2, (top + bottom) / 2, min_w,
                   bottom - top, out_size)
