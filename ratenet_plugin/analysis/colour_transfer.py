"""Colour transfer gain: does a generated garment take the source's colour?

The garment colour error (:mod:`ratenet_plugin.evaluation.garment_fidelity`)
says how far the generated garments' colours are from the ground truth's;
this probe says what the generator does with the source's colours. On pairs
of the synthetic set, whose garment labels say which pixels are the upper and
the lower garment:

1. the source's garment (its label pixels) is painted in each of a few flat
   probe colours (:data:`PROBE_COLOURS`), one generation per colour;
2. the generated image's mean colour is taken inside the target's garment
   (the ground truth's labels; its interior, as the garment colour error
   takes it), for the final image I_t and the coarse I_co;
3. the **gain** is the least-squares slope of that mean colour against the
   probe colour, per RGB channel and pair, averaged: 1 when the generated
   garment takes whatever colour the source garment has, 0 when it ignores
   it (a fixed colour), in between when the colours are pulled towards a
   fixed one (washed out).

The slope ignores the offset, so a gain of 1 with a constant tint is
possible; the garment colour error sees that, the gain does not.

Read along opponent colour axes instead of R, G, B (:func:`opponent_gains`:
luminance, red-blue, green-magenta), the same measurements say which colour
directions the generator carries: a generator that passes luminance and
red-blue but not green-magenta has gains of about 0 on the last only.

The same generations measured in the *other* garment give the **leak**
(``'upper->lower'``: how far the generated lower garment follows the colour
painted on the source's upper one; 0 for a generator that keeps the garments
apart).

Taken per pixel, the same slope says **where** the generator draws the
source's garment (:func:`garment_placement`): the pixels that follow its
painted colour with a gain of at least :data:`DRAWN_GAIN`. Against the
target's garment that gives the *coverage* (the share of its interior
drawn), the *spill* (the share of the drawn pixels outside it) and the gain
where drawn, which tell a garment drawn in the wrong place from one drawn in
the right place with washed-out colour.
"""
import warnings
from dataclasses import dataclass
from typing import (Callable, Dict, Iterable, List, Optional, Sequence,
                    Tuple)

import numpy as np
import torch
from torch import Tensor

from ratenet_plugin.evaluation.garment_fidelity import GARMENTS, interior
from ratenet_plugin.fileio.garment_labels import read_labels
from ratenet_plugin.utils.arguments import int_at_least, torch_device

# Saturated red, green and blue and a mid grey, 8-bit RGB: far apart in
# every channel, so the slope is well determined.
PROBE_COLOURS = ((220, 40, 40), (40, 200, 60), (40, 60, 220), (128, 128, 128))
# Opponent colour axes in RGB (normalised to unit length where used).
OPPONENT_AXES = {
    'luminance': (1., 1., 1.),
    'red-blue': (1., 0., -1.),
    'green-magenta': (-0.5, 1., -0.5),
}
# Target garments with fewer pixels are skipped (as GarmentFidelity does).
MIN_PIXELS = 8
# A generated pixel draws the source's garment when it follows the colour
# painted on it with at least this gain (a quarter of the way).
DRAWN_GAIN = 0.25

# (src_img, src_pose, tgt_pose) -> {'final': ..., 'coarse': ...}, images
# (N, 3, H, W) in [-1, 1]; RATEGenerator.forward is one.
Generate = Callable[[Tensor, Tensor, Tensor], Dict[str, Tensor]]
# One batch: inputs dict (src_img, src_pose, tgt_pose, as the data
# preprocessor gives them), source and target labels (N, H, W) int arrays.
LabelledBatch = Tuple[Dict[str, Tensor], np.ndarray, np.ndarray]


def labelled_batches(model: torch.nn.Module,
                     dataloader: Iterable) -> Iterable[LabelledBatch]:
    """The batches of ``dataloader`` through ``model``'s data preprocessor,
    with the garment labels of each pair's source and target (read beside
    the images: :func:`~ratenet_plugin.fileio.garment_labels.read_labels`,
    so the synthetic set only)."""
    for data in dataloader:
        data = model.data_preprocessor(data, False)
        samples = data['data_samples']
        if hasattr(samples, 'split'):  # one stacked DataSample
            samples = samples.split()
        labels = [(read_labels(s.metainfo['src_img_path']),
                   read_labels(s.metainfo['tgt_img_path'])) for s in samples]
        yield (data['inputs'], np.stack([src for src, _ in labels]),
               np.stack([tgt for _, tgt in labels]))


def to_8bit(images: Tensor) -> Tensor:
    """Generated or input images in [-1, 1] to float RGB in [0, 255]
    (clamped), the units of the garment colour error."""
    return (images.float().clamp(-1, 1) + 1) * 127.5


def add_checkpoint_pairs_arguments(parser) -> None:
    """The command-line arguments of :func:`checkpoint_pairs` (``config``,
    ``checkpoint``, ``--max-pairs``, ``--device``) on an argparse parser."""
    parser.add_argument('config', help='the config the checkpoint was '
                        'trained with (its test set must be synthetic)')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--max-pairs', type=int_at_least(1), default=None,
        help='the first N test pairs only (default: all)')
    parser.add_argument('--device', type=torch_device, default='cpu',
                        help="'cpu', 'cuda' or 'cuda:N' (default: cpu)")


def checkpoint_pairs(config: str,
                     checkpoint: str,
                     device: str = 'cpu',
                     max_pairs: Optional[int] = None
                     ) -> Tuple[torch.nn.Module, Iterable[LabelledBatch]]:
    """A checkpoint's generator (float32, whatever the config's fast paths)
    and its config's test pairs with their garment labels
    (:func:`labelled_batches`): what the synthetic-set analyses read.

    Args:
        config (str): The config the checkpoint was trained with; its test
            set must be synthetic (garment labels beside the images).
        checkpoint (str): Checkpoint file.
        device (str): ``'cpu'`` or ``'cuda'``.
        max_pairs (int, optional): The first N test pairs only.
    """
    from mmengine.runner import Runner

    from ratenet_plugin.apis.inferencer import RATENetInferencer

    inferencer = RATENetInferencer(
        config, checkpoint, device, amp=False, channels_last=False)
    loader_cfg = inferencer.cfg.test_dataloader
    if max_pairs is not None:
        loader_cfg.dataset.indices = max_pairs
    model = inferencer.model
    return model.generator, labelled_batches(
        model, Runner.build_dataloader(loader_cfg))


def colour_gain(outputs: np.ndarray, colours: np.ndarray) -> np.ndarray:
    """Least-squares slope of output colours against probe colours.

    Args:
        outputs (np.ndarray): (P, K, 3) mean output colour of P pairs for K
            probe colours, 8-bit units.
        colours (np.ndarray): (K, 3) probe colours, 8-bit units; each
            channel must vary over the K colours.

    Returns:
        np.ndarray: (P, 3) slope per pair and channel.
    """
    colours = np.asarray(colours, np.float64)
    centred = colours - colours.mean(axis=0)
    spread = (centred**2).sum(axis=0)
    if np.any(spread == 0):
        raise ValueError('each channel of the probe colours must vary')
    out = np.asarray(outputs, np.float64)
    out = out - out.mean(axis=1, keepdims=True)
    return (out * centred[None]).sum(axis=1) / spread[None]


def opponent_gains(mean_outputs: np.ndarray,
                   colours: np.ndarray) -> Dict[str, float]:
    """Gains along the opponent axes (:data:`OPPONENT_AXES`).

    Fits the mean output colour as an affine map of the probe colour,
    ``out = A @ colour + b`` (least squares; exact for 4 colours), and
    returns the diagonal of ``A`` in the (orthonormal) opponent basis: 1
    where a colour difference along that axis is carried over, 0 where it is
    dropped. The fit is linear in the outputs, so fitting the mean over
    pairs equals averaging the pairs' fits.

    Args:
        mean_outputs (np.ndarray): (K, 3) output colours, 8-bit units.
        colours (np.ndarray): (K, 3) probe colours, K >= 4, not all on one
            plane of RGB space.

    Returns:
        dict: ``{axis name: gain}``.
    """
    colours = np.asarray(colours, np.float64)
    design = np.hstack([colours, np.ones((len(colours), 1))])
    if np.linalg.matrix_rank(design) < 4:
        raise ValueError('the probe colours must span RGB space (at least 4 '
                         'colours, not all on one plane)')
    fit = np.linalg.lstsq(design, np.asarray(mean_outputs, np.float64),
                          rcond=None)[0]
    matrix = fit[:3].T  # out = matrix @ colour + offset
    basis = np.array(list(OPPONENT_AXES.values()))
    basis /= np.linalg.norm(basis, axis=1, keepdims=True)
    gains = np.diag(basis @ matrix @ basis.T)
    return {name: float(g) for name, g in zip(OPPONENT_AXES, gains)}


def pixel_gains(images: Sequence[Tensor],
                colours: Sequence[Sequence[int]]) -> np.ndarray:
    """Gain of every pixel: the slope of its colour against the probe
    colours (:func:`colour_gain`), mean over the channels.

    Args:
        images (Sequence[Tensor]): One (N, 3, H, W) image batch in 8-bit
            units per probe colour, in the order of ``colours``.
        colours: The K probe colours, 8-bit RGB.

    Returns:
        np.ndarray: (N, H, W) gains.
    """
    stack = torch.stack([image.float() for image in images], dim=1)
    n, k, c, h, w = stack.shape
    outputs = stack.permute(0, 3, 4, 1, 2).reshape(-1, k, c).cpu().numpy()
    return colour_gain(outputs, np.asarray(colours)).mean(axis=1).reshape(
        n, h, w)


def garment_placement(gains: np.ndarray, target: np.ndarray,
                      target_interior: np.ndarray) -> np.ndarray:
    """Where a generated image draws the source's garment, against the
    target's garment.

    Args:
        gains (np.ndarray): (H, W) per-pixel gains (:func:`pixel_gains`) of
            the colour painted on the source's garment.
        target (np.ndarray): (H, W) bool, the target's garment.
        target_interior (np.ndarray): (H, W) bool, its interior.

    Returns:
        np.ndarray: (3,) coverage (share of the interior whose gain is at
        least :data:`DRAWN_GAIN`), spill (share of all such pixels that lie
        outside the target's garment; NaN if there are none) and the mean
        gain over the drawn pixels of the interior (NaN if none).
    """
    drawn = gains >= DRAWN_GAIN
    inside = drawn & target_interior
    coverage = inside.sum() / target_interior.sum()
    spill = (drawn & ~target).sum() / drawn.sum() if drawn.any() else np.nan
    strength = gains[inside].mean() if inside.any() else np.nan
    return np.array([coverage, spill, strength], np.float64)


@dataclass
class ColourProbe:
    """What :func:`probe_colour_transfer` measured, per output key."""
    #: ``{output: {pair_key: (P, K, 3)}}``: the mean colour (8-bit) inside
    #: the target's garment for each of the K probe colours, P pairs.
    means: Dict[str, Dict[str, np.ndarray]]
    #: ``{output: {garment: (P, 3)}}``: coverage, spill and gain where
    #: drawn of each pair (:func:`garment_placement`).
    placement: Dict[str, Dict[str, np.ndarray]]


def paint(images: Tensor, masks: Tensor, colour: Sequence[int]) -> Tensor:
    """``images`` (N, 3, H, W) in [-1, 1] with the pixels of ``masks``
    (N, H, W) bool set to ``colour`` (8-bit RGB)."""
    value = torch.tensor(colour, dtype=images.dtype, device=images.device)
    value = (value / 127.5 - 1).view(1, 3, 1, 1)
    return torch.where(masks[:, None], value, images)


def garment_pairs() -> List[Tuple[str, str]]:
    """(painted, measured) garment names: each garment with itself (the
    gain), then with the other (the leak)."""
    names = list(GARMENTS)
    return [(a, a) for a in names] + [(a, b) for a in names for b in names
                                      if a != b]


def pair_key(painted: str, measured: str) -> str:
    """``'upper'`` for a garment with itself, ``'upper->lower'`` for the
    leak of the painted upper garment into the generated lower one."""
    return painted if painted == measured else f'{painted}->{measured}'


@torch.no_grad()
def probe_colour_transfer(
        generate: Generate,
        batches: Iterable[LabelledBatch],
        colours: Sequence[Sequence[int]] = PROBE_COLOURS,
        output_keys: Sequence[str] = ('final', 'coarse')) -> ColourProbe:
    """Mean colours of the generated garments for each probe colour, and
    where the generated images draw them.

    Args:
        generate (Generate): The generator.
        batches (Iterable[LabelledBatch]): Pairs with garment labels.
        colours: Probe colours (K of them), 8-bit RGB.
        output_keys: Outputs of ``generate`` to measure.

    Returns:
        ColourProbe: ``means[output_key][pair_key]``, (P, K, 3): the mean
        colour in 8-bit units of the output inside the target's garment (its
        interior, :func:`~ratenet_plugin.evaluation.garment_fidelity.
        interior`) when the source's garment is painted, for the P pairs
        whose source and target show those garments. ``pair_key``
        (:func:`pair_key`): ``'upper'``, ``'lower'`` (painted and measured
        the same), ``'upper->lower'``, ``'lower->upper'`` (painted one,
        measured the other). ``placement[output_key][garment]``, (P, 3):
        :func:`garment_placement` of the same pairs as ``means``'s
        ``garment`` key.
    """
    means = {
        key: {pair_key(*pair): [] for pair in garment_pairs()}
        for key in output_keys
    }
    placement = {key: {name: [] for name in GARMENTS} for key in output_keys}
    for inputs, src_labels, tgt_labels in batches:
        src_img = inputs['src_img']
        shown = {
            name: (src_labels == value, tgt_labels == value)
            for name, value in GARMENTS.items()
        }
        interiors = {
            name: [interior(torch.from_numpy(m), MIN_PIXELS) for m in tgt]
            for name, (_, tgt) in shown.items()
        }
        for painted in GARMENTS:
            src_masks = torch.from_numpy(shown[painted][0]).to(src_img.device)
            # {key: per colour, (N, 3, H, W) in [0, 255]}
            images = {key: [] for key in output_keys}
            for colour in colours:
                out = generate(
                    paint(src_img, src_masks, colour), inputs['src_pose'],
                    inputs['tgt_pose'])
                for key in output_keys:
                    images[key].append(to_8bit(out[key]))
            for measured in GARMENTS:
                rows = [
                    i for i in range(len(src_img))
                    if shown[painted][0][i].sum() >= MIN_PIXELS
                    and shown[measured][1][i].sum() >= MIN_PIXELS
                ]
                for key in output_keys:
                    found = np.zeros((len(rows), len(colours), 3))
                    for k, batch in enumerate(images[key]):
                        for r, i in enumerate(rows):
                            mask = interiors[measured][i].to(batch.device)
                            found[r, k] = batch[i][:, mask].mean(
                                dim=1).cpu().numpy()
                    means[key][pair_key(painted, measured)].append(found)
                    if measured == painted:
                        gains = pixel_gains(images[key], colours)
                        placement[key][painted].append(
                            np.array([
                                garment_placement(
                                    gains[i], shown[painted][1][i],
                                    interiors[painted][i].numpy())
                                for i in rows
                            ]).reshape(len(rows), 3))  # (0, 3) if none
    return ColourProbe(
        means={
            key: {name: np.concatenate(parts)
                  for name, parts in by_pair.items()}
            for key, by_pair in means.items()
        },
        placement={
            key: {name: np.concatenate(parts)
                  for name, parts in by_name.items()}
            for key, by_name in placement.items()
        })


def summarise(measured: ColourProbe,
              colours: Sequence[Sequence[int]] = PROBE_COLOURS
              ) -> Dict[str, Dict[str, dict]]:
    """Gain (mean over pairs and channels, per channel, and along the
    opponent axes) and the mean output colour per probe colour, for each
    output and garment pair of :func:`probe_colour_transfer`'s result (same
    keys); for a garment with itself also its placement (``coverage``,
    ``spill``, ``gain_where_drawn``: means over the pairs, NaN where no
    pair has a value)."""
    summary: Dict[str, Dict[str, dict]] = {}
    for key, by_name in measured.means.items():
        for name, outputs in by_name.items():
            if not len(outputs):
                continue
            gains = colour_gain(outputs, np.asarray(colours))
            found = summary.setdefault(key, {})[name] = dict(
                gain=float(gains.mean()),
                gain_rgb=[float(g) for g in gains.mean(axis=0)],
                gain_opponent=opponent_gains(outputs.mean(axis=0), colours),
                pairs=int(len(outputs)),
                mean_output={
                    str(tuple(colour)): [float(v) for v in mean]
                    for colour, mean in zip(colours, outputs.mean(axis=0))
                })
            if name in measured.placement[key]:
                with warnings.catch_warnings():
                    # A column without any value (no pixel drawn): NaN.
                    warnings.simplefilter('ignore', RuntimeWarning)
                    where = np.nanmean(measured.placement[key][name], axis=0)
                found.update(
                    zip(('coverage', 'spill', 'gain_where_drawn'),
                        map(float, where)))
    return summary
