"""Fixtures shared across the suite: a tiny synthetic data set and a tiny,
complete RATE-Net config (the demo config scaled down) for Runner-level tests."""
import os
import os.path as osp
from pathlib import Path

# Idle OpenMP threads sleep at once rather than spin, so tests that start
# subprocesses (which inherit this) and the suite itself do not stall each
# other on the shared cores (docs/environment.md). Set before anything
# imports torch.
os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
DEMO_CONFIG = (REPO_ROOT / 'configs' / 'ratenet' /
               'ratenet_demo_1xb4-1600cycles_synthetic-64x44.py')

#: Synthetic set for Runner-level tests: 32x22 images, 4 identities x 3 poses
#: (1 identity held out), PNG so that pixels are exact.
TINY_SYNTHETIC = dict(
    num_identities=4,
    poses_per_identity=3,
    num_test_identities=1,
    seed=0,
    image_format='png')
TINY_SIZE = (32, 22)


def tiny_config_text(data_root: str, *, max_iters: int = 3,
                     cycle=(('pose_transfer', 1), ('joint', 1),
                            ('discriminator', 3)),
                     dropout: float = 0.5, flip_prob: float = 0.5,
                     checkpoint_interval: int = 1000,
                     val_interval: int = 100000) -> str:
    """A config file that inherits the demo and shrinks everything."""
    return f'''
_base_ = [{str(DEMO_CONFIG)!r}]
image_size = {TINY_SIZE!r}
synthetic = {TINY_SYNTHETIC!r}
data_root = {data_root!r}
# float32 in the default layout whatever the CPU; fast paths have their own
# tests.
fast_paths = dict(amp=False, channels_last=False)
model = dict(
    generator=dict(
        pose_transfer=dict(base_channels=4, num_blocks=2, dropout={dropout}),
        texture_enhancer=dict(base_channels=4, texture_dim=8,
                              num_res_blocks=1, num_adain_blocks=1)),
    shape_discriminator=dict(base_channels=4, dropout={dropout}),
    appearance_discriminator=dict(base_channels=4, dropout={dropout}),
    perceptual_loss=dict(layer_weights=dict(relu1_1=1.0),
                         layer_weights_style=dict(relu1_1=1.0)))
pipeline = [
    dict(type='LoadPosePairFromFile'),
    dict(type='PoseAwareFlip', prob={flip_prob}),
    dict(type='GeneratePoseHeatmap', sigma=6.0),
    dict(type='PackPoseInputs'),
]
_dataset = dict(data_root=data_root, keypoint_frame=image_size,
                synthetic=synthetic)
train_dataloader = dict(batch_size=2, dataset=dict(_dataset, pipeline=pipeline))
val_dataloader = dict(batch_size=3, dataset=_dataset)
test_dataloader = val_dataloader
train_cfg = dict(max_iters={max_iters}, val_interval={val_interval},
                 cycle={[list(c) for c in cycle]!r})
param_scheduler = [
    dict(type='ConstantLR', factor=1.0, begin=0, end=1, by_epoch=False),
    dict(type='LinearLR', start_factor=1.0, end_factor=0.0, begin=1,
         end=5, by_epoch=False),
]
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval={checkpoint_interval}, max_keep_ckpts=10))
custom_hooks = [dict(type='RandomStateHook')]
randomness = dict(seed=0)
'''


@pytest.fixture(scope='session')
def tiny_data_root(tmp_path_factory) -> str:
    """A tiny synthetic DeepFashion-format set, generated once per session."""
    from ratenet_plugin.datasets.synthetic import ensure_synthetic_deepfashion
    root = osp.join(str(tmp_path_factory.mktemp('synthetic')), 'tiny')
    ensure_synthetic_deepfashion(
        root, height=TINY_SIZE[0], width=TINY_SIZE[1], **TINY_SYNTHETIC)
    return root


@pytest.fixture
def tiny_config_file(tmp_path, tiny_data_root):
    """Factory: write a tiny config (keyword overrides of tiny_config_text)."""

    def write(name: str = 'ratenet_tiny.py', **kwargs) -> str:
        path = tmp_path / name
        path.write_text(tiny_config_text(tiny_data_root, **kwargs))
        return str(path)

    return write


@pytest.fixture(scope='session')
def tiny_model_files(tmp_path_factory, tiny_data_root):
    """``(config file, checkpoint)``: the tiny config (32x22 results) and a
    randomly initialised model of it, saved as MMEngine's CheckpointHook
    does; for inference tests that need files, not objects."""
    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import ratenet_plugin  # noqa: F401  (registers the models)
    from ratenet_plugin.registry import MODELS

    folder = tmp_path_factory.mktemp('tiny_model')
    config = folder / 'ratenet_tiny.py'
    config.write_text(tiny_config_text(tiny_data_root))
    init_default_scope('mmagic')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(str(config)).model)
    model.init_weights()
    checkpoint = folder / 'iter_3.pth'
    torch.save(dict(meta=dict(), state_dict=model.state_dict()), checkpoint)
    return str(config), str(checkpoint)


class RunsShellCommand:
    """Unpickles as a call of ``os.system(command)`` (``posix.system``)."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return os.system, (self.command, )


@pytest.fixture
def bad_checkpoints(tmp_path) -> dict:
    """Checkpoint files a user may pass by mistake or receive from an attacker.

    ``truncated``: the first half of a valid checkpoint; ``empty``: 0 bytes;
    ``foreign``: a text file; ``malicious``: a pickle that, unpickled
    unsafely, would run ``touch <marker>`` through ``os.system``;
    ``marker``: that file, which must never appear.
    """
    import torch

    folder = tmp_path / 'bad_checkpoints'
    folder.mkdir()
    valid = folder / 'valid.pth'
    torch.save(dict(meta=dict(iter=1), state_dict=dict(w=torch.ones(64))),
               valid)
    data = valid.read_bytes()
    marker = folder / 'code_was_run'
    files = dict(truncated=data[:len(data) // 2], empty=b'',
                 foreign=b'name,score\nanna,3\n')
    paths = {}
    for name, content in files.items():
        paths[name] = folder / f'{name}.pth'
        paths[name].write_bytes(content)
    paths['malicious'] = folder / 'malicious.pth'
    torch.save(dict(meta=dict(iter=1),
                    state_dict=RunsShellCommand(f'touch {marker}')),
               paths['malicious'])
    paths['marker'] = marker
    return paths
