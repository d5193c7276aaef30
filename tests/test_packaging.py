"""Packaging: the wheel ships configs/tools under ``ratenet_plugin/.mim`` and
``mim train ratenet_plugin CONFIG`` finds and runs them.

The wheel is built as ``python -m build`` builds it, from a source
distribution of a copy of the working tree (so the sdist must carry what
setup.py reads), and installed into a fresh
virtual environment that reuses the project environment's packages through a
``.pth`` file (nothing is downloaded). openmim's own code then resolves the
package, the config and ``tools/train.py``, and trains one cycle.
"""
import os
import os.path as osp
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
import torch

from tests.configs.configs_testing import alias_target, config_files

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEMO_CONFIG = 'ratenet_demo_1xb4-1600cycles_synthetic-64x44.py'
# The project environment's packages, shared with the fresh venvs.
SITE_PACKAGES = sysconfig.get_paths()['purelib']


def _copy_tree(dst: str) -> None:
    shutil.copytree(
        ROOT, dst,
        ignore=shutil.ignore_patterns('.git', '.venv', 'work_dirs', 'data',
                                      'build', 'dist', '*.egg-info', '.mim',
                                      '__pycache__', '.pytest_cache'))


def _run(cmd, **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    assert proc.returncode == 0, (
        f'{" ".join(map(str, cmd))} failed:\n{proc.stdout[-3000:]}\n'
        f'{proc.stderr[-3000:]}')
    return proc


@pytest.fixture(scope='module')
def wheel(tmp_path_factory) -> str:
    work = tmp_path_factory.mktemp('packaging')
    tree = str(work / 'tree')
    _copy_tree(tree)
    _run([sys.executable, 'setup.py', '-q', 'sdist', '-d',
          str(work / 'sdist')], cwd=tree, timeout=300)
    (archive, ) = os.listdir(work / 'sdist')
    shutil.unpack_archive(str(work / 'sdist' / archive), str(work / 'src'))
    (src, ) = (work / 'src').iterdir()
    _run([sys.executable, '-m', 'pip', 'wheel', '--no-deps',
          '--no-build-isolation', '--no-index', '-q', '-w',
          str(work / 'wheels'), str(src)], timeout=300)
    wheels = os.listdir(work / 'wheels')
    assert len(wheels) == 1 and wheels[0].startswith('ratenet_plugin-')
    return str(work / 'wheels' / wheels[0])


@pytest.fixture(scope='module')
def fresh_venv(wheel, tmp_path_factory) -> str:
    """A new venv with only our wheel installed; dependencies come from the
    project environment via a .pth line."""
    venv = str(tmp_path_factory.mktemp('venv') / 'env')
    _run([sys.executable, '-m', 'venv', '--without-pip', venv])
    python = osp.join(venv, 'bin', 'python')
    site = _run([python, '-c', 'import sysconfig; '
                 'print(sysconfig.get_paths()["purelib"])']).stdout.strip()
    with open(osp.join(site, 'project_dependencies.pth'), 'w') as f:
        f.write(SITE_PACKAGES + '\n')
    _run([sys.executable, '-m', 'pip', '--python', python, 'install', '-q',
          '--no-deps', '--no-index', wheel], timeout=300)
    return python


def test_wheel_ships_configs_tools_and_model_index(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
            'ratenet_plugin/.mim/model-index.yml',
            'ratenet_plugin/.mim/configs/ratenet/metafile.yml',
            f'ratenet_plugin/.mim/configs/ratenet/{DEMO_CONFIG}',
            'ratenet_plugin/.mim/configs/ratenet/_base_/default_runtime.py',
            'ratenet_plugin/.mim/tools/train.py',
            'ratenet_plugin/.mim/tools/test.py',
            'ratenet_plugin/.mim/tools/infer.py',
            'ratenet_plugin/.mim/tools/extract_pose.py',
            'ratenet_plugin/apis/inferencer.py'):
        assert required in names, required
    assert not any(n.startswith(('tests/', 'configs/', 'tools/'))
                   for n in names)
    # Every config of the source tree is in the wheel.
    for folder, _, files in os.walk(osp.join(ROOT, 'configs')):
        for name in files:
            if name.endswith(('.py', '.yml')):
                rel = osp.relpath(osp.join(folder, name), ROOT)
                assert f'ratenet_plugin/.mim/{rel}' in names, rel


def test_mim_resolves_package_config_and_tool_in_fresh_venv(fresh_venv):
    """The functions ``mim train`` itself calls, run in the new venv."""
    code = (
        'import os.path as osp, ratenet_plugin\n'
        'from mim.utils import (get_installed_path, module_full_name,\n'
        '                       recursively_find)\n'
        'name = module_full_name("ratenet_plugin")\n'
        'root = get_installed_path(name)\n'
        f'configs = recursively_find(root, "{DEMO_CONFIG}",\n'
        '                           followlinks=True)\n'
        'print(name, osp.dirname(ratenet_plugin.__file__), root, '
        '*configs, sep="\\n")\n')
    lines = _run([fresh_venv, '-c', code], cwd='/',
                 timeout=300).stdout.split('\n')
    name, imported_from, root, *configs = [x for x in lines if x]
    assert name == 'ratenet_plugin'
    venv_root = osp.dirname(osp.dirname(fresh_venv))
    assert imported_from == root and root.startswith(venv_root)
    assert configs == [
        osp.join(root, '.mim', 'configs', 'ratenet', DEMO_CONFIG)
    ]
    assert osp.isfile(osp.join(root, '.mim', 'tools', 'train.py'))


def test_mim_train_and_test_run_our_tools_on_our_config(fresh_venv, tmp_path):
    """``mim train ratenet_plugin <the demo config>`` for one cycle, then
    ``mim test`` on its checkpoint, from a folder without that config."""
    work_dir = tmp_path / 'work'
    tiny_data = []  # a 3-identity synthetic set instead of the demo's 200
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        tiny_data += [
            f'{loader}.dataset.data_root={tmp_path / "data"}',
            f'{loader}.dataset.synthetic.num_identities=3',
            f'{loader}.dataset.synthetic.poses_per_identity=2',
            f'{loader}.dataset.synthetic.num_test_identities=1'
        ]
    site = _run([fresh_venv, '-c', 'import sysconfig; '
                 'print(sysconfig.get_paths()["purelib"])']).stdout.strip()
    installed_tools = osp.join(site, 'ratenet_plugin', '.mim', 'tools')

    train = _run([
        fresh_venv, '-m', 'mim', 'train', 'ratenet_plugin', DEMO_CONFIG,
        '--gpus', '0', '--work-dir', str(work_dir), '--cfg-options',
        'train_cfg.max_iters=1', 'train_cfg.val_interval=1',
        'default_hooks.checkpoint.interval=1', *tiny_data
    ], cwd=str(tmp_path), timeout=600)
    assert 'we find the config file in codebase ratenet_plugin' in \
        train.stdout
    assert f'Training command is {fresh_venv} ' \
        f'{osp.join(installed_tools, "train.py")}' in train.stdout
    assert 'Training finished successfully' in train.stdout
    assert (work_dir / 'iter_1.pth').is_file()
    # Test the weights as a model zoo ships them (state_dict and meta).
    trained = torch.load(work_dir / 'iter_1.pth', weights_only=False)
    checkpoint = tmp_path / 'released.pth'
    torch.save(dict(meta=trained['meta'], state_dict=trained['state_dict']),
               checkpoint)

    test = _run([
        fresh_venv, '-m', 'mim', 'test', 'ratenet_plugin', DEMO_CONFIG,
        '--checkpoint', str(checkpoint), '--gpus', '0', '--work-dir',
        str(tmp_path / 'test'), '--cfg-options', *tiny_data
    ], cwd=str(tmp_path), timeout=600)
    assert f'{osp.join(installed_tools, "test.py")}' in test.stdout
    assert 'Testing finished successfully' in test.stdout
    assert 'final/SSIM' in test.stdout + test.stderr


def test_mim_install_editable_in_fresh_venv(tmp_path):
    """``mim install -e .`` (setup.py develop through pip) into a new venv:
    mim then resolves the package to the source copy and its .mim links."""
    src = str(tmp_path / 'src')
    _copy_tree(src)
    venv = str(tmp_path / 'env')
    _run([sys.executable, '-m', 'venv', '--without-pip', venv])
    python = osp.join(venv, 'bin', 'python')
    site = _run([python, '-c', 'import sysconfig; '
                 'print(sysconfig.get_paths()["purelib"])']).stdout.strip()
    with open(osp.join(site, 'project_dependencies.pth'), 'w') as f:
        f.write(SITE_PACKAGES + '\n')
    _run([python, '-m', 'mim', 'install', '-e', src], cwd=str(tmp_path),
         timeout=300)
    root = _run([
        python, '-c', 'from mim.utils import get_installed_path; '
        'print(get_installed_path("ratenet_plugin"))'
    ], cwd='/').stdout.strip()
    assert root == osp.join(src, 'ratenet_plugin')
    for name in ('configs', 'tools', 'model-index.yml'):
        assert osp.samefile(osp.join(root, '.mim', name), osp.join(src, name))


def test_editable_install_exposes_mim_folder():
    """The project environment (``pip install -e .``): mim resolves the
    package to the source tree, whose .mim links see every config."""
    from mim.utils import get_installed_path

    root = get_installed_path('ratenet_plugin')
    assert osp.realpath(root) == osp.join(osp.realpath(ROOT),
                                          'ratenet_plugin')
    for name in ('configs', 'tools'):
        assert osp.samefile(osp.join(root, '.mim', name), osp.join(ROOT,
                                                                   name))


def test_mim_search_reads_our_model_index(fresh_venv):
    """``mim search`` (openmim + model-index) lists our configs."""
    proc = _run([fresh_venv, '-m', 'mim', 'search', 'ratenet_plugin',
                 '--field', 'config'], cwd='/', timeout=300)
    for name in ('ratenet_full_1xb7-40kcycles_deepfashion-256x176',
                 'ratenet_mmagic-patchgan-demo_1xb4-1600cycles_synthetic-64x44',
                 'pix2pix_vanilla-unet-bn_1xb7-200kiters_deepfashion-pose'):
        assert name in proc.stdout


def test_model_index_lists_every_config():
    from modelindex.load_model_index import load

    index = load(osp.join(ROOT, 'model-index.yml'))
    index.build_models_with_collections()
    collections = {c.name for c in index.collections}
    listed = set()
    for model in index.models:
        assert model.in_collection in collections, model.name
        assert model.name == osp.splitext(osp.basename(model.config))[0]
        assert osp.isfile(osp.join(ROOT, model.config)), model.config
        listed.add(model.config)
    # Old names kept as aliases are not listed; every other config is.
    on_disk = {
        osp.relpath(path, ROOT)
        for path in config_files() if alias_target(path) is None
    }
    assert on_disk == listed
    # The paper's numbers are not results of our configs: comments only.
    assert not any(model.results for model in index.models)
    metafile = Path(ROOT, 'configs', 'ratenet', 'metafile.yml').read_text()
    assert ('# Paper: SSIM 0.774, IS 3.125, FID 14.611, LPIPS 0.218.\n'
            '- Config: configs/ratenet/'
            'ratenet_full_1xb7-40kcycles_deepfashion-256x176.py\n') in metafile
