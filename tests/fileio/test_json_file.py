"""Results JSON: strict JSON any parser reads, whatever the values."""
import json

import numpy as np
import pytest
import torch
from mmengine.config import Config

from ratenet_plugin.evaluation import report_results
from ratenet_plugin.fileio.json_file import write_json


def strict_load(path):
    """json.load refusing NaN and Infinity, as browsers, Node and jq do."""
    def refuse(name):
        raise ValueError(f'not JSON: {name}')

    return json.loads(path.read_text(), parse_constant=refuse)


def test_non_finite_numbers_are_null_and_scalars_plain(tmp_path):
    path = tmp_path / 'out' / 'r.json'
    write_json(path, dict(
        gain=float('nan'), spill=float('inf'),
        scores=np.array([1.5, np.nan], np.float32),
        count=np.int64(3), loss=torch.tensor(0.25),
        cfg=Config(dict(a=dict(b=(1, 2)))), pair=('a', 'b'), flag=True))
    assert strict_load(path) == dict(
        gain=None, spill=None, scores=[1.5, None], count=3, loss=0.25,
        cfg=dict(a=dict(b=[1, 2])), pair=['a', 'b'], flag=True)


def test_a_metric_with_nothing_to_measure_keeps_the_results_file_valid(
        tmp_path):
    """GarmentFidelity's mean over no garment is NaN: the results JSON of
    test.py stays parseable (json.dump wrote a bare NaN)."""
    path = tmp_path / 'results.json'
    report_results({'final/garment_colour_lower': float('nan'),
                    'final/SSIM': np.float64(0.5)}, str(path))
    assert strict_load(path)['metrics'] == {
        'final/garment_colour_lower': None, 'final/SSIM': 0.5}


def test_strict_load_refuses_what_json_dump_writes(tmp_path):
    path = tmp_path / 'nan.json'
    path.write_text(json.dumps({'x': float('nan')}))
    with pytest.raises(ValueError, match='NaN'):
        strict_load(path)
