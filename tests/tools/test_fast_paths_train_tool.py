"""tools/train.py with the fast-path flags: --amp (bfloat16 on CPU),
--channels-last, --compile."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.registry import init_default_scope

from ratenet_plugin.registry import MODELS
from tests.tools.tool_testing import load_tool

REPO_ROOT = Path(__file__).resolve().parents[2]
TRAIN = REPO_ROOT / 'tools' / 'train.py'


def test_flags_set_the_config(tiny_config_file, tmp_path):
    tool = load_tool('train')
    args = tool.parse_args([
        tiny_config_file(), '--work-dir',
        str(tmp_path), '--amp', '--amp-dtype', 'bfloat16', '--channels-last',
        '--compile', 'max-autotune-no-cudagraphs'
    ])
    cfg = tool.build_config(args)
    assert cfg.model.channels_last is True
    assert cfg.model.torch_compile == dict(mode='max-autotune-no-cudagraphs')
    # The configs' Winograd inference gives way to the compiled graph, and
    # the model builds (the two together are refused).
    assert cfg.model.winograd is False
    init_default_scope('mmagic')
    assert MODELS.build(cfg.model).winograd_layers == 0
    for key in ('generator', 'shape_discriminator',
                'appearance_discriminator'):
        assert cfg.optim_wrapper[key].type == 'AnyDeviceAmpOptimWrapper'
        assert cfg.optim_wrapper[key].dtype == 'bfloat16'
    # Without the flags the config's fast_paths stand (the tiny config:
    # both off; the demo it inherits from: 'auto').
    plain = tool.build_config(tool.parse_args([tiny_config_file()]))
    assert plain.model.get('channels_last', False) is False
    assert plain.optim_wrapper.generator.type == 'OptimWrapper'
    assert 'torch_compile' not in plain.model
    # --no-amp / --no-channels-last override a config's 'auto'.
    auto = tool.build_config(
        tool.parse_args([
            tiny_config_file(), '--no-amp', '--no-channels-last',
            '--cfg-options', 'fast_paths.amp=auto',
            'fast_paths.channels_last=auto'
        ]))
    assert auto.model.get('channels_last', False) is False
    assert auto.optim_wrapper.generator.type == 'OptimWrapper'


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU run')
def test_bf16_channels_last_training_run(tiny_config_file, tmp_path):
    """One cycle through the Runner with the flags; finite losses logged."""
    work_dir = tmp_path / 'work'
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    result = subprocess.run([
        sys.executable, TRAIN,
        tiny_config_file(max_iters=1), '--work-dir', work_dir, '--amp',
        '--amp-dtype', 'bfloat16', '--channels-last'
    ],
                            cwd=tmp_path,
                            env=env,
                            capture_output=True,
                            text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    runs = sorted(p for p in work_dir.iterdir() if p.is_dir())
    records = [
        json.loads(line) for line in (
            runs[-1] / 'vis_data' / 'scalars.json').read_text().splitlines()
    ]
    losses = [r for r in records if 'loss_recon' in r]
    assert len(losses) == 1
    for key in ('loss_recon', 'loss_recon_coarse', 'loss_disc_shape',
                'loss_disc_app', 'loss_sty'):
        assert torch.isfinite(torch.tensor(losses[0][key])), key
    checkpoint = torch.load(work_dir / 'iter_1.pth', weights_only=True)
    # Weights are saved as float32 (autocast never changes master weights).
    assert all(v.dtype == torch.float32
               for k, v in checkpoint['state_dict'].items()
               if k.startswith('generator.') and v.is_floating_point())
