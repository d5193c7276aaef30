"""Colour transfer gain: the slope, per pixel too, where a garment is
drawn, the probe on real synthetic pairs with known answers (a generator
that copies its source: gain 1, drawn exactly on the target's garment; one
that ignores it: gain 0, drawn nowhere), and
tools/analysis/colour_transfer_probe.py end to end."""
import json

import numpy as np
import pytest
import torch

from ratenet_plugin.analysis.colour_transfer import (DRAWN_GAIN,
                                                     PROBE_COLOURS,
                                                     colour_gain,
                                                     garment_placement,
                                                     opponent_gains,
                                                     pixel_gains,
                                                     probe_colour_transfer,
                                                     summarise)
from ratenet_plugin.evaluation.garment_fidelity import GARMENTS
from tests.analysis.synthetic_pairs_testing import \
    synthetic_labelled_batches
from tests.tools.tool_testing import load_tool


def test_colour_gain_is_the_slope_per_channel():
    colours = np.array(PROBE_COLOURS, float)
    rng = np.random.default_rng(0)
    slopes = np.array([[0.3, 0.5, 1.0], [0.0, 0.9, 0.2]])
    offsets = rng.uniform(0, 100, (2, 1, 3))
    outputs = offsets + slopes[:, None] * colours[None]
    np.testing.assert_allclose(colour_gain(outputs, colours), slopes,
                               atol=1e-9)
    with pytest.raises(ValueError, match='must vary'):
        colour_gain(outputs, np.array([[10, 20, 30]] * 4))


def test_opponent_gains_read_which_colour_directions_pass():
    colours = np.array(PROBE_COLOURS, float)
    axis = np.array([-0.5, 1., -0.5]) / np.linalg.norm([-0.5, 1., -0.5])
    # Everything passes but the green-magenta component, which is dropped.
    drop_green_magenta = np.eye(3) - np.outer(axis, axis)
    outputs = colours @ drop_green_magenta.T + 17.0
    gains = opponent_gains(outputs, colours)
    assert gains == pytest.approx(
        {'luminance': 1.0, 'red-blue': 1.0, 'green-magenta': 0.0}, abs=1e-9)
    assert opponent_gains(colours * 0.5, colours) == pytest.approx(
        dict.fromkeys(gains, 0.5))
    with pytest.raises(ValueError, match='span RGB space'):
        opponent_gains(outputs[:3], colours[:3])


def test_pixel_gains_are_the_slope_of_each_pixel():
    colours = torch.tensor(PROBE_COLOURS, dtype=torch.float32)
    images = []
    for colour in colours:
        image = torch.full((1, 3, 2, 2), 77.)
        image[0, :, 0, 0] = colour  # follows the colour: 1
        image[0, :, 0, 1] = 0.5 * colour + 10  # half way: 0.5
        image[0, 0, 1, 0] = colour[0]  # red channel only: 1/3
        images.append(image)
    np.testing.assert_allclose(
        pixel_gains(images, PROBE_COLOURS), [[[1.0, 0.5], [1 / 3, 0.0]]],
        atol=1e-6)


def test_garment_placement_counts_coverage_spill_and_strength():
    target = np.zeros((6, 6), bool)
    target[1:5, 1:5] = True
    inner = np.zeros((6, 6), bool)
    inner[2:4, 2:4] = True
    gains = np.zeros((6, 6))
    gains[2:4, 3:6] = 0.8  # drawn one column to the right: 6 pixels
    gains[2, 2] = DRAWN_GAIN / 2  # follows, too weakly to count as drawn
    coverage, spill, strength = garment_placement(gains, target, inner)
    assert coverage == pytest.approx(2 / 4)  # (2, 3), (3, 3) of the interior
    assert spill == pytest.approx(2 / 6)  # column 5 lies outside the garment
    assert strength == pytest.approx(0.8)
    nothing = garment_placement(np.zeros((6, 6)), target, inner)
    assert nothing[0] == 0 and np.isnan(nothing[1:]).all()


def test_probe_skips_a_garment_that_no_target_of_a_batch_shows():
    """Hand-made batch: every target shows its upper garment, none its
    lower one (e.g. a back view cut at the waist)."""
    labels = np.zeros((2, 12, 8), np.uint8)
    labels[:, 2:6, 2:6] = GARMENTS['upper']
    src_labels = labels.copy()
    src_labels[:, 7:11, 2:6] = GARMENTS['lower']
    inputs = dict(src_img=torch.zeros(2, 3, 12, 8),
                  src_pose=torch.zeros(2, 18, 12, 8),
                  tgt_pose=torch.zeros(2, 18, 12, 8))

    def copy(src_img, src_pose, tgt_pose):
        return dict(final=src_img)

    probe = probe_colour_transfer(copy, [(inputs, src_labels, labels)],
                                  output_keys=('final', ))
    assert probe.placement['final']['lower'].shape == (0, 3)
    assert probe.placement['final']['upper'] == pytest.approx(
        np.array([[1., 0., 1.]] * 2))
    summary = summarise(probe)['final']
    assert 'lower' not in summary and summary['upper']['pairs'] == 2


def test_probe_gives_one_for_a_copy_and_zero_for_a_fixed_image(
        synthetic_set):
    root, num_pairs = synthetic_set
    batches = synthetic_labelled_batches(root)

    def copy(src_img, src_pose, tgt_pose):
        return dict(final=src_img)

    def fixed(src_img, src_pose, tgt_pose):
        return dict(final=torch.zeros_like(src_img))

    # The copy draws each garment exactly where the target has it, at
    # gain 1; the fixed image draws nothing (spill and strength undefined).
    nan = float('nan')
    for generate, gain, placement in ((copy, 1.0, (1.0, 0.0, 1.0)),
                                      (fixed, 0.0, (0.0, nan, nan))):
        summary = summarise(
            probe_colour_transfer(generate, batches(),
                                  output_keys=('final', )))['final']
        assert sorted(summary) == sorted(
            ['upper', 'lower', 'upper->lower', 'lower->upper'])
        for pair, found in summary.items():
            # A copy keeps each garment's colour in that garment only.
            expected = 0.0 if '->' in pair else gain
            assert found['gain'] == pytest.approx(expected, abs=1e-4)
            assert found['gain_opponent'] == pytest.approx(
                dict.fromkeys(found['gain_opponent'], expected), abs=1e-4)
            assert 0 < found['pairs'] <= num_pairs
            if '->' in pair:
                assert 'coverage' not in found
            else:
                assert [found['coverage'], found['spill'],
                        found['gain_where_drawn']] == pytest.approx(
                            list(placement), abs=1e-4, nan_ok=True)
    # The copy's mean colour in the target garment is the painted colour.
    colour = str(tuple(PROBE_COLOURS[0]))
    np.testing.assert_allclose(
        summarise(probe_colour_transfer(
            copy, batches(),
            output_keys=('final', )))['final']['upper']['mean_output'][colour],
        PROBE_COLOURS[0], atol=0.5)


def test_tool_measures_a_checkpoint(synthetic_checkpoint, tmp_path):
    config, checkpoint = synthetic_checkpoint
    out = tmp_path / 'gains.json'
    summary = load_tool('analysis/colour_transfer_probe').main(
        [config, checkpoint, '--max-pairs', '3', '--out', str(out)])
    written = json.loads(out.read_text())['gains']
    assert written == json.loads(json.dumps(summary))
    for key in ('final', 'coarse'):
        for pair in ('upper', 'lower', 'upper->lower', 'lower->upper'):
            assert written[key][pair]['pairs'] <= 3
            assert np.isfinite(written[key][pair]['gain'])
        for garment in ('upper', 'lower'):
            assert 0 <= written[key][garment]['coverage'] <= 1
