"""tools/test.py on a tiny trained checkpoint prints and writes all four
numbers (SSIM, IS, FID, LPIPS) for the final and the coarse image."""
import json
from datetime import datetime

import pytest

from tests.tools.tool_testing import load_tool


# The tiny synthetic images are 32x22, below AlexNet's 31 px minimum per side
# for LPIPS; VGG (>= 16 px) runs the same metric code. Three pairs are scored.
EVALUATOR = '''
test_evaluator = dict(
    type='Evaluator',
    metrics=[
        dict(type=t, prefix=p, pred_key=k, **extra)
        for p, k in (('final', 'pred_img'), ('coarse', 'coarse_img'))
        for t, extra in (('SSIM', {}), ('LPIPS', dict(net='vgg')))
    ] + [
        dict(type=t, prefix=p, fake_key=k, fake_nums=3, **extra)
        for p, k in (('final', 'pred_img'), ('coarse', 'coarse_img'))
        for t, extra in (('PoseTransferFID', {}),
                         ('PoseTransferIS', dict(splits=1)))
    ])
'''


@pytest.mark.timeout(600)
def test_test_tool_reports_all_four_metrics(tiny_config_file, tmp_path,
                                            hub_cache, vgg16_file,
                                            fid_inception_file,
                                            is_inception_file, capsys):
    hub_cache(vgg16_file, fid_inception_file, is_inception_file)
    config = tiny_config_file(max_iters=2)
    load_tool('train').main([config, '--work-dir', str(tmp_path / 'train')])
    checkpoint = tmp_path / 'train' / 'iter_2.pth'
    assert checkpoint.is_file()

    eval_config = tmp_path / 'ratenet_tiny_eval.py'
    eval_config.write_text(f'_base_ = [{config!r}]\n' + EVALUATOR)
    out = tmp_path / 'results.json'
    capsys.readouterr()
    metrics = load_tool('test').main([
        str(eval_config),
        str(checkpoint), '--work-dir',
        str(tmp_path / 'test'), '--out',
        str(out)
    ])

    names = ('SSIM', 'IS', 'FID', 'LPIPS')
    assert set(metrics) == {
        f'{images}/{name}'
        for images in ('final', 'coarse')
        for name in names + ('IS_std', )
    }
    printed = capsys.readouterr().out
    assert '| images | SSIM ↑ | IS ↑ | FID ↓ | LPIPS ↓ | IS_std |' in printed
    assert '| final | ' in printed and '| coarse | ' in printed
    written = json.loads(out.read_text())
    assert written['metrics'] == pytest.approx(metrics)
    assert written['meta']['checkpoint'] == str(checkpoint)
    # ... and which file that was: a later one at the same path differs.
    assert written['meta']['checkpoint_bytes'] == checkpoint.stat().st_size
    assert datetime.fromisoformat(
        written['meta']['checkpoint_modified']).timestamp() == pytest.approx(
            checkpoint.stat().st_mtime, abs=1)
    assert -1 < metrics['final/SSIM'] < 1  # an untrained model
    assert metrics['final/LPIPS'] > 0
    assert metrics['final/FID'] > 0
    assert 1 <= metrics['final/IS'] <= 3
