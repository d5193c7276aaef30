"""Every config in configs/ parses and its model and datasets build."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import ratenet_plugin  # noqa: F401
from ratenet_plugin.registry import DATASETS, MODELS
from tests.configs.configs_testing import (CONFIG_ROOT, alias_target,
                                           config_files)

CONFIGS = [p for p in config_files() if alias_target(p) is None]
ALIASES = [p for p in config_files() if alias_target(p) is not None]


def test_configs_were_found():
    names = {p.name for p in CONFIGS}
    assert {
        'ratenet_full_1xb7-40kcycles_deepfashion-256x176.py',
        'ratenet_demo_1xb4-1600cycles_synthetic-64x44.py',
        'ratenet_pb-only_1xb7-40kcycles_deepfashion-256x176.py',
        'ratenet_pb-fixed_1xb7-40kcycles_deepfashion-256x176.py',
        'ratenet_texture64dim_1xb7-40kcycles_deepfashion-256x176.py'
    } <= names


def test_old_config_names_are_aliases_of_the_renamed_configs():
    assert {p.name for p in ALIASES} >= {
        'ratenet_deepfashion.py', 'ratenet_demo.py',
        'ratenet_pb-only_deepfashion.py', 'ratenet_pb-fixed_deepfashion.py',
        'ratenet_texture64dim_deepfashion.py',
        'ratenet_mmagic-patchgan_deepfashion.py',
        'ratenet_mmagic-patchgan_demo.py'
    }
    for alias in ALIASES:
        target = alias_target(alias)
        assert target in CONFIGS, alias
        assert Config.fromfile(str(alias)).to_dict() == \
            Config.fromfile(str(target)).to_dict()


def without_pretrained_files(model_cfg: dict) -> dict:
    """Networks that read local weights in init_weights are built randomly."""
    if model_cfg.get('perceptual_loss') is not None:
        model_cfg['perceptual_loss']['pretrained'] = None
    return model_cfg


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: p.name)
def test_config_builds(path):
    cfg = Config.fromfile(str(path))
    init_default_scope(cfg.get('default_scope', 'mmagic'))
    model = MODELS.build(without_pretrained_files(cfg.model.to_dict()))
    assert sum(p.numel() for p in model.parameters()) > 0
    for split in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(split) is None:
            continue
        dataset_cfg = cfg[split].dataset.to_dict()
        # Real-data configs point at data/deepfashion, absent here: build the
        # dataset object without indexing the files.
        if dataset_cfg.get('synthetic') is None:
            dataset_cfg['lazy_init'] = True
        dataset = DATASETS.build(dataset_cfg)
        assert dataset.pipeline.transforms


def test_paper_config_reads_like_section_4_2():
    cfg = Config.fromfile(
        str(CONFIG_ROOT / 'ratenet' /
            'ratenet_full_1xb7-40kcycles_deepfashion-256x176.py'))
    assert cfg.train_cfg.type == 'RATELoop'
    assert cfg.train_cfg.max_iters == 40000
    assert [tuple(c) for c in cfg.train_cfg.cycle] == [
        ('pose_transfer', 1), ('joint', 1), ('discriminator', 3)]
    for key in ('generator', 'shape_discriminator', 'appearance_discriminator'):
        # foreach: PyTorch's multi-tensor step (same arithmetic, faster).
        assert cfg.optim_wrapper[key].optimizer == dict(
            type='RAdam', lr=1e-4, foreach=True)
    constant, linear = cfg.param_scheduler
    assert (constant.type, constant.end) == ('ConstantLR', 10000)
    assert (linear.type, linear.begin, linear.end, linear.end_factor) == (
        'LinearLR', 10000, 40000, 0.0)
    generator = cfg.model.generator
    assert generator.pose_transfer.num_downsamples == 3
    assert generator.pose_transfer.num_blocks == 9
    assert generator.texture_enhancer.num_downsamples == 3
    assert generator.texture_enhancer.texture_dim == 128
    # Section 3.3: z_t from I_s alone (pose_channels stays an option).
    assert generator.texture_enhancer.get('pose_channels', 0) == 0
    assert cfg.model.generator.pose_transfer.act_cfg == dict(
        type='LeakyReLU', negative_slope=0.2)
    assert (cfg.model.lambda_recon, cfg.model.lambda_per, cfg.model.lambda_sty,
            cfg.model.lambda_gan) == (10.0, 5.0, 5.0, 5.0)


def test_demo_configs_weight_the_losses_as_documented():
    """The main job weights L_GAN 1 (recipe K), the others as the paper;
    the 3,200-cycle config keeps the paper's 5, as measured (recipe J),
    and is the main job's model otherwise (docs/training.md)."""
    main, longer = (Config.fromfile(
        str(CONFIG_ROOT / 'ratenet' /
            f'ratenet_demo_1xb8-{cycles}cycles_synthetic-64x44.py'))
                    for cycles in (1200, 3200))
    weights = ('lambda_recon', 'lambda_per', 'lambda_sty', 'lambda_gan')
    assert [main.model[k] for k in weights] == [10.0, 5.0, 5.0, 1.0]
    assert [longer.model[k] for k in weights] == [10.0, 5.0, 5.0, 5.0]
    assert longer.model.generator == main.model.generator
    assert longer.model.perceptual_loss == main.model.perceptual_loss


def test_recipe_m_is_recipe_k_with_more_steps_on_smaller_batches():
    """Recipe M (docs/training.md; the main job until recipe N, which
    inherits it): K's model, losses and data with batches of 4 for 1,800
    cycles; the rate constant for the first half, then linear to 0 at the
    last cycle; metrics, grid and checkpoint together, the last ones at the
    last cycle."""
    main, k = (Config.fromfile(str(CONFIG_ROOT / 'ratenet' / name))
               for name in ('ratenet_demo_1xb4-1800cycles_synthetic-64x44.py',
                            'ratenet_demo_1xb8-1200cycles_synthetic-64x44.py'))
    assert main.model == k.model
    assert main.train_dataloader.dataset == k.train_dataloader.dataset
    assert (main.train_dataloader.batch_size, main.train_cfg.max_iters) == (
        4, 1800)
    constant, linear = main.param_scheduler
    assert (constant.type, constant.end) == ('ConstantLR', 900)
    assert (linear.type, linear.begin, linear.end,
            linear.end_factor) == ('LinearLR', 900, 1800, 0.0)
    interval = main.train_cfg.val_interval
    assert main.default_hooks.checkpoint.interval == interval
    assert [h.interval for h in main.custom_hooks
            if h.type == 'PoseTransferVisualizationHook'] == [interval]
    assert main.train_cfg.max_iters % interval == 0


def test_main_job_is_recipe_m_with_pat_blocks_on_32x22_positions():
    """Recipe N (docs/training.md): M with one down-sampling in G_P, so
    that its PAT blocks work on 32x22 positions of the 64x44 image (the
    paper's on 256x176 with three); G_t's decoder up-samples once to match,
    its texture encoder keeps two; everything else is M's."""
    main, m = (Config.fromfile(str(CONFIG_ROOT / 'ratenet' / name))
               for name in (
                   'ratenet_demo-pat32x22_1xb4-1800cycles_synthetic-64x44.py',
                   'ratenet_demo_1xb4-1800cycles_synthetic-64x44.py'))
    init_default_scope('mmagic')
    h, w = main.image_size
    out = MODELS.build(main.model.generator).eval()(
        torch.zeros(1, 3, h, w), torch.zeros(1, 18, h, w),
        torch.zeros(1, 18, h, w))
    assert out['feature'].shape[-2:] == (32, 22)
    assert out['final'].shape == (1, 3, h, w)

    texture = main.model.generator.texture_enhancer
    assert (texture.num_downsamples, texture.num_upsamples) == (2, 1)
    # Undo N's two changes: what is left must be M's model.
    del texture.num_upsamples
    main.model.generator.pose_transfer.num_downsamples = 2
    assert main.model == m.model
    for key in ('train_dataloader', 'train_cfg', 'param_scheduler',
                'optim_wrapper', 'custom_hooks', 'default_hooks',
                'val_evaluator', 'randomness'):
        assert main[key] == m[key], key


def test_paper_config_copies_batches_to_the_gpu_without_waiting(
        tiny_data_root):
    """Page-locked batches (pin_memory) and non-blocking host-to-device
    copies in the preprocessor: the GPU does not wait for each batch. (The
    loaders are built over the tiny synthetic set, which has DeepFashion's
    file names.)"""
    import json

    from mmengine.runner import Runner
    info = json.loads(
        (Path(tiny_data_root) / 'synthetic_deepfashion.json').read_text())
    cfg = Config.fromfile(
        str(CONFIG_ROOT / 'ratenet' /
            'ratenet_full_1xb7-40kcycles_deepfashion-256x176.py'))
    init_default_scope('mmagic')
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader_cfg = cfg[name].to_dict()
        loader_cfg['dataset'].update(
            data_root=tiny_data_root,
            keypoint_frame=(info['height'], info['width']))
        assert Runner.build_dataloader(loader_cfg).pin_memory, name
    assert MODELS.build(cfg.model.data_preprocessor)._non_blocking
    # Batches stacked in the workers, see tests/engine/test_rate_loop.py.
    assert cfg.train_dataloader.collate_fn == dict(type='default_collate')


def test_ablations_differ_from_the_full_model_only_where_table_2_says():
    load = lambda name: Config.fromfile(str(CONFIG_ROOT / 'ratenet' / name))  # noqa
    full = load('ratenet_full_1xb7-40kcycles_deepfashion-256x176.py')
    pb_only = load('ratenet_pb-only_1xb7-40kcycles_deepfashion-256x176.py')
    assert pb_only.model.generator.texture_enhancer is None
    assert [c[0] for c in pb_only.train_cfg.cycle] == ['joint', 'discriminator']
    pb_fixed = load('ratenet_pb-fixed_1xb7-40kcycles_deepfashion-256x176.py')
    assert pb_fixed.model.generator.freeze_pose_transfer is True
    assert pb_fixed.model.generator.pose_transfer.init_cfg.type == \
        'StrictPretrained'
    texture64 = load(
        'ratenet_texture64dim_1xb7-40kcycles_deepfashion-256x176.py')
    assert texture64.model.generator.texture_enhancer.texture_dim == 64
    assert texture64.model.generator.pose_transfer == full.model.generator.pose_transfer


def test_own_data_config_is_the_main_job_without_the_synthetic_parts(
        tmp_path, tiny_data_root):
    """configs/ratenet/..._own-data-64x44.py: the main job's model and
    recipe on a PATN-format folder of one's own (no synthetic set generated,
    no garment figures, which need the synthetic set's labels). The main
    job's config pointed at such a folder is refused when loaded (it stopped
    at the first validation, hundreds of cycles in)."""
    import shutil

    from ratenet_plugin.fileio.errors import UserInputError
    from ratenet_plugin.utils.config import load_config
    from tests.conftest import TINY_SIZE
    from tests.tools.tool_testing import load_tool
    folder = CONFIG_ROOT / 'ratenet'
    main_file = folder / ('ratenet_demo-pat32x22_1xb4-1800cycles_'
                          'synthetic-64x44.py')
    own_file = folder / ('ratenet_demo-pat32x22_1xb4-1800cycles_'
                         'own-data-64x44.py')
    main, own = Config.fromfile(str(main_file)), Config.fromfile(
        str(own_file))
    for key in ('model', 'train_cfg', 'param_scheduler', 'optim_wrapper',
                'default_hooks', 'randomness'):
        assert own[key] == main[key], key
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert own[loader].dataset.synthetic is None
    for evaluator in (own.val_evaluator, own.test_evaluator):
        types = [m['type'] for m in evaluator.metrics]
        assert 'GarmentFidelity' not in types and 'SSIM' in types
    # A folder of one's own: the tiny set without labels or synthetic marker.
    data = tmp_path / 'own'
    shutil.copytree(tiny_data_root, data, ignore=shutil.ignore_patterns(
        '*_labels', 'synthetic_deepfashion.json'))
    options = {'data_root': str(data), 'image_size': TINY_SIZE}
    with pytest.raises(UserInputError, match='GarmentFidelity scores the '
                       'garment label images that only the synthetic sets '
                       'have.*_own-data-64x44.py'):
        load_config(str(main_file), options)
    h, w = TINY_SIZE
    load_tool('train').main([
        str(own_file), '--work-dir', str(tmp_path / 'work'), '--cfg-options',
        f'data_root={data}', f'image_size=({h},{w})',
        'train_cfg.max_iters=1', 'train_cfg.val_interval=1'
    ])
    assert (tmp_path / 'work' / 'iter_1.pth').is_file()
    assert not list(data.glob('*_labels'))  # nothing generated there
