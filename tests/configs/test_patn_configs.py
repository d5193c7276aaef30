"""The configs that use PATN's released generator: PB Fixed (Table 2), the
PATN-initialised RATE-Net and the ``patn`` test/inference config, run with
a converted, randomly initialised PATN file on the tiny synthetic set."""
import copy
import csv
import json
from pathlib import Path

import cv2
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from ratenet_plugin.analysis.patn_reference import PATNGenerator
from ratenet_plugin.fileio.checkpoint_file import (CheckpointError,
                                                    CheckpointMismatchError)
from ratenet_plugin.fileio.keypoint_json import write_keypoint_json
from ratenet_plugin.fileio.patn_csv import read_annotation_keypoints
from ratenet_plugin.models.editors.ratenet.patn_conversion import (
    POSE_TRANSFER_PREFIX, convert_patn_checkpoint)
from ratenet_plugin.models.editors.ratenet.pose_transfer_module import \
    PATN_DEEPFASHION_LAYOUT
from ratenet_plugin.registry import MODELS
from tests.tools.tool_testing import load_tool

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / 'configs'
PB_FIXED = (CONFIGS / 'ratenet' /
            'ratenet_pb-fixed_1xb7-40kcycles_deepfashion-256x176.py')
PATN_INIT = (CONFIGS / 'ratenet' /
             'ratenet_patn-init_1xb7-40kcycles_deepfashion-256x176.py')
PATN_TEST = (CONFIGS / 'patn' /
             'patn_released-weights_deepfashion-256x176.py')
#: Tiny PATN layout: the file and the configs' G_P shrink alike.
TINY = dict(base_channels=4, num_blocks=2)


@pytest.mark.parametrize('path', [PB_FIXED, PATN_INIT, PATN_TEST],
                         ids=lambda p: p.name)
def test_configs_use_patns_layout_and_heatmaps(path):
    cfg = Config.fromfile(str(path))
    pose_transfer = cfg.model.generator.pose_transfer.to_dict()
    pose_transfer.pop('type')
    init_cfg = pose_transfer.pop('init_cfg', None)
    assert pose_transfer == dict(PATN_DEEPFASHION_LAYOUT)
    loaders = [cfg.test_dataloader]
    if path != PATN_TEST:
        assert 'tools/convert_patn_checkpoint.py' in init_cfg.pop('remedy')
        assert init_cfg == dict(
            type='StrictPretrained',
            checkpoint='checkpoints/patn_deepfashion_converted.pth',
            prefix=POSE_TRANSFER_PREFIX)
        assert cfg.model.generator.texture_enhancer.num_upsamples == 2
        assert cfg.model.generator.texture_enhancer.num_downsamples == 3
        loaders += [cfg.train_dataloader, cfg.val_dataloader]
    for loader in loaders:
        heatmaps = [
            step for step in loader.dataset.pipeline
            if step.type == 'GeneratePoseHeatmap'
        ]
        assert [step.encoding for step in heatmaps] == ['patn_uint8']
    frozen = cfg.model.generator.get('freeze_pose_transfer', False)
    assert frozen == (path == PB_FIXED)


def frame_of(data_root: str) -> tuple:
    """(H, W) of the synthetic set at ``data_root``."""
    info = json.loads((Path(data_root) / 'synthetic_deepfashion.json')
                      .read_text())
    return (info['height'], info['width'])


@pytest.fixture
def converted(tmp_path) -> Path:
    """PATN's generator file in the tiny layout, converted."""
    torch.manual_seed(0)
    src = tmp_path / 'latest_net_netG.pth'
    torch.save(
        PATNGenerator(ngf=TINY['base_channels'],
                      n_blocks=TINY['num_blocks']).state_dict(), src)
    out = tmp_path / 'patn_converted.pth'
    convert_patn_checkpoint(str(src), str(out), **TINY)
    return out


def pb_fixed_config(data_root: str, checkpoint: Path,
                    work_dir: Path) -> Config:
    """The PB Fixed config, shrunk: one cycle (joint x1, discriminator
    x3) on the tiny synthetic set."""
    cfg = Config.fromfile(str(PB_FIXED))
    cfg.work_dir = str(work_dir)
    generator = cfg.model.generator
    generator.pose_transfer.update(TINY)
    generator.pose_transfer.init_cfg.checkpoint = str(checkpoint)
    generator.texture_enhancer.update(
        base_channels=4, texture_dim=8, num_res_blocks=1, num_adain_blocks=1)
    for key in ('shape_discriminator', 'appearance_discriminator'):
        cfg.model[key].update(base_channels=4, num_res_blocks=1)
    cfg.model.perceptual_loss = dict(
        type='VGG19PerceptualLoss',
        layer_weights=dict(relu1_1=1.0),
        pretrained=None)
    cfg.train_dataloader.update(
        batch_size=2, num_workers=0, persistent_workers=False)
    cfg.train_dataloader.dataset.update(
        data_root=data_root, keypoint_frame=frame_of(data_root))
    cfg.train_cfg.update(max_iters=1, val_interval=100000)
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.custom_hooks = []
    cfg.default_hooks.checkpoint.update(interval=100000, save_last=False)
    cfg.randomness = dict(seed=0)
    return cfg


def test_pb_fixed_trains_g_t_and_discriminators_around_a_frozen_patn(
        tiny_data_root, converted, tmp_path):
    init_default_scope('mmagic')
    runner = Runner.from_cfg(
        pb_fixed_config(tiny_data_root, converted, tmp_path / 'work'))
    model = runner.model
    model.init_weights()  # the Runner's own call in train() is then a no-op
    before = copy.deepcopy(model.state_dict())
    loaded = torch.load(converted, weights_only=True)['state_dict']
    for key, value in loaded.items():
        assert torch.equal(before[key], value), key
    runner.train()
    assert runner.iter == 1
    after = model.state_dict()
    for key in loaded:  # G_P: bit-identical to PATN's converted weights
        assert torch.equal(after[key], loaded[key]), key
    for prefix in ('generator.texture_enhancer.', 'shape_discriminator.',
                   'appearance_discriminator.'):
        changed = [
            key for key in after
            if key.startswith(prefix) and not torch.equal(
                after[key], before[key])
        ]
        assert changed, prefix


def damaged_copy(converted: Path, damage: str) -> Path:
    """The converted file with G_P's last attention conv missing or of
    another shape."""
    checkpoint = torch.load(converted, weights_only=True)
    key = POSE_TRANSFER_PREFIX + 'pat_blocks.1.pose_branch.2.conv.weight'
    if damage == 'missing':
        del checkpoint['state_dict'][key]
    else:
        checkpoint['state_dict'][key] = torch.zeros(16, 16, 3, 3)
    damaged = converted.parent / f'{damage}.pth'
    torch.save(checkpoint, damaged)
    return damaged


def test_pb_fixed_with_a_missing_key_stops_before_training(
        tiny_data_root, converted, tmp_path):
    damaged = damaged_copy(converted, 'missing')
    init_default_scope('mmagic')
    runner = Runner.from_cfg(
        pb_fixed_config(tiny_data_root, damaged, tmp_path / 'work'))
    with pytest.raises(CheckpointMismatchError) as error:
        runner.train()
    message = str(error.value)
    assert str(damaged) in message
    assert '1 missing, 0 unexpected, 0 wrong shapes' in message
    assert 'pat_blocks.1.pose_branch.2.conv.weight' in message
    assert runner.iter == 0


def test_pb_fixed_with_a_wrong_shape_stops_at_init(tiny_data_root, converted,
                                                   tmp_path):
    """The model's init_weights(), which Runner.train() calls first."""
    damaged = damaged_copy(converted, 'shape')
    init_default_scope('mmagic')
    cfg = pb_fixed_config(tiny_data_root, damaged, tmp_path / 'work')
    model = MODELS.build(cfg.model)
    with pytest.raises(CheckpointMismatchError) as error:
        model.init_weights()
    assert ('0 missing, 0 unexpected, 1 wrong shapes; wrong shapes (file vs '
            'network): pat_blocks.1.pose_branch.2.conv.weight [16, 16, 3, 3] '
            'vs [16, 32, 3, 3]') in str(error.value)


def patn_test_config(tmp_path: Path, data_root: str) -> Path:
    """The patn config with a tiny G_P, scored with SSIM on the tiny set."""
    path = tmp_path / 'patn_tiny.py'
    path.write_text(f'''
_base_ = [{str(PATN_TEST)!r}]
model = dict(generator=dict(pose_transfer=dict(
    base_channels={TINY['base_channels']}, num_blocks={TINY['num_blocks']})))
test_dataloader = dict(
    batch_size=3, num_workers=0, persistent_workers=False,
    dataset=dict(data_root={data_root!r},
                 keypoint_frame={frame_of(data_root)!r}))
test_evaluator = dict(type='Evaluator', metrics=[
    dict(type='SSIM', prefix=p, gt_key='gt_img', pred_key=k)
    for p, k in (('final', 'pred_img'), ('coarse', 'coarse_img'))])
''')
    return path


def test_test_and_infer_tools_run_the_patn_config(tiny_data_root, converted,
                                                  tmp_path):
    config = patn_test_config(tmp_path, tiny_data_root)
    out = tmp_path / 'results.json'
    metrics = load_tool('test').main([
        str(config), str(converted), '--work-dir', str(tmp_path / 'test'),
        '--out', str(out)
    ])
    assert set(metrics) == {'final/SSIM', 'coarse/SSIM'}
    # PATN's output is its coarse image (no G_t).
    assert metrics['final/SSIM'] == metrics['coarse/SSIM']
    assert json.loads(out.read_text())['metrics'] == pytest.approx(metrics)

    root = Path(tiny_data_root)
    annotations = root / 'fasion-resize-annotation-test.csv'
    with open(root / 'fasion-resize-pairs-test.csv') as f:
        source, target = next(csv.DictReader(f)).values()
    source_pose = tmp_path / 'source.json'
    frame = frame_of(tiny_data_root)
    write_keypoint_json(
        str(source_pose),
        read_annotation_keypoints(str(annotations), source, frame),
        image_size=frame)
    result = tmp_path / 'result.png'
    assert load_tool('infer').main([
        '--config', str(config), '--checkpoint', str(converted), '--source',
        str(root / 'test' / source), '--source-pose', str(source_pose),
        '--target-pose', str(annotations), '--target-name', target, '--out',
        str(result)
    ]) == 0
    assert cv2.imread(str(result)).shape == frame_of(tiny_data_root) + (3, )


def test_patns_unconverted_file_is_refused_with_the_conversion_command(
        tiny_data_root, converted, tmp_path):
    """PATN's own latest_net_netG.pth where a converted file belongs (the
    likeliest mistake): tools/test.py, tools/infer.py and G_P's init_cfg
    say to convert it, with the command."""
    unconverted = converted.parent / 'latest_net_netG.pth'
    command = (f'{unconverted} is PATN\'s own generator file: convert it '
               f'first, python tools/convert_patn_checkpoint.py {unconverted} '
               'checkpoints/patn_deepfashion_converted.pth (docs/patn.md; '
               '--overwrite replaces an earlier conversion)')
    config = patn_test_config(tmp_path, tiny_data_root)
    with pytest.raises(CheckpointMismatchError) as error:
        load_tool('test').main([
            str(config), str(unconverted), '--work-dir',
            str(tmp_path / 'test')
        ])
    assert command in str(error.value)
    with pytest.raises(CheckpointMismatchError) as error:
        load_tool('infer').main([
            '--config', str(config), '--checkpoint', str(unconverted),
            '--source', str(next((Path(tiny_data_root) / 'test').iterdir())),
            '--target-pose', str(next(
                (Path(tiny_data_root) / 'test').iterdir())), '--out',
            str(tmp_path / 'r.png')
        ])
    assert command in str(error.value)
    init_default_scope('mmagic')
    model = MODELS.build(
        pb_fixed_config(tiny_data_root, unconverted, tmp_path / 'w').model)
    with pytest.raises(CheckpointError) as error:
        model.init_weights()
    assert command in str(error.value)
