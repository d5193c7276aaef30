"""RATE-Net x MMagic combination configs train (and validate) through the
real MMEngine Runner on a tiny synthetic data set."""
import copy
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PATCHGAN_DEMO = (
    'configs/ratenet/'
    'ratenet_mmagic-patchgan-demo_1xb4-1600cycles_synthetic-64x44.py')
PIX2PIX_DEMO = (
    'configs/pix2pix_pose/'
    'pix2pix_vanilla-unet-bn_1xb8-2kiters_deepfashion-pose-demo.py')
TINY_SET = dict(num_identities=3, poses_per_identity=3, num_test_identities=1,
                seed=0, image_format='png')


def _tiny_run_config(path: str, data_root: str, work_dir: str) -> Config:
    """One training iteration, then one validation pass over a tiny set."""
    cfg = Config.fromfile(osp.join(ROOT, path))
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].batch_size = 2
        cfg[loader].dataset.data_root = data_root
        cfg[loader].dataset.synthetic = copy.deepcopy(TINY_SET)
    cfg.train_cfg.max_iters = 1
    cfg.train_cfg.val_interval = 1
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint.interval = 1
    cfg.custom_hooks = [
        hook for hook in cfg.custom_hooks
        if hook['type'] != 'PoseTransferVisualizationHook'
    ]
    cfg.work_dir = work_dir
    cfg.launcher = 'none'
    return cfg


def _params(module: torch.nn.Module) -> dict:
    return {k: v.detach().clone() for k, v in module.named_parameters()}


def _changed(before: dict, module: torch.nn.Module) -> bool:
    return any(not torch.equal(before[k], v.detach())
               for k, v in module.named_parameters())


@pytest.fixture(scope='module')
def data_root(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp('synthetic') / 'set')


def test_patchgan_config_swaps_in_mmagic_discriminator():
    cfg = Config.fromfile(osp.join(ROOT, PATCHGAN_DEMO))
    demo = Config.fromfile(
        osp.join(ROOT, 'configs/ratenet/'
                 'ratenet_demo_1xb4-1600cycles_synthetic-64x44.py'))
    assert cfg.model.shape_discriminator.discriminator.type == \
        'PatchDiscriminator'
    # Only D_S differs from the demo.
    cfg.model.pop('shape_discriminator')
    demo.model.pop('shape_discriminator')
    assert cfg.model == demo.model
    assert cfg.train_cfg == demo.train_cfg


def test_patchgan_ratenet_trains_one_cycle(data_root, tmp_path):
    from mmagic.models.archs import PatchDiscriminator

    cfg = _tiny_run_config(PATCHGAN_DEMO, data_root, str(tmp_path / 'work'))
    runner = Runner.from_cfg(cfg)
    model = runner.model
    patch_d = model.shape_discriminator.discriminator
    assert isinstance(patch_d, PatchDiscriminator)
    runner._init_model_weights()
    # MMagic's N(0, 0.02) initialisation ran (see ConcatConditionDiscriminator)
    assert patch_d.model[0].conv.weight.std().item() == pytest.approx(
        0.02, rel=0.2)
    before = dict(d_s=_params(model.shape_discriminator),
                  generator=_params(model.generator))
    runner.train()
    assert _changed(before['d_s'], model.shape_discriminator)
    assert _changed(before['generator'], model.generator)
    hub = runner.message_hub
    assert torch.isfinite(torch.tensor(
        hub.get_scalar('train/loss_gan_shape').current()))
    assert 0 <= hub.get_scalar('val/final/SSIM').current() <= 1
    assert (tmp_path / 'work' / 'iter_1.pth').is_file()


def test_pix2pix_trains_on_pose_data(data_root, tmp_path):
    from mmagic.models.editors import Pix2Pix

    cfg = _tiny_run_config(PIX2PIX_DEMO, data_root, str(tmp_path / 'work'))
    runner = Runner.from_cfg(cfg)
    model = runner.model
    assert isinstance(model, Pix2Pix)
    generator = model.generators['person']
    assert generator.model.model[0].in_channels == 21  # RGB + 18 heatmaps
    runner._init_model_weights()
    # MMagic's N(0, 0.02) initialisation ran (see PosePix2Pix.init_weights).
    assert generator.model.model[0].conv.weight.std().item() == pytest.approx(
        0.02, rel=0.2)
    before = _params(generator)
    runner.train()
    assert _changed(before, generator)
    hub = runner.message_hub
    assert torch.isfinite(torch.tensor(
        hub.get_scalar('train/loss_pixel').current()))
    assert 0 <= hub.get_scalar('val/final/SSIM').current() <= 1
    assert hub.get_scalar('val/final/PSNR').current() > 0

    # Outputs carry RATE-Net's evaluation fields: the RGB target as gt_img
    # and the generated image as output.pred_img; test_step works too.
    batch = next(iter(Runner.build_dataloader(cfg.val_dataloader)))
    for samples in (model.val_step(batch), model.test_step(batch)):
        assert len(samples) == 2
        torch.testing.assert_close(samples[0].gt_img,
                                   batch['inputs']['img_person'][0].float())
        assert samples[0].output.pred_img.shape == (3, 64, 64)
        assert samples[0].metainfo['channel_order'] == 'RGB'


@pytest.mark.parametrize('path', [
    'configs/ratenet/'
    'ratenet_mmagic-patchgan_1xb7-40kcycles_deepfashion-256x176.py',
    'configs/pix2pix_pose/'
    'pix2pix_vanilla-unet-bn_1xb7-200kiters_deepfashion-pose.py',
])
def test_full_size_configs_build_and_generate_256_images(path):
    from mmengine.registry import init_default_scope

    from ratenet_plugin.registry import MODELS

    cfg = Config.fromfile(osp.join(ROOT, path))
    init_default_scope('mmagic')
    if cfg.model.type == 'RATENet':
        cfg.model.perceptual_loss.pretrained = None  # no ImageNet VGG here
        model = MODELS.build(cfg.model).eval()
        img = torch.zeros(1, 3, 256, 176)
        pose = torch.zeros(1, 18, 256, 176)
        with torch.no_grad():
            out = model.generator(img, pose, pose)['final']
            score = model.shape_discriminator(out, pose)
        assert out.shape == (1, 3, 256, 176) and score.shape[:2] == (1, 1)
    else:
        model = MODELS.build(cfg.model).eval()
        with torch.no_grad():
            out = model.generators['person'](torch.zeros(1, 21, 256, 256))
        assert out.shape == (1, 3, 256, 256)
