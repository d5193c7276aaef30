"""A synthetic data set in the PATN DeepFashion format.

No real data can be downloaded on the machines this project is developed on,
so every pipeline runs end to end on people-like figures drawn from 18 COCO
keypoints on a light background. Each identity has its own skin and hair
colours, build, and outfit: an upper garment (long, short or no sleeves) and a
lower garment (trousers, shorts or a skirt), each with two colours and a
texture (plain, stripes, checks or dots) whose period and angle vary per
identity, so that a model must carry texture detail, not just colour, from the
source to the target. Textures follow the body: they are drawn in each limb's
own coordinates.
Each identity is drawn in several poses (front, back or side view, varied arm
and leg angles, sometimes a close-up that crops the legs, whose joints are then
annotated missing, as OpenPose does).

Layout written by :func:`generate_synthetic_deepfashion` (PATN-like)::

    <root>/train/<name>.jpg              <root>/test/<name>.jpg
    <root>/train_labels/<stem>.png       <root>/test_labels/<stem>.png
                                         garment labels of each image
                                         (ratenet_plugin/fileio/garment_labels.py)
    <root>/fasion-resize-annotation-{train,test}.csv
    <root>/fasion-resize-pairs-{train,test}.csv     all ordered pairs (a != b)
                                                    of one identity's images
    <root>/synthetic_deepfashion.json    the parameters and counts

Names are PATN-flattened In-shop paths, e.g. ``WOMEN/Synth/id_00000003/
01_2_back.jpg`` -> ``fashionWOMENSynthid0000000301_2back.jpg``. The last
``num_test_identities`` identities form the test split. Everything is a
function of ``seed``; identity ``i`` looks the same whatever the number of
identities.
"""
import inspect
import json
import os
import os.path as osp
import shutil
import tempfile
from typing import Dict, Optional, Tuple

import cv2
import numpy as np
from mmengine.logging import print_log

from ratenet_plugin.fileio.garment_labels import (BODY, LOWER, UPPER,
                                                  write_labels)
from ratenet_plugin.fileio.image_file import write_image
from ratenet_plugin.fileio.patn_csv import (flatten_name, write_annotation_csv,
                                            write_pairs_csv)
from ratenet_plugin.fileio.text_file import read_text, write_text
from .keypoints import COCO18_NAMES, NUM_KEYPOINTS

MARKER_FILE = 'synthetic_deepfashion.json'
# 2: garment label images written beside the images (the images are unchanged).
# 3: the eyes and ears in COCO-18's slots (14 the right eye, as OpenPose and
# MediaPipe give it; version 2 had each pair swapped); images unchanged.
GENERATOR_VERSION = 3

# Joint indices, by their COCO-18 names ("right" is the person's right).
(NOSE, NECK, RSHO, RELB, RWRI, LSHO, LELB, LWRI, RHIP, RKNE, RANK, LHIP, LKNE,
 LANK, REYE, LEYE, REAR, LEAR) = (COCO18_NAMES.index(name) for name in (
     'nose', 'neck', 'right_shoulder', 'right_elbow', 'right_wrist',
     'left_shoulder', 'left_elbow', 'left_wrist', 'right_hip', 'right_knee',
     'right_ankle', 'left_hip', 'left_knee', 'left_ankle', 'right_eye',
     'left_eye', 'right_ear', 'left_ear'))

PATTERNS = ('plain', 'stripes', 'checks', 'dots')
SKIN_TONES = ((236, 200, 170), (224, 172, 135), (198, 134, 96),
              (141, 85, 54), (250, 214, 190), (170, 110, 75))

# Body proportions in units of the figure height (head top 0, soles ~1).
HEAD_CENTRE_Y, HEAD_RX, HEAD_RY = 0.075, 0.045, 0.06
NECK_Y, SHOULDER_Y, HIP_Y = 0.165, 0.19, 0.50
UPPER_ARM, FOREARM, THIGH, SHIN = 0.16, 0.14, 0.23, 0.23
# Limb radii, also in figure-height units.
RADIUS = dict(upper_arm=0.028, forearm=0.023, thigh=0.042, shin=0.031,
              neck=0.022, hand=0.022)


def _garment(rng: np.random.Generator, height: int) -> dict:
    hue = rng.uniform(0, 180)
    base = np.array([hue, rng.uniform(90, 230), rng.uniform(70, 215)])
    if rng.random() < 0.5:  # a second hue
        other = np.array([(hue + rng.uniform(40, 140)) % 180,
                          rng.uniform(60, 230), rng.uniform(60, 240)])
    else:  # same hue, different lightness
        other = base.copy()
        other[2] = (base[2] + 120) % 256 if base[2] < 128 else base[2] - 110
    hsv = np.stack([base, other])[None].astype(np.uint8)
    colours = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0].astype(np.float32)
    return dict(
        colours=colours,
        pattern=PATTERNS[rng.integers(len(PATTERNS))],
        # 2-7 % of the image height: 5-18 px at 256; at least 3 px.
        period=max(3.0, rng.uniform(0.02, 0.07) * height),
        angle=float(rng.choice([0.0, np.pi / 2, np.pi / 4, -np.pi / 4])))


def _identity(seed: int, index: int, height: int) -> dict:
    rng = np.random.default_rng([seed, index, 0])
    gender = 'WOMEN' if rng.random() < 0.5 else 'MEN'
    lower_kinds = ('trousers', 'shorts', 'skirt') if gender == 'WOMEN' \
        else ('trousers', 'shorts')
    return dict(
        gender=gender,
        skin=np.array(SKIN_TONES[rng.integers(len(SKIN_TONES))], np.float32),
        hair=rng.integers(10, 120, 3).astype(np.float32),
        long_hair=bool(rng.random() < (0.7 if gender == 'WOMEN' else 0.1)),
        build=rng.uniform(0.9, 1.15),
        sleeves=('long', 'short', 'none')[rng.integers(3)],
        lower_kind=lower_kinds[rng.integers(len(lower_kinds))],
        upper=_garment(rng, height),
        lower=_garment(rng, height),
        shoes=rng.integers(0, 90, 3).astype(np.float32))


def _pose(rng: np.random.Generator, build: float, height: int,
          width: int) -> Tuple[np.ndarray, str, int, float]:
    """Sample one pose: ``(joints (18, 2) float px, view, facing, scale)``.

    Joints are returned for every slot (also invisible ones); the caller marks
    out-of-frame and hidden ones missing. ``facing`` is -1/+1 for side views
    (0 otherwise); ``scale`` is the figure height in pixels.
    """
    body = np.zeros((NUM_KEYPOINTS, 2), np.float64)
    shoulder_half, hip_half = 0.10 * build, 0.065 * build
    body[NOSE] = (0, 0.085)
    body[REYE], body[LEYE] = (-0.018, 0.068), (0.018, 0.068)
    body[REAR], body[LEAR] = (-0.042, 0.075), (0.042, 0.075)
    body[NECK] = (0, NECK_Y)
    body[RSHO], body[LSHO] = (-shoulder_half, SHOULDER_Y), (shoulder_half,
                                                            SHOULDER_Y)
    body[RHIP], body[LHIP] = (-hip_half, HIP_Y), (hip_half, HIP_Y)
    # Limbs hang at an angle from straight down; positive = away from the body.
    for side, (sho, elb, wri, hip, kne, ank) in ((-1, (RSHO, RELB, RWRI, RHIP,
                                                       RKNE, RANK)),
                                                 (1, (LSHO, LELB, LWRI, LHIP,
                                                      LKNE, LANK))):
        arm = np.deg2rad(rng.uniform(4, 40))
        fore = arm + np.deg2rad(rng.uniform(-45, 60))
        leg = np.deg2rad(rng.uniform(0, 12))
        shin = leg + np.deg2rad(rng.uniform(-8, 6))
        body[elb] = body[sho] + UPPER_ARM * np.array(
            [side * np.sin(arm), np.cos(arm)])
        body[wri] = body[elb] + FOREARM * np.array(
            [side * np.sin(fore), np.cos(fore)])
        body[kne] = body[hip] + THIGH * np.array(
            [side * np.sin(leg), np.cos(leg)])
        body[ank] = body[kne] + SHIN * np.array(
            [side * np.sin(shin), np.cos(shin)])

    view = ('front', 'back', 'side')[rng.choice(3, p=(0.45, 0.25, 0.3))]
    facing = 0
    if view == 'back':
        body[:, 0] *= -1  # the person's right is now on the image right
    elif view == 'side':
        facing = int(rng.choice([-1, 1]))
        body[:, 0] *= 0.4
        body[[NOSE, LEYE, REYE], 0] += facing * 0.03

    if rng.random() < 0.2:  # close-up: the legs leave the frame
        scale, top = rng.uniform(1.3, 1.6) * height, rng.uniform(0.0, 0.04)
    else:
        scale, top = rng.uniform(0.82, 0.93) * height, rng.uniform(0.02, 0.05)
    centre_x = width / 2 + rng.uniform(-0.07, 0.07) * width
    joints = np.empty_like(body)
    joints[:, 0] = centre_x + body[:, 0] * scale
    joints[:, 1] = top * height + body[:, 1] * scale
    return joints, view, facing, scale


class _Canvas:
    """An RGB float image with alpha compositing of analytic shapes, and the
    label of the shape that covers each pixel most (``labels``, background
    0)."""

    def __init__(self, height: int, width: int, background: np.ndarray):
        self.image = np.empty((height, width, 3), np.float32)
        self.image[:] = background
        self.labels = np.zeros((height, width), np.uint8)
        self.ys, self.xs = np.mgrid[0:height, 0:width].astype(np.float32)

    def paint(self, alpha: np.ndarray, colour: np.ndarray,
              label: int = BODY) -> None:
        self.labels[alpha >= 0.5] = label
        alpha = alpha[..., None]
        self.image *= 1 - alpha
        self.image += alpha * colour

    def capsule(self, p: np.ndarray, q: np.ndarray, radius: float):
        """Alpha of a capsule, and pixel coordinates along/across its axis."""
        axis = q - p
        length = max(float(np.hypot(*axis)), 1e-6)
        axis = axis / length
        dx, dy = self.xs - p[0], self.ys - p[1]
        along = dx * axis[0] + dy * axis[1]
        across = -dx * axis[1] + dy * axis[0]
        t = np.clip(along, 0, length)
        dist = np.hypot(along - t, across)
        return np.clip(radius - dist + 0.5, 0, 1), along, across

    def ellipse(self, centre, rx: float, ry: float) -> np.ndarray:
        r = np.hypot((self.xs - centre[0]) / rx, (self.ys - centre[1]) / ry)
        # ~1 px of soft edge whatever the radius.
        return np.clip((1 - r) * min(rx, ry) + 0.5, 0, 1)

    def polygon(self, points: np.ndarray) -> np.ndarray:
        mask = np.zeros(self.xs.shape, np.uint8)
        shift = 4  # sub-pixel vertex precision for cv2
        pts = np.round(points * (1 << shift)).astype(np.int32)
        cv2.fillConvexPoly(mask, pts, 255, cv2.LINE_AA, shift)
        return mask.astype(np.float32) / 255


def _texture(garment: dict, along: np.ndarray, across: np.ndarray,
             radius: Optional[float] = None) -> np.ndarray:
    """RGB of a garment at local coordinates (pixels along/across a part)."""
    period, angle = garment['period'], garment['angle']
    u = along * np.cos(angle) + across * np.sin(angle)
    v = -along * np.sin(angle) + across * np.cos(angle)
    phase_u, phase_v = 2 * np.pi * u / period, 2 * np.pi * v / period
    pattern = garment['pattern']
    if pattern == 'plain':
        mix = np.zeros_like(u)
    elif pattern == 'stripes':
        mix = np.clip(np.sin(phase_u) * 2.5 + 0.5, 0, 1)
    elif pattern == 'checks':
        mix = np.clip(np.sin(phase_u) * np.sin(phase_v) * 4 + 0.5, 0, 1)
    else:  # dots on a square lattice
        du = np.mod(u, period) - period / 2
        dv = np.mod(v, period) - period / 2
        mix = np.clip(0.3 * period - np.hypot(du, dv) + 0.5, 0, 1)
    c0, c1 = garment['colours']
    rgb = c0 + mix[..., None] * (c1 - c0)
    if radius is not None:  # cylindrical shading across a limb
        shade = 1 - 0.25 * np.clip(across / radius, -1, 1)**2
        rgb = rgb * shade[..., None]
    return rgb


def _render(identity: dict, joints: np.ndarray, view: str, facing: int,
            scale: float, height: int, width: int,
            rng: np.random.Generator) -> Tuple[np.ndarray, np.ndarray]:
    """Draw one figure; returns an RGB uint8 image (H, W, 3) and its garment
    labels (H, W) uint8 (``ratenet_plugin.fileio.garment_labels``)."""
    background = rng.uniform(228, 250) + rng.uniform(-5, 5, 3)
    canvas = _Canvas(height, width, background.astype(np.float32))
    skin, hair = identity['skin'], identity['hair']
    upper, lower = identity['upper'], identity['lower']
    radius = {k: max(0.8, v * scale) for k, v in RADIUS.items()}
    head_centre = np.array([
        joints[NECK, 0] + (joints[NOSE, 0] - joints[NECK, 0]) * 0.3,
        joints[NECK, 1] - (NECK_Y - HEAD_CENTRE_Y) * scale
    ])
    head_rx, head_ry = HEAD_RX * scale * (0.85 if view == 'side' else 1), \
        HEAD_RY * scale

    def limb(a: int, b: int, part: str, garment: Optional[dict]) -> None:
        alpha, along, across = canvas.capsule(joints[a], joints[b],
                                              radius[part])
        if garment is None:
            canvas.paint(alpha, skin)
        else:
            canvas.paint(alpha, _texture(garment, along, across,
                                         radius[part]),
                         UPPER if garment is upper else LOWER)

    if identity['long_hair']:
        canvas.paint(
            canvas.ellipse(head_centre + (0, 0.07 * scale), head_rx * 1.25,
                           head_ry * 1.6), hair)

    legs_garment = lower if identity['lower_kind'] == 'trousers' else None
    thigh_garment = None if identity['lower_kind'] == 'skirt' else lower
    for hip, kne, ank in ((RHIP, RKNE, RANK), (LHIP, LKNE, LANK)):
        limb(hip, kne, 'thigh', thigh_garment)
        limb(kne, ank, 'shin', legs_garment)
        canvas.paint(
            canvas.ellipse(joints[ank] + (0, 0.012 * scale), 0.035 * scale,
                           0.02 * scale), identity['shoes'])

    hip_mid = (joints[RHIP] + joints[LHIP]) / 2
    if identity['lower_kind'] == 'skirt':
        knee_y = max(joints[RKNE, 1], joints[LKNE, 1]) + 0.02 * scale
        flare = 0.13 * scale * identity['build']
        top_half = abs(joints[LHIP, 0] - joints[RHIP, 0]) / 2 + radius['thigh']
        quad = np.array([[hip_mid[0] - top_half, hip_mid[1] - 0.03 * scale],
                         [hip_mid[0] + top_half, hip_mid[1] - 0.03 * scale],
                         [hip_mid[0] + flare, knee_y],
                         [hip_mid[0] - flare, knee_y]])
        alpha = canvas.polygon(quad)
        canvas.paint(
            alpha,
            _texture(lower, canvas.ys - quad[0, 1], canvas.xs - hip_mid[0]),
            LOWER)

    # Torso: the shoulder-hip quadrilateral widened by a limb radius.
    torso = np.array([joints[RSHO], joints[LSHO], joints[LHIP], joints[RHIP]])
    centre_x = torso[:, 0].mean()
    torso[:, 0] += np.sign(torso[:, 0] - centre_x) * radius['upper_arm']
    torso[:2, 1] -= 0.4 * radius['upper_arm']
    torso[2:, 1] += 0.03 * scale
    _, along, across = canvas.capsule(joints[NECK], hip_mid, 1.0)
    canvas.paint(canvas.polygon(torso), _texture(upper, along, across), UPPER)

    alpha, _, _ = canvas.capsule(joints[NECK], head_centre, radius['neck'])
    canvas.paint(alpha, skin)
    canvas.paint(canvas.ellipse(head_centre, head_rx, head_ry),
                 hair if view == 'back' else skin)
    if view != 'back':
        # Hair cap over the top of the head; eyes as dark dots.
        cap = canvas.ellipse(head_centre - (0, 0.35 * head_ry), head_rx * 1.05,
                             head_ry * 0.75)
        cap *= (canvas.ys < head_centre[1] - 0.2 * head_ry)
        canvas.paint(cap, hair)
        for eye in (LEYE, REYE):
            if view == 'side' and eye == (LEYE if facing > 0 else REYE):
                continue
            canvas.paint(
                canvas.ellipse(joints[eye], max(0.7, 0.007 * scale),
                               max(0.7, 0.007 * scale)),
                np.array([30, 25, 25], np.float32))

    sleeve = identity['sleeves']
    for sho, elb, wri in ((RSHO, RELB, RWRI), (LSHO, LELB, LWRI)):
        limb(sho, elb, 'upper_arm', upper if sleeve != 'none' else None)
        limb(elb, wri, 'forearm', upper if sleeve == 'long' else None)
        canvas.paint(canvas.ellipse(joints[wri], radius['hand'],
                                    radius['hand']), skin)
    image = np.clip(np.round(canvas.image), 0, 255).astype(np.uint8)
    return image, canvas.labels


def _annotate(joints: np.ndarray, view: str, facing: int, height: int,
              width: int) -> np.ndarray:
    """Keypoints as an annotator would give them: rounded, ``-1`` for joints
    hidden by the view or outside the frame."""
    keypoints = np.round(joints).astype(np.float32)
    hidden = np.zeros(NUM_KEYPOINTS, bool)
    if view == 'back':
        hidden[[NOSE, LEYE, REYE]] = True
    elif view == 'side':
        hidden[[LEYE, LEAR] if facing > 0 else [REYE, REAR]] = True
    outside = ((keypoints < 0) |
               (keypoints > [width - 1, height - 1])).any(axis=1)
    keypoints[hidden | outside] = -1
    return keypoints


def generate_synthetic_deepfashion(out_dir: str,
                                   *,
                                   num_identities: int = 10,
                                   poses_per_identity: int = 6,
                                   num_test_identities: int = 2,
                                   height: int = 256,
                                   width: int = 176,
                                   seed: int = 0,
                                   image_format: str = 'jpg') -> dict:
    """Write a synthetic DeepFashion-format data set into ``out_dir``, with a
    garment label image per image (``<split>_labels/<stem>.png``).

    Args:
        out_dir (str): Output folder (created; existing files are overwritten).
        num_identities (int): Identities in total.
        poses_per_identity (int): Images per identity (>= 2 so pairs exist).
        num_test_identities (int): The last this-many identities form the
            test split (0 for no test split; then its files are empty).
        height (int): Image height in pixels.
        width (int): Image width in pixels.
        seed (int): Everything is a deterministic function of it.
        image_format (str): ``'jpg'`` (quality 95, as DeepFashion) or
            ``'png'`` (lossless).

    Returns:
        dict: The parameters and the number of images and pairs per split
        (also written to ``synthetic_deepfashion.json``).
    """
    if poses_per_identity < 2:
        raise ValueError('poses_per_identity must be >= 2 to form pairs, '
                         f'got {poses_per_identity}')
    if not 0 <= num_test_identities <= num_identities:
        raise ValueError(f'num_test_identities={num_test_identities} must be '
                         f'in [0, num_identities={num_identities}]')
    if min(height, width) < 16:
        raise ValueError(f'images must be at least 16x16, got {height}x'
                         f'{width}')
    if image_format not in ('jpg', 'png'):
        raise ValueError(f"image_format must be 'jpg' or 'png', got "
                         f'{image_format!r}')
    params = dict(num_identities=num_identities,
                  poses_per_identity=poses_per_identity,
                  num_test_identities=num_test_identities, height=height,
                  width=width, seed=seed, image_format=image_format,
                  version=GENERATOR_VERSION)
    splits: Dict[str, dict] = {
        s: dict(annotations=[], pairs=[])
        for s in ('train', 'test')
    }
    first_test = num_identities - num_test_identities
    for index in range(num_identities):
        split = 'test' if index >= first_test else 'train'
        os.makedirs(osp.join(out_dir, split), exist_ok=True)
        identity = _identity(seed, index, height)
        names = []
        for pose_index in range(1, poses_per_identity + 1):
            rng = np.random.default_rng([seed, index, pose_index])
            joints, view, facing, scale = _pose(rng, identity['build'],
                                                height, width)
            image, labels = _render(identity, joints, view, facing, scale,
                                    height, width, rng)
            name = flatten_name(
                f"{identity['gender']}/Synth/id_{index + 1:08d}/"
                f'01_{pose_index}_{view}.{image_format}')
            image_path = osp.join(out_dir, split, name)
            write_image(image_path, image, jpeg_quality=95)
            write_labels(image_path, labels)
            splits[split]['annotations'].append(
                (name, _annotate(joints, view, facing, height, width)))
            names.append(name)
        splits[split]['pairs'].extend(
            (a, b) for a in names for b in names if a != b)

    summary = dict(params)
    for split, content in splits.items():
        write_annotation_csv(
            osp.join(out_dir, f'fasion-resize-annotation-{split}.csv'),
            content['annotations'])
        write_pairs_csv(
            osp.join(out_dir, f'fasion-resize-pairs-{split}.csv'),
            content['pairs'])
        summary[f'num_images_{split}'] = len(content['annotations'])
        summary[f'num_pairs_{split}'] = len(content['pairs'])
    write_text(osp.join(out_dir, MARKER_FILE), json.dumps(summary, indent=2))
    return summary


def render_synthetic_motion(num_frames: int,
                            *,
                            identity: int = 0,
                            height: int = 256,
                            width: int = 176,
                            seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """One synthetic person moving between two of its standing poses.

    A driving sequence for animation tests and examples: identity
    ``identity`` of the set generated with ``seed`` (same clothes and
    build) goes from one front-view, full-body pose to another and back
    (cosine easing, so the sequence loops), on a constant background.
    Joints are interpolated linearly.

    Args:
        num_frames (int): Frames in the sequence (>= 2).
        identity (int): Index of the identity.
        height (int): Image height in pixels.
        width (int): Image width in pixels.
        seed (int): Everything is a deterministic function of it.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``uint8 (T, H, W, 3)`` RGB frames and
        their ``float32 (T, 18, 2)`` ``(x, y)`` keypoints (COCO-18 order,
        ``-1`` for joints outside the frame).
    """
    if num_frames < 2:
        raise ValueError(f'num_frames must be >= 2, got {num_frames}')
    person = _identity(seed, identity, height)
    poses = []
    # Pose draws of their own (streams [seed, identity, 1000 + k]), kept
    # apart from the data set's; the first two front full-body ones.
    for draw in range(1000, 1200):
        joints, view, _, scale = _pose(
            np.random.default_rng([seed, identity, draw]), person['build'],
            height, width)
        if view == 'front' and scale < height:
            poses.append((joints, scale))
        if len(poses) == 2:
            break
    (start, start_scale), (end, end_scale) = poses
    frames = np.empty((num_frames, height, width, 3), np.uint8)
    keypoints = np.empty((num_frames, NUM_KEYPOINTS, 2), np.float32)
    for t in range(num_frames):
        mix = (1 - np.cos(2 * np.pi * t / num_frames)) / 2
        joints = (1 - mix) * start + mix * end
        scale = (1 - mix) * start_scale + mix * end_scale
        # The same background stream every frame: only the person moves.
        background_rng = np.random.default_rng([seed, identity, 999])
        frames[t], _ = _render(person, joints, 'front', 0, scale, height,
                               width, background_rng)
        keypoints[t] = _annotate(joints, 'front', 0, height, width)
    return frames, keypoints


def _check_existing(data_root: str, params: dict) -> None:
    marker = osp.join(data_root, MARKER_FILE)
    if not osp.isfile(marker):
        print_log(
            f'{data_root} exists and is not a synthetic set; using it as is.',
            logger='current')
        return
    found = json.loads(read_text(marker))
    differing = {
        k: (found.get(k), v)
        for k, v in params.items() if found.get(k) != v
    }
    if differing:
        raise ValueError(
            f'{data_root} holds a synthetic set generated with other '
            f'parameters ((found, requested): {differing}); delete the folder '
            'to regenerate it or point data_root elsewhere (or, where the '
            'train and val datasets share this data_root, give both the same '
            'keypoint_frame and synthetic settings)')


def ensure_synthetic_deepfashion(data_root: str, **kwargs) -> str:
    """Generate the synthetic set at ``data_root`` unless it is there already.

    Safe when several processes (DDP ranks, the train and val datasets) call
    it at once: each generates into a private temporary folder next to
    ``data_root`` and renames it into place (atomic on one file system); a
    process that finds ``data_root`` taken discards its copy and reuses the
    winner's. An existing synthetic set generated with other parameters is an
    error, not silently reused; an existing folder that is not a synthetic set
    is used as is.

    Args:
        data_root (str): Where the set should be.
        **kwargs: Keyword arguments of :func:`generate_synthetic_deepfashion`.

    Returns:
        str: ``data_root``.
    """
    params = {
        name: parameter.default
        for name, parameter in inspect.signature(
            generate_synthetic_deepfashion).parameters.items()
        if parameter.kind == parameter.KEYWORD_ONLY
    }
    unknown = set(kwargs) - set(params)
    if unknown:
        raise TypeError(
            f'unknown synthetic data parameters: {sorted(unknown)}')
    params.update(kwargs, version=GENERATOR_VERSION)

    def taken() -> bool:
        return osp.isdir(data_root) and len(os.listdir(data_root)) > 0

    if taken():
        _check_existing(data_root, params)
        return data_root
    parent = osp.dirname(osp.abspath(data_root))
    os.makedirs(parent, exist_ok=True)
    tmp_dir = tempfile.mkdtemp(
        prefix=f'.{osp.basename(osp.abspath(data_root))}.tmp-', dir=parent)
    try:
        os.chmod(tmp_dir, 0o755)  # mkdtemp makes it private
        generate_synthetic_deepfashion(
            tmp_dir, **{k: v
                        for k, v in params.items() if k != 'version'})
        try:
            # Replaces data_root only if it is absent or an empty folder.
            os.rename(tmp_dir, data_root)
            print_log(f'Generated a synthetic DeepFashion set at {data_root}',
                      logger='current')
        except OSError:
            if not taken():
                raise
            shutil.rmtree(tmp_dir)
            _check_existing(data_root, params)
    except BaseException:
        shutil.rmtree(tmp_dir, ignore_errors=True)
        raise
    return data_root
