"""RATENet's three updates: what each changes, what it logs, ablations."""
import math

import pytest
import torch
import torch.nn.functional as F
import torchvision.models.vgg as tv_vgg
from mmengine.optim import AmpOptimWrapper
from mmengine.registry import DefaultScope

from ratenet_plugin.registry import MODELS, OPTIM_WRAPPER_CONSTRUCTORS
from tests.models.ratenet_testing import (build_model, optim_wrappers,
                                          raw_batch, tiny_model_cfg)

POSE_TRANSFER_KEYS = {'loss_recon_coarse', 'loss_per_coarse'}
JOINT_KEYS = {
    'loss_recon', 'loss_per', 'loss_sty', 'loss_gan_shape', 'loss_gan_app',
    'unweighted_per', 'unweighted_sty'
}
DISC_KEYS = {'loss_disc_shape', 'loss_disc_app'}


def snapshot(model):
    return {n: p.detach().clone() for n, p in model.named_parameters()}


def changed(model, before):
    return {
        n
        for n, p in model.named_parameters() if not torch.equal(p, before[n])
    }


def params_of(model, *prefixes):
    return {
        n
        for n, p in model.named_parameters()
        if n.startswith(prefixes) and p.requires_grad
    }


def check_logs(logs, keys):
    assert set(logs) == keys
    for key, value in logs.items():
        assert value.dim() == 0 and not value.requires_grad, key
        assert math.isfinite(value.item()), key


def test_pose_transfer_update_changes_only_g_p(model, batch):
    wrappers = optim_wrappers(model)
    before = snapshot(model)
    logs = model.train_pose_transfer(batch, wrappers)
    check_logs(logs, POSE_TRANSFER_KEYS)
    assert changed(model, before) == params_of(model,
                                               'generator.pose_transfer.')
    # G_t got no gradient at all: RAdam never saw it.
    optimizer = wrappers['generator'].optimizer
    for p in model.generator.texture_enhancer.parameters():
        assert p.grad is None and not optimizer.state[p]


def test_joint_update_changes_g_p_and_g_t_not_discriminators(model, batch):
    wrappers = optim_wrappers(model)
    before = snapshot(model)
    logs = model.train_joint(batch, wrappers)
    check_logs(logs, JOINT_KEYS)
    assert changed(model, before) == params_of(model, 'generator.')
    for disc in model.discriminators:
        assert all(p.requires_grad and p.grad is None
                   for p in disc.parameters())
    for key in ('shape_discriminator', 'appearance_discriminator'):
        assert not wrappers[key].optimizer.state


def test_discriminator_update_changes_only_discriminators(model, batch):
    wrappers = optim_wrappers(model)
    before = snapshot(model)
    logs = model.train_discriminators(batch, wrappers)
    check_logs(logs, DISC_KEYS)
    assert changed(model, before) == params_of(model, 'shape_discriminator.',
                                               'appearance_discriminator.')
    assert all(p.grad is None for p in model.generator.parameters())
    assert not wrappers['generator'].optimizer.state


def test_train_update_dispatches_by_name(model, batch):
    wrappers = optim_wrappers(model)
    assert set(model.train_update('pose_transfer', batch,
                                  wrappers)) == POSE_TRANSFER_KEYS
    assert set(model.train_update('joint', batch, wrappers)) == JOINT_KEYS
    assert set(model.train_update('discriminator', batch,
                                  wrappers)) == DISC_KEYS
    with pytest.raises(ValueError, match='generator_only'):
        model.train_update('generator_only', batch, wrappers)


def test_losses_follow_the_named_weights(batch):
    model = build_model()
    model.lambda_recon, model.lambda_gan = 2.0, 3.0
    inputs = batch['inputs']
    with torch.no_grad():
        before = model(inputs)
        gan_shape = model.gan_loss(
            model.shape_discriminator(before['final'], inputs['tgt_pose']),
            target_is_real=True)
    wrappers = optim_wrappers(model)
    coarse_logs = model.train_pose_transfer(batch, wrappers)
    assert coarse_logs['loss_recon_coarse'].item() == pytest.approx(
        2.0 * F.l1_loss(before['coarse'], inputs['tgt_img']).item(),
        rel=1e-5)
    model.load_state_dict(build_model().state_dict())
    joint_logs = model.train_joint(batch, optim_wrappers(model))
    assert joint_logs['loss_gan_shape'].item() == pytest.approx(
        3.0 * gan_shape.item(), rel=1e-5)
    assert joint_logs['loss_recon'].item() == pytest.approx(
        2.0 * F.l1_loss(before['final'], inputs['tgt_img']).item(),
        rel=1e-5)


def test_pb_only_joint_update_applies_l2_to_the_coarse_image():
    model = build_model(texture=False)
    batch = model.data_preprocessor(raw_batch(), training=True)
    inputs = batch['inputs']
    with torch.no_grad():
        coarse = model(inputs)['coarse']
    before = snapshot(model)
    logs = model.train_joint(batch, optim_wrappers(model))
    check_logs(logs, JOINT_KEYS)
    assert logs['loss_recon'].item() == pytest.approx(
        10 * F.l1_loss(coarse, inputs['tgt_img']).item(), rel=1e-5)
    assert changed(model, before) == params_of(model, 'generator.')


def test_pb_fixed_keeps_the_loaded_pose_transfer_module(tmp_path):
    trained = build_model()
    checkpoint = tmp_path / 'pb_only.pth'
    torch.save(dict(state_dict=trained.state_dict()), checkpoint)
    torch.manual_seed(123)  # a different random init, then overwritten
    model = build_model(
        freeze_pose_transfer=True,
        pose_transfer_init_cfg=dict(
            type='StrictPretrained',
            checkpoint=str(checkpoint),
            prefix='generator.pose_transfer.'))
    for name, value in trained.generator.pose_transfer.state_dict().items():
        assert torch.equal(model.generator.pose_transfer.state_dict()[name],
                           value), name
    batch = model.data_preprocessor(raw_batch(), training=True)
    wrappers = optim_wrappers(model)
    before = snapshot(model)
    with pytest.raises(RuntimeError, match='frozen'):
        model.train_pose_transfer(batch, wrappers)
    model.train_joint(batch, wrappers)
    model.train_discriminators(batch, wrappers)
    assert changed(model, before) == params_of(
        model, 'generator.texture_enhancer.', 'shape_discriminator.',
        'appearance_discriminator.')
    assert all(p.grad is None
               for p in model.generator.pose_transfer.parameters())


def test_texture_code_dimension_follows_config():
    model = build_model(texture_dim=64)
    batch = model.data_preprocessor(raw_batch(), training=True)
    assert model(batch['inputs'])['texture_code'].shape == (2, 64)


def test_ground_truth_vgg_pass_runs_once_per_cycle(model, batch):
    calls = []
    model.perceptual_loss.vgg.register_forward_hook(
        lambda *args: calls.append(1))
    wrappers = optim_wrappers(model)
    model.train_pose_transfer(batch, wrappers)
    assert len(calls) == 2  # coarse image + ground truth
    model.train_joint(batch, wrappers)
    assert len(calls) == 3  # final image only


def test_discriminator_steps_reuse_fakes_until_the_generator_changes(
        model, batch):
    calls = []
    model.generator.register_forward_hook(lambda *args: calls.append(1))
    wrappers = optim_wrappers(model)
    model.train_discriminators(batch, wrappers)
    model.train_discriminators(batch, wrappers)
    assert len(calls) == 1
    model.train_joint(batch, wrappers)
    assert len(calls) == 2
    model.train_discriminators(batch, wrappers)
    assert len(calls) == 3
    other = model.data_preprocessor(raw_batch(seed=1), training=True)
    model.train_discriminators(other, wrappers)
    assert len(calls) == 4


def test_full_cycle_under_bfloat16_autocast_on_cpu(model, batch):
    """What --amp does on a GPU (autocast around each update), on CPU."""
    wrappers = optim_wrappers(model)
    before = snapshot(model)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        logs = {}
        for name in ('pose_transfer', 'joint', 'discriminator'):
            logs.update(model.train_update(name, batch, wrappers))
    check_logs(logs, POSE_TRANSFER_KEYS | JOINT_KEYS | DISC_KEYS)
    assert changed(model, before) == params_of(model, 'generator.',
                                               'shape_discriminator.',
                                               'appearance_discriminator.')


@pytest.mark.skipif(
    not torch.cuda.is_available(),
    reason='AmpOptimWrapper asserts a GPU in its constructor')
def test_full_cycle_with_amp_optim_wrapper():
    model = build_model().cuda()
    batch = model.data_preprocessor(raw_batch(), training=True)
    wrappers = optim_wrappers(model, AmpOptimWrapper, dtype='float16')
    before = snapshot(model)
    logs = {}
    for name in ('pose_transfer', 'joint', 'discriminator'):
        logs.update(model.train_update(name, batch, wrappers))
    check_logs(logs, POSE_TRANSFER_KEYS | JOINT_KEYS | DISC_KEYS)
    assert changed(model, before) == params_of(model, 'generator.',
                                               'shape_discriminator.',
                                               'appearance_discriminator.')


def test_train_step_points_to_the_loop(model, batch):
    with pytest.raises(NotImplementedError, match='RATELoop'):
        model.train_step(raw_batch(), optim_wrappers(model))
    with pytest.raises(ValueError, match='train_update'):
        model(batch['inputs'], mode='loss')


def test_model_init_weights_loads_vgg_and_initialises_networks(tmp_path):
    features = tv_vgg.make_layers(tv_vgg.cfgs['E'])
    torch.save({f'features.{k}': v
                for k, v in features.state_dict().items()},
               tmp_path / 'vgg19.pth')
    cfg = tiny_model_cfg()
    cfg['perceptual_loss']['pretrained'] = str(tmp_path / 'vgg19.pth')
    model = MODELS.build(cfg)
    model.init_weights()
    assert torch.equal(model.perceptual_loss.vgg.vgg_layers[0].weight,
                       features[0].weight)
    conv = model.generator.pose_transfer.pat_blocks[0].image_branch[0].conv
    assert conv.weight.std().item() == pytest.approx(0.02, rel=0.3)


def test_missing_vgg_file_fails_training_not_testing(tmp_path):
    """The Runner calls init_weights before training, not before testing."""
    cfg = tiny_model_cfg()
    missing = tmp_path / 'vgg19-dcbb9e9d.pth'
    cfg['perceptual_loss']['pretrained'] = str(missing)
    model = MODELS.build(cfg)
    model.eval()
    assert model.test_step(raw_batch())[0].pred_img.shape == (3, 32, 22)
    with pytest.raises(FileNotFoundError, match=str(missing)):
        model.init_weights()


def test_optim_wrappers_from_mmagic_constructor(model, batch):
    """The config's optim_wrapper keys name RATENet's top-level modules."""
    cfg = {
        key: dict(optimizer=dict(type='RAdam', lr=1e-4))
        for key in ('generator', 'shape_discriminator',
                    'appearance_discriminator')
    }
    with DefaultScope.overwrite_default_scope('mmagic'):
        wrappers = OPTIM_WRAPPER_CONSTRUCTORS.build(
            dict(
                type='MultiOptimWrapperConstructor',
                optim_wrapper_cfg=cfg))(model)
    before = snapshot(model)
    model.train_pose_transfer(batch, wrappers)
    assert changed(model, before) == params_of(model,
                                               'generator.pose_transfer.')


def test_generation_only_model_holds_the_generator_alone():
    """No discriminators or losses: what a G_P-only file (PATN's converted
    weights) loads into strictly; it generates but cannot train."""
    cfg = tiny_model_cfg(texture=False)
    cfg.update(shape_discriminator=None, appearance_discriminator=None,
               perceptual_loss=None)
    model = MODELS.build(cfg)
    model.init_weights()
    assert not model.can_train
    assert all(key.startswith('generator.pose_transfer.')
               for key in model.state_dict())
    batch = model.data_preprocessor(raw_batch(), training=False)
    samples = model(**batch, mode='predict')
    assert samples[0].pred_img.shape == (3, 32, 22)
    with pytest.raises(RuntimeError, match='only generates'):
        model.train_update('joint', batch, optim_wrappers(build_model()))
    cfg['perceptual_loss'] = tiny_model_cfg()['perceptual_loss']
    with pytest.raises(ValueError, match='all None'):
        MODELS.build(cfg)


def test_joint_update_logs_the_unweighted_perceptual_and_style_terms(
        model, batch):
    logs = model.train_joint(batch, optim_wrappers(model))
    assert logs['loss_sty'].item() == pytest.approx(
        model.lambda_sty * logs['unweighted_sty'].item(), rel=1e-6)
    assert logs['loss_per'].item() == pytest.approx(
        model.lambda_per * logs['unweighted_per'].item(), rel=1e-6)
