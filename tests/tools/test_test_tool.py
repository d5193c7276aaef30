"""tools/test.py given a checkpoint it cannot use: one `error:` line naming
the file and what is wrong, exit code 2, nothing evaluated."""
import numpy as np
import pytest
from tests.tools.tool_testing import (REPO_ROOT, run_tool,
                                      save_other_architecture_checkpoint,
                                      user_error_line)

TEST = REPO_ROOT / 'tools' / 'test.py'


@pytest.fixture
def config(tiny_config_file, tmp_path) -> str:
    """The tiny config with SSIM only (no metric weights to download)."""
    path = tmp_path / 'ratenet_tiny_ssim.py'
    path.write_text(f'_base_ = [{tiny_config_file()!r}]\n'
                    'test_evaluator = dict(_delete_=True, type="Evaluator", '
                    'metrics=[dict(type="SSIM")])\n')
    return str(path)


def error_line(result, out) -> str:
    """The one error line of a run that evaluated nothing."""
    line = user_error_line(result)
    assert not out.exists()
    return line


def test_a_checkpoint_of_another_architecture(config, tmp_path):
    other = tmp_path / 'other.pth'
    save_other_architecture_checkpoint(config, other)
    out = tmp_path / 'results.json'
    line = error_line(
        run_tool(TEST, config, other, '--out', out, cwd=tmp_path), out)
    assert line.startswith(f'error: {other} does not match the model of '
                           f'{config}: 0 missing, 0 unexpected, ')


def test_an_unsafe_file(config, tmp_path, bad_checkpoints):
    """(Truncated, empty and foreign files: tests/fileio, and the same
    reader in tools/train.py and tools/infer.py.)"""
    out = tmp_path / 'results.json'
    line = error_line(
        run_tool(TEST, config, bad_checkpoints['malicious'], '--out', out,
                 cwd=tmp_path), out)
    assert line.startswith(f'error: checkpoint {bad_checkpoints["malicious"]}'
                           ' is not a weights-only checkpoint: it would call '
                           'posix.system while loading, so it was refused for '
                           'safety')
    assert not bad_checkpoints['marker'].exists()


def test_grid_of_test_samples(config, tiny_model_files, tmp_path):
    """--grid writes RGB rows of samples spread over the test set: the
    first row is the first pair, its first panel that pair's source."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from ratenet_plugin.fileio.image_file import read_image
    from ratenet_plugin.registry import DATASETS

    grid_file = tmp_path / 'grids' / 'grid.png'
    result = run_tool(TEST, config, tiny_model_files[1], '--out',
                      tmp_path / 'results.json', '--grid', grid_file,
                      '--grid-rows', 2, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    grid = read_image(str(grid_file))
    height, width = 32, 22
    assert grid.shape == (2 * height, 6 * width, 3)
    init_default_scope('mmagic')
    dataset = DATASETS.build(Config.fromfile(config).test_dataloader.dataset)
    source = read_image(dataset.get_data_info(0)['src_img_path'])
    assert source.shape == (height, width, 3)
    difference = np.abs(grid[:height, :width].astype(int) - source)
    assert difference.max() <= 1


def test_a_checkpoint_given_under_home_is_scored(config, tiny_model_files,
                                                 tmp_path, monkeypatch):
    """``~/ck.pth`` as a shell leaves it quoted: expanded for loading and for
    the results' record of the file."""
    import json
    import shutil

    from tests.tools.tool_testing import load_tool
    home = tmp_path / 'home'
    home.mkdir()
    shutil.copy(tiny_model_files[1], home / 'ck.pth')
    monkeypatch.setenv('HOME', str(home))
    out = tmp_path / 'results.json'
    load_tool('test').main([config, '~/ck.pth', '--work-dir',
                            str(tmp_path / 'work'), '--out', str(out)])
    meta = json.loads(out.read_text())['meta']
    assert meta['checkpoint'] == str(home / 'ck.pth')
    assert meta['checkpoint_bytes'] == (home / 'ck.pth').stat().st_size
    # What was scored: the test set's files and its number of pairs.
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from ratenet_plugin.registry import DATASETS
    init_default_scope('mmagic')
    dataset = DATASETS.build(Config.fromfile(config).test_dataloader.dataset)
    [data] = meta['data']
    assert data == dict(dataset='DeepFashionPoseDataset',
                        data_root=dataset.data_root,
                        ann_file=dataset.ann_file,
                        pairs_file=dataset.pairs_file, samples=len(dataset))
    assert data['samples'] > 0
