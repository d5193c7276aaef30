"""The results table and JSON of tools/test.py and tools/score_folder.py."""
import json

from ratenet_plugin.evaluation import (format_table, metrics_table,
                                       report_results)

METRICS = {
    'final/LPIPS': 0.2181,
    'final/SSIM': 0.77412,
    'coarse/SSIM': 0.78,
    'final/FID': 14.611,
    'final/IS-padded_std': 0.05,
    'final/IS-padded': 3.125,
    'coarse/LPIPS': 0.243,
}


def test_table_has_a_row_per_prefix_and_protocol_ordered_columns():
    lines = format_table(METRICS).splitlines()
    assert lines[0] == ('| images | SSIM ↑ | IS-padded ↑ | FID ↓ | LPIPS ↓ | '
                        'IS-padded_std |')
    assert lines[2] == ('| final | 0.7741 | 3.1250 | 14.6110 | 0.2181 | '
                        '0.0500 |')
    assert lines[3] == '| coarse | 0.7800 |  |  | 0.2430 |  |'


def test_keys_without_prefix_get_their_own_row():
    assert metrics_table({'SSIM': 1.0}) == {'': {'SSIM': 1.0}}
    assert '| - | 1.0000 |' in format_table({'SSIM': 1.0})


def test_report_writes_flat_metrics_table_and_meta(tmp_path):
    out = tmp_path / 'deep' / 'results.json'
    table = report_results(METRICS, str(out), checkpoint='iter_10.pth')
    written = json.loads(out.read_text())
    assert written['metrics'] == METRICS
    assert written['table']['coarse'] == {'SSIM': 0.78, 'LPIPS': 0.243}
    assert written['meta'] == {'checkpoint': 'iter_10.pth'}
    assert table == format_table(METRICS)


def test_tensor_and_numpy_scalars_print_as_numbers():
    import numpy as np
    import torch
    from ratenet_plugin.evaluation.report import format_table
    text = format_table({'final/MAE': torch.tensor(0.25),
                         'final/PSNR': np.float32(20.5)})
    assert 'tensor' not in text
    assert '0.2500' in text and '20.5000' in text


def test_every_metric_of_the_demo_table_says_which_way_is_better():
    from ratenet_plugin.evaluation.report import format_table
    names = ['SSIM', 'PSNR', 'MAE', 'MS-SSIM', 'GMSD', 'HaarPSI',
             'garment_colour', 'garment_colour_upper', 'garment_texture_lower',
             'IS_std']
    header = format_table({f'final/{n}': 1.0 for n in names}).splitlines()[0]
    cells = [c.strip() for c in header.strip('|').split('|')][1:]
    assert set(cells) == {
        'SSIM ↑', 'PSNR ↑', 'MAE ↓', 'MS-SSIM ↑', 'GMSD ↓', 'HaarPSI ↑',
        'garment_colour ↓', 'garment_colour_upper ↓',
        'garment_texture_lower ↓', 'IS_std'
    }
