"""RATENet's three updates: what each changes, what it logs, ablations."""
import copy
import math

import pytest
import torch
import torch.nn.functional as F
import torchvision.models.vgg as tv_vgg
from mmengine.optim import AmpOptimWrapper, OptimWrapper, OptimWrapperDict
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


def test_joint_update_leaves_frozen_discriminator_parts_frozen(model,
                                                               batch):
    """A discriminator part frozen on purpose stays frozen after the joint
    update, which freezes and then thaws the discriminators."""
    stem = next(model.shape_discriminator.parameters())
    stem.requires_grad_(False)
    try:
        model.train_joint(batch, optim_wrappers(model))
        flags = [
            p.requires_grad for p in model.shape_discriminator.parameters()
        ]
        assert flags[0] is False and all(flags[1:])
    finally:
        stem.requires_grad_(True)


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


def lsgan(score: torch.Tensor, target: float) -> torch.Tensor:
    """LSGAN term written out: mean squared distance to the target label."""
    return ((score - target)**2).mean()


def _written_out_terms(model, inputs, weights):
    """The paper's L1 (cycle step 1) and L2 (step 2) term by term, written
    out from the networks (with gradients), and the unweighted L_per/L_sty.
    """
    gt = inputs['tgt_img']
    out = model(inputs)
    per_coarse, _ = model.perceptual_loss(out['coarse'], gt, with_style=False)
    per, sty = model.perceptual_loss(out['final'], gt, with_style=True)
    shape = lsgan(
        model.shape_discriminator(out['final'], inputs['tgt_pose']), 1)
    app = lsgan(
        model.appearance_discriminator(out['final'], inputs['src_img']), 1)
    coarse = dict(
        loss_recon_coarse=weights['lambda_recon'] *
        F.l1_loss(out['coarse'], gt),
        loss_per_coarse=weights['lambda_per'] * per_coarse)
    joint = dict(
        loss_recon=weights['lambda_recon'] * F.l1_loss(out['final'], gt),
        loss_per=weights['lambda_per'] * per,
        loss_sty=weights['lambda_sty'] * sty,
        loss_gan_shape=weights['lambda_gan'] * weights['gan_shape_weight'] *
        shape,
        loss_gan_app=weights['lambda_gan'] * weights['gan_app_weight'] * app)
    return coarse, joint, dict(unweighted_per=per, unweighted_sty=sty)


def sgd_wrappers(model, lr: float) -> OptimWrapperDict:
    """Plain SGD, so that an update is exactly ``-lr * gradient``."""
    return OptimWrapperDict(
        **{
            key: OptimWrapper(
                torch.optim.SGD(getattr(model, key).parameters(), lr=lr))
            for key in ('generator', 'shape_discriminator',
                        'appearance_discriminator')
        })


def test_every_generator_loss_term_is_its_weight_times_its_loss():
    """Each update logs each term as its weight times its loss, and descends
    the sum of exactly those terms (L1: step 1, L2: step 2)."""
    weights = dict(lambda_recon=2.0, lambda_per=3.0, lambda_sty=7.0,
                   lambda_gan=5.0, gan_shape_weight=0.5, gan_app_weight=1.5)
    model = build_model(loss_weights=weights)
    batch = model.data_preprocessor(raw_batch(), training=True)
    initial = {k: v.clone() for k, v in model.state_dict().items()}
    coarse, joint, unweighted = _written_out_terms(model, batch['inputs'],
                                                   weights)
    assert min(min(t.values()) for t in (coarse, joint, unweighted)) > 0
    params = dict(model.generator.named_parameters())
    gradients = [
        torch.autograd.grad(sum(terms.values()), list(params.values()),
                            retain_graph=True, allow_unused=True)
        for terms in (coarse, joint)
    ]
    lr = 0.5
    for update, terms, logged, grads in (
            (model.train_pose_transfer, coarse, {}, gradients[0]),
            (model.train_joint, joint, unweighted, gradients[1])):
        logs = update(batch, sgd_wrappers(model, lr))
        expected = dict(terms, **logged)
        assert set(logs) == set(expected)
        for key, value in expected.items():
            assert logs[key].item() == pytest.approx(value.item(),
                                                     rel=1e-5), key
        # The step is -lr * the gradient of the terms' sum, parameter by
        # parameter (G_t, unused by step 1, stays where it was).
        for (name, param), grad in zip(params.items(), grads):
            step = torch.zeros_like(param) if grad is None else -lr * grad
            torch.testing.assert_close(
                param.detach() - initial[f'generator.{name}'], step,
                rtol=1e-4, atol=1e-6, msg=name)
        model.load_state_dict(initial)


def test_discriminator_loss_is_half_the_sum_of_real_and_fake_terms(
        model, batch):
    inputs = batch['inputs']
    real = inputs['tgt_img']
    with torch.no_grad():
        fake = model(inputs)['final']
        expected = dict(
            loss_disc_shape=0.5 * (
                lsgan(model.shape_discriminator(real, inputs['tgt_pose']), 1)
                + lsgan(model.shape_discriminator(fake, inputs['tgt_pose']),
                        0)),
            loss_disc_app=0.5 * (
                lsgan(model.appearance_discriminator(real, inputs['src_img']),
                      1) +
                lsgan(model.appearance_discriminator(fake, inputs['src_img']),
                      0)))
    logs = model.train_discriminators(batch, optim_wrappers(model))
    assert set(logs) == set(expected)
    for key, value in expected.items():
        assert logs[key].item() == pytest.approx(value.item(),
                                                 rel=1e-5), key


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


def test_k_discriminator_steps_generate_the_fakes_once(batch):
    """``repeats=3`` in one call = three calls of one step on an unchanged
    generator (same parameters after, mean logs), with one generator pass
    instead of three."""
    once, three_times = build_model(), build_model()
    calls = []
    once.generator.register_forward_hook(lambda *args: calls.append(1))
    logs = once.train_update('discriminator', batch, optim_wrappers(once),
                             repeats=3)
    assert len(calls) == 1
    wrappers = optim_wrappers(three_times)
    single = [
        three_times.train_discriminators(batch, wrappers) for _ in range(3)
    ]
    for key in DISC_KEYS:
        mean = sum(step[key] for step in single) / 3
        assert logs[key].item() == pytest.approx(mean.item(), rel=1e-6)
    for (name, p), q in zip(once.named_parameters(),
                            three_times.parameters()):
        assert torch.equal(p, q), name


def test_a_new_target_pose_for_the_same_source_gets_new_fakes(model, batch):
    """Fakes belong to one discriminator update: the same source image
    tensor with another target pose is generated afresh, and D_S scores
    that new fake."""
    generated, scored = [], []
    model.generator.register_forward_hook(
        lambda module, args, out: generated.append(out['final']))
    model.shape_discriminator.register_forward_pre_hook(
        lambda module, args: scored.append(args[0]))
    other = dict(batch, inputs=dict(batch['inputs']))
    other['inputs']['tgt_pose'] = batch['inputs']['tgt_pose'].flip(-1)
    assert other['inputs']['src_img'] is batch['inputs']['src_img']
    wrappers = optim_wrappers(model)
    model.train_discriminators(batch, wrappers)
    model.train_discriminators(other, wrappers)
    assert len(generated) == 2
    assert not torch.equal(generated[0], generated[1])
    # D_S sees real then fake in each step.
    assert torch.equal(scored[1], generated[0])
    assert torch.equal(scored[3], generated[1])


def test_repeated_generator_updates_log_their_mean(model, batch):
    twin = copy.deepcopy(model)
    twin_wrappers = optim_wrappers(twin)
    steps = [twin.train_joint(batch, twin_wrappers) for _ in range(2)]
    calls = []
    model.generator.register_forward_hook(lambda *args: calls.append(1))
    logs = model.train_update('joint', batch, optim_wrappers(model),
                              repeats=2)
    assert len(calls) == 2 and set(logs) == JOINT_KEYS
    # The same two steps, each logged value their mean.
    for key in JOINT_KEYS:
        torch.testing.assert_close(logs[key],
                                   (steps[0][key] + steps[1][key]) / 2)
    assert not torch.equal(steps[0]['loss_recon'], steps[1]['loss_recon'])
    with pytest.raises(ValueError, match='>= 1'):
        model.train_update('joint', batch, optim_wrappers(model), repeats=0)


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
