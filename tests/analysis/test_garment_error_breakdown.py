"""Garment colour error pair by pair: the scale change, the slope, the
breakdown on real synthetic pairs with known answers (a generator that
copies its source onto a target that is the same image: no error, slope 1;
one that paints everything grey: slope 0, the error of the grey), and
tools/analysis/garment_error_breakdown.py end to end."""
import json
import math

import numpy as np
import pytest
import torch

from ratenet_plugin.analysis.garment_error_breakdown import (colour_slope,
                                                             pair_errors,
                                                             scale_change,
                                                             summarise)
from ratenet_plugin.evaluation.garment_fidelity import GARMENTS
from tests.analysis.synthetic_pairs_testing import \
    synthetic_labelled_batches
from tests.tools.tool_testing import load_tool

GREY = 0.2  # in [-1, 1]: 153 in 8-bit units


def test_scale_change_is_the_linear_size_ratio_of_the_upper_garment():
    src = np.zeros((40, 30), np.uint8)
    src[5:15, 5:15] = GARMENTS['upper']  # 10 x 10
    tgt = np.zeros((40, 30), np.uint8)
    tgt[2:22, 2:22] = GARMENTS['upper']  # 20 x 20: twice the size
    tgt[25:35, 5:10] = GARMENTS['lower']
    assert scale_change(src, tgt) == pytest.approx(2.0)
    assert scale_change(tgt, src) == pytest.approx(0.5)
    assert math.isnan(scale_change(src, np.zeros_like(src)))


def test_colour_slope_reads_washed_out_colours():
    truth = np.array([[200., 40, 40], [40, 200, 60], [40, 60, 220]])
    centre = np.array([120., 110, 110])
    rows = [{'upper': dict(truth=list(t), generated=list(centre + 0.5 *
                                                         (t - centre)))}
            for t in truth] + [{}]  # a pair without the garment
    slope, residual = colour_slope(rows, 'upper')
    assert slope == pytest.approx(0.5)
    assert residual == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError, match='at least two different colours'):
        colour_slope(rows[:1], 'upper')


def test_breakdown_of_a_copy_and_of_a_grey_image(synthetic_set):
    root, num_pairs = synthetic_set
    batches = synthetic_labelled_batches(root)

    def copy(src_img, src_pose, tgt_pose):
        return dict(final=src_img, coarse=src_img)

    def grey(src_img, src_pose, tgt_pose):
        image = torch.full_like(src_img, GREY)
        return dict(final=image, coarse=image)

    # Each target is its source under another name: the copy is exact.
    rows = pair_errors(copy, batches())
    assert len(rows) == num_pairs
    summary = summarise(rows)
    assert sorted(summary) == ['lower', 'upper']
    for found in summary.values():
        assert found['slope'] == pytest.approx(1.0, abs=1e-4)
        assert found['residual'] == pytest.approx(0.0, abs=1e-3)
        assert list(found['by_scale']) == ['same scale']
        for means in (found['all'], found['by_scale']['same scale']):
            assert 0 < means['pairs'] <= num_pairs
            for key in ('final', 'coarse', 'floor'):
                assert means[key] == pytest.approx(0.0, abs=1e-3)

    rows = pair_errors(grey, batches())
    grey_8bit = (GREY + 1) * 127.5
    for name, found in summarise(rows).items():
        assert found['slope'] == pytest.approx(0.0, abs=1e-4)
        errors = [
            np.linalg.norm(np.subtract(row[name]['truth'], grey_8bit))
            for row in rows if name in row
        ]
        assert found['all']['final'] == pytest.approx(np.mean(errors),
                                                      rel=1e-4)
        assert found['all']['final'] > 10  # the garments are not grey
        assert found['all']['floor'] == pytest.approx(0.0, abs=1e-3)


def test_tool_breaks_a_checkpoint_down(synthetic_checkpoint, tmp_path):
    config, checkpoint = synthetic_checkpoint
    out = tmp_path / 'breakdown.json'
    summary = load_tool('analysis/garment_error_breakdown').main(
        [config, checkpoint, '--max-pairs', '3', '--out', str(out)])
    written = json.loads(out.read_text())
    assert written['summary'] == json.loads(json.dumps(summary))
    assert len(written['pairs']) == 3
    for found in summary.values():
        assert found['all']['pairs'] <= 3
        assert found['all']['final'] > 0  # a random generator is not exact
