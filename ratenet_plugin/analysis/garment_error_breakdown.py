"""Garment colour error pair by pair: where the held-out error lives.

:class:`~ratenet_plugin.evaluation.garment_fidelity.GarmentFidelity` gives
one mean over the pairs. This breaks the same error down, on pairs of the
synthetic set (whose garment labels say which pixels are the upper and the
lower garment):

- per pair and garment, the colour error of the final image I_t and of the
  coarse I_co (:func:`~ratenet_plugin.evaluation.garment_fidelity.
  garment_errors`), and its **floor**: the error of a generator that paints
  the target's garment in exactly the source's mean garment colour (what
  perfect transfer of the mean colour leaves, since a view shows other parts
  of a textured garment than another);
- per pair, the **scale change**: the square root of the ratio of the
  target's and the source's upper-garment areas (2: the target is a close-up
  of a full-length source; 0.5 the other way round); the pairs are grouped
  into zoom-out, same-scale and zoom-in (:data:`SCALE_GROUPS`);
- over the pairs, the **slope** of the generated garment's mean colour
  against the ground truth's (least squares over pairs and channels, after
  removing each's mean over the pairs): 1 when the generated colours follow
  the people's, below 1 when they are pulled towards one colour (washed
  out). It is the natural pairs' counterpart of the colour probe's gain
  (:mod:`ratenet_plugin.analysis.colour_transfer`, which paints the
  sources), and the **residual**: the mean distance of the generated colours
  from that line (colours wrong in other ways than washed out, e.g. another
  garment's colour).
"""
import math
from typing import Dict, Iterable, List, Tuple

import numpy as np
import torch
from torch import Tensor

from ratenet_plugin.evaluation.garment_fidelity import (GARMENTS,
                                                        garment_errors,
                                                        interior)
from .colour_transfer import MIN_PIXELS, Generate, LabelledBatch, to_8bit

# Scale change intervals [low, high): the target at most 1.4 times larger
# or smaller in linear size than the source counts as the same scale.
SCALE_GROUPS = {
    'zoom out': (0.0, 1 / 1.4),
    'same scale': (1 / 1.4, 1.4),
    'zoom in': (1.4, math.inf),
}
OUTPUT_KEYS = ('final', 'coarse')


def scale_change(src_labels: np.ndarray, tgt_labels: np.ndarray) -> float:
    """sqrt(target's / source's upper-garment area); NaN where either shows
    fewer than :data:`MIN_PIXELS` pixels of it."""
    src = int((src_labels == GARMENTS['upper']).sum())
    tgt = int((tgt_labels == GARMENTS['upper']).sum())
    if min(src, tgt) < MIN_PIXELS:
        return math.nan
    return math.sqrt(tgt / src)


def _mean_colour(image: Tensor, labels: np.ndarray, value: int) -> List[float]:
    """Mean RGB of ``image`` (3, H, W) in the interior of a garment."""
    mask = interior(torch.from_numpy(labels == value), MIN_PIXELS)
    return image[:, mask.to(image.device)].mean(dim=1).tolist()


def pair_errors(generate: Generate,
                batches: Iterable[LabelledBatch]) -> List[dict]:
    """The colour errors of every pair, one dict per pair.

    Args:
        generate (Generate): The generator (``final`` and ``coarse``).
        batches (Iterable[LabelledBatch]): Pairs with garment labels; the
            inputs must hold ``tgt_img`` (a test set with ground truth).

    Returns:
        list[dict]: per pair ``scale`` (:func:`scale_change`) and, for each
        garment both images show with at least :data:`MIN_PIXELS` pixels,
        ``<garment>`` = dict(``final``, ``coarse``: colour errors in 8-bit
        units; ``floor``: the error of the source's own mean colour;
        ``truth``, ``generated``, ``source``: mean colours (R, G, B) of the
        ground truth, I_t and the source in that garment).
    """
    rows = []
    with torch.no_grad():
        for inputs, src_labels, tgt_labels in batches:
            out = generate(inputs['src_img'], inputs['src_pose'],
                           inputs['tgt_pose'])
            images = {key: to_8bit(out[key]) for key in OUTPUT_KEYS}
            truth, source = (to_8bit(inputs['tgt_img']),
                             to_8bit(inputs['src_img']))
            for i in range(len(truth)):
                row = dict(scale=scale_change(src_labels[i], tgt_labels[i]))
                errors = {
                    key: garment_errors(truth[i], images[key][i],
                                        tgt_labels[i], min_pixels=MIN_PIXELS)
                    for key in OUTPUT_KEYS
                }
                for name, value in GARMENTS.items():
                    if ((src_labels[i] == value).sum() < MIN_PIXELS
                            or f'colour_{name}' not in errors['final']):
                        continue
                    found = dict(
                        truth=_mean_colour(truth[i], tgt_labels[i], value),
                        generated=_mean_colour(images['final'][i],
                                               tgt_labels[i], value),
                        source=_mean_colour(source[i], src_labels[i], value))
                    found.update({
                        key: errors[key][f'colour_{name}']
                        for key in OUTPUT_KEYS
                    })
                    found['floor'] = float(
                        np.linalg.norm(
                            np.subtract(found['source'], found['truth'])))
                    row[name] = found
                rows.append(row)
    return rows


def colour_slope(rows: List[dict], garment: str) -> Tuple[float, float]:
    """Slope of the generated mean colours against the ground truth's over
    the pairs, and the mean residual distance (8-bit units) from that line.

    Raises:
        ValueError: Fewer than two pairs show the garment, or their ground
            truths all have one colour (no slope to fit).
    """
    found = [row[garment] for row in rows if garment in row]
    truth = np.array([f['truth'] for f in found], float)
    generated = np.array([f['generated'] for f in found], float)
    truth_dev = truth - truth.mean(axis=0)
    if len(found) < 2 or not (truth_dev**2).sum() > 0:
        raise ValueError(
            f'{len(found)} pairs show the {garment} garment: the ground '
            'truths must show at least two different colours for a slope')
    generated_dev = generated - generated.mean(axis=0)
    slope = float((generated_dev * truth_dev).sum() / (truth_dev**2).sum())
    residual = np.linalg.norm(generated_dev - slope * truth_dev, axis=1)
    return slope, float(residual.mean())


def _mean_errors(found: List[dict]) -> dict:
    """The number of pairs and the mean ``final``, ``coarse`` and ``floor``
    errors of one garment's entries of :func:`pair_errors`."""
    return dict(
        pairs=len(found),
        **{
            key: float(np.mean([f[key] for f in found]))
            for key in OUTPUT_KEYS + ('floor', )
        })


def summarise(rows: List[dict]) -> Dict[str, dict]:
    """Per garment: mean errors (``final``, ``coarse``, ``floor``) over all
    pairs and per scale group (with the number of pairs; groups without a
    pair are left out, and so are pairs whose scale change is NaN), and the
    :func:`colour_slope` and residual."""
    summary = {}
    for name in GARMENTS:
        found = [(row['scale'], row[name]) for row in rows if name in row]
        if not found:
            continue
        groups = {}
        for group, (low, high) in SCALE_GROUPS.items():
            selected = [f for scale, f in found if low <= scale < high]
            if selected:
                groups[group] = _mean_errors(selected)
        summary[name] = dict(
            all=_mean_errors([f for _, f in found]), by_scale=groups)
        try:
            slope, residual = colour_slope(rows, name)
        except ValueError:
            slope = residual = math.nan
        summary[name].update(slope=slope, residual=residual)
    return summary
