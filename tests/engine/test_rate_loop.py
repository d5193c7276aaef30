"""RATELoop under the real MMEngine Runner: update counts, LR rule, resume."""
import copy
import itertools
import uuid
from typing import List

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import InfiniteSampler
from mmengine.hooks import Hook
from mmengine.runner import Runner

import ratenet_plugin  # noqa: F401
from ratenet_plugin.datasets import DeepFashionPoseDataset
from ratenet_plugin.engine import RATELoop, TrainingDivergedError
from ratenet_plugin.engine.rate_loop import SAMPLES_DRAWN_KEY, run_cycle
from ratenet_plugin.fileio.errors import UserInputError
from ratenet_plugin.registry import DATASETS, HOOKS
from ratenet_plugin.utils.arguments import ConfigValueError
from ratenet_plugin.utils.random_state import same_random_state
from tests.models.ratenet_testing import build_model, optim_wrappers, raw_batch


@DATASETS.register_module()
class LoadRecordingPoseDataset(DeepFashionPoseDataset):
    """DeepFashionPoseDataset that records the index of every sample loaded."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.loaded: List[int] = []

    def __getitem__(self, idx: int) -> dict:
        self.loaded.append(idx)
        return super().__getitem__(idx)


def build_runner(config_file: str, work_dir, **cfg_options) -> Runner:
    cfg = Config.fromfile(config_file)
    cfg.merge_from_dict(cfg_options)
    cfg.work_dir = str(work_dir)
    # MMEngine keeps one MessageHub/Visualizer per experiment name.
    cfg.experiment_name = f'test-{uuid.uuid4().hex[:8]}'
    return Runner.from_cfg(cfg)


def optimizer_steps(runner: Runner, key: str, module) -> set:
    """The set of RAdam step counts over ``module``'s parameters."""
    optimizer = runner.optim_wrapper[key].optimizer
    return {
        int(optimizer.state[p]['step']) if p in optimizer.state else 0
        for p in module.parameters()
    }


def test_each_cycle_runs_one_pose_transfer_one_joint_and_k_discriminator_updates(
        tiny_config_file, tmp_path):
    k = 2
    config = tiny_config_file(
        max_iters=3,
        cycle=(('pose_transfer', 1), ('joint', 1), ('discriminator', k)))
    runner = build_runner(config, tmp_path / 'work')
    runner.train()

    cycles = 3
    model = runner.model
    assert isinstance(runner.train_loop, RATELoop)
    assert runner.iter == cycles
    assert runner.train_loop.num_updates == cycles * (2 + k)
    # G_P is stepped by the pose-transfer and the joint update, G_t by the
    # joint update only, each discriminator K times per cycle.
    assert optimizer_steps(runner, 'generator',
                           model.generator.pose_transfer) == {2 * cycles}
    assert optimizer_steps(runner, 'generator',
                           model.generator.texture_enhancer) == {cycles}
    for key in ('shape_discriminator', 'appearance_discriminator'):
        assert optimizer_steps(runner, key, getattr(model, key)) == {k * cycles}


def test_lr_follows_the_schedule_per_cycle(tiny_config_file, tmp_path):
    # Config: constant for cycle 0, then LinearLR over cycles [1, 5): MMEngine
    # interpolates from 1e-3 at cycle 1 to 0 at cycle 4 (end - 1).
    runner = build_runner(tiny_config_file(max_iters=4), tmp_path / 'work')
    runner.train()
    for key in ('generator', 'shape_discriminator',
                'appearance_discriminator'):
        history = runner.message_hub.get_scalar(f'train/{key}.lr').data[0]
        expected = [1e-3, 1e-3, 1e-3 * 2 / 3, 1e-3 * 1 / 3]
        assert history.tolist() == pytest.approx(expected)


def test_losses_of_every_update_are_logged(tiny_config_file, tmp_path):
    runner = build_runner(tiny_config_file(max_iters=1), tmp_path / 'work')
    runner.train()
    logged = set(runner.message_hub.log_scalars)
    for key in ('loss_recon', 'loss_per', 'loss_sty', 'loss_gan_shape',
                'loss_gan_app'):
        assert f'train/{key}' in logged
    assert any(k.startswith('train/loss_disc') for k in logged)
    assert any(k.endswith('_coarse') for k in logged)


def test_an_update_named_twice_in_a_cycle_logs_the_mean_of_its_steps():
    """Discriminator steps split 1 + 2 around the joint update, learning
    (so every step scores differently): the cycle logs the mean over the
    three steps, (first + 2 x mean of the other two) / 3, as the same
    updates run one by one from the same state give it."""
    cycle = (('discriminator', 1), ('joint', 1), ('discriminator', 2))
    batch = raw_batch()
    model = build_model()
    twin = copy.deepcopy(model)
    torch.manual_seed(1)
    logged = run_cycle(model, batch, optim_wrappers(model), cycle)
    torch.manual_seed(1)
    data, wrappers = twin.data_preprocessor(batch, True), optim_wrappers(twin)
    first = twin.train_update('discriminator', data, wrappers, 1)
    twin.train_update('joint', data, wrappers, 1)
    later = twin.train_update('discriminator', data, wrappers, 2)
    for key in ('loss_disc_shape', 'loss_disc_app'):
        assert first[key] != later[key]  # the steps differ
        assert logged[key].item() == pytest.approx(
            (first[key] + 2 * later[key]).item() / 3, rel=1e-5), key


def test_gradient_accumulation_is_refused_before_training(tiny_config_file,
                                                          tmp_path):
    runner = build_runner(tiny_config_file(max_iters=1), tmp_path / 'work',
                          **{'optim_wrapper.generator.accumulative_counts': 2})
    with pytest.raises(ConfigValueError,
                       match='optim_wrapper.generator.accumulative_counts=2'):
        runner.train()
    assert runner.iter == 0


def test_an_unknown_update_in_the_cycle_stops_before_training(
        tiny_config_file, tmp_path):
    """Named at the loop's build, not at the first cycle after the valid
    updates before it have run."""
    with pytest.raises(ConfigValueError, match="expected update names among "
                       "'pose_transfer', 'joint', 'discriminator'"):
        runner = build_runner(
            tiny_config_file(max_iters=1), tmp_path / 'work',
            **{'train_cfg.cycle': [('joint', 1), ('pose', 1)]})
        runner.train()


def test_a_schedule_counting_epochs_is_refused(tiny_config_file, tmp_path):
    """MMEngine's default by_epoch=True never steps in RATELoop: the
    learning rate would stay constant, silently."""
    with pytest.raises(UserInputError, match=r'param_scheduler\[0\] '
                       r'\(CosineAnnealingLR\) counts epochs'):
        runner = build_runner(
            tiny_config_file(max_iters=1), tmp_path / 'work',
            param_scheduler=[dict(type='CosineAnnealingLR', T_max=4)])
        runner.train()


@pytest.mark.parametrize(
    'sampler',
    [
        'ResumableInfiniteSampler',  # the configs': starts at the position
        'InfiniteSampler',  # MMEngine's: the trained batches are replayed
    ])
def test_resume_reproduces_an_uninterrupted_run(tiny_config_file, tmp_path,
                                                sampler):
    # Dropout and random flips make the run depend on the random state.
    # Validation runs at the checkpoint's cycle, after the checkpoint is
    # saved, and draws from the global generators (the val dataloader's
    # seed): the uninterrupted run must not continue from that state.
    # The main job's hooks; the grid is drawn at the checkpoint's cycle too.
    config = tiny_config_file(
        max_iters=4, checkpoint_interval=2, val_interval=2, dropout=0.5,
        flip_prob=0.5)
    options = {
        'train_dataloader.sampler.type': sampler,
        'custom_hooks': [
            dict(type='RandomStateHook'),
            dict(type='AdaptiveCPUThreadsHook'),
            dict(type='PoseTransferVisualizationHook', interval=2,
                 num_samples=2),
        ]
    }

    straight = build_runner(config, tmp_path / 'straight', **options)
    straight.train()

    first_half = build_runner(
        config, tmp_path / 'resumed', **options,
        **{'train_cfg.max_iters': 2})
    first_half.train()
    resumed = build_runner(
        config,
        tmp_path / 'resumed',
        resume=True,
        load_from=str(tmp_path / 'resumed' / 'iter_2.pth'),
        **options)
    resumed.train()

    assert resumed.iter == straight.iter == 4
    straight_state = straight.model.state_dict()
    for name, value in resumed.model.state_dict().items():
        assert torch.equal(value, straight_state[name]), name
    for key in ('train/loss_recon', 'train/loss_gan_shape',
                'train/loss_disc_shape'):
        expected = straight.message_hub.get_scalar(key).data[0]
        got = resumed.message_hub.get_scalar(key).data[0]
        assert got.tolist() == expected.tolist(), key


def test_a_resume_that_cannot_be_exact_says_so(tiny_config_file, tmp_path):
    """Without RandomStateHook (a custom_hooks list that dropped it) the
    generators are re-seeded, not restored: warned, with the fix; and by the
    hook when the checkpoint holds no random state. The curves hook warns
    when its metric_keys are not among the validation's results."""
    config = tiny_config_file(max_iters=2, checkpoint_interval=1,
                              val_interval=1)
    hooks = [dict(type='TrainingCurvesHook', interval=1,
                  metric_keys=['final/SSIM', 'final/no_such_metric'])]
    build_runner(config, tmp_path / 'work', custom_hooks=hooks,
                 **{'train_cfg.max_iters': 1}).train()
    logged = ''
    for name, custom_hooks, expected in (
            ('without', hooks,
             'Resumed without RandomStateHook in custom_hooks'),
            ('with', [dict(type='RandomStateHook')],
             'The resumed checkpoint holds no random state')):
        build_runner(config, tmp_path / name, resume=True,
                     load_from=str(tmp_path / 'work' / 'iter_1.pth'),
                     custom_hooks=custom_hooks).train()
        [log] = (tmp_path / name).glob('*/*.log')
        text = ' '.join(log.read_text().split())
        assert expected in text
        logged += text
    assert "metric_keys ['final/no_such_metric'] are not among" in logged


def test_resume_with_mmengines_ema_hook_is_exact(tiny_config_file, tmp_path):
    """MMEngine's EMAHook (averaged weights in the checkpoint, swapped in
    for validation at the checkpoint's cycle): a resumed run ends with the
    uninterrupted run's weights and averages (docs/training.md)."""
    config = tiny_config_file(
        max_iters=4, checkpoint_interval=2, val_interval=2)
    hooks = {
        'custom_hooks': [
            dict(type='RandomStateHook'),
            dict(type='EMAHook', momentum=0.1),
        ]
    }
    build_runner(config, tmp_path / 'straight', **hooks).train()
    build_runner(config, tmp_path / 'resumed', **hooks,
                 **{'train_cfg.max_iters': 2}).train()
    build_runner(config, tmp_path / 'resumed', resume=True,
                 load_from=str(tmp_path / 'resumed' / 'iter_2.pth'),
                 **hooks).train()
    straight, resumed = (
        torch.load(tmp_path / run / 'iter_4.pth', weights_only=False)
        for run in ('straight', 'resumed'))
    for key in ('state_dict', 'ema_state_dict'):
        assert list(resumed[key]) == list(straight[key])
        for name, value in resumed[key].items():
            assert torch.equal(value, straight[key][name]), (key, name)


def test_checkpoints_saved_in_validation_hold_the_state_training_goes_on_from(
        tiny_config_file, tmp_path):
    """With ``save_best``, MMEngine's CheckpointHook saves during validation
    (which draws from the global generators: the val dataloader's seed) the
    best checkpoint and the cycle's regular checkpoint again. Both must hold
    the state from before validation, the one a run without ``save_best``
    saves, or a resume from them is not the uninterrupted run."""
    config = tiny_config_file(
        max_iters=2, checkpoint_interval=2, val_interval=2)
    plain, with_best = tmp_path / 'plain', tmp_path / 'with_best'
    build_runner(config, plain).train()
    build_runner(
        config, with_best, **{
            'default_hooks.checkpoint.save_best': 'final/SSIM',
            'default_hooks.checkpoint.rule': 'greater'
        }).train()

    expected = torch.load(plain / 'iter_2.pth', weights_only=False)
    for name in ('iter_2.pth', 'best_final_SSIM_iter_2.pth'):
        saved = torch.load(with_best / name, weights_only=False)
        assert same_random_state(saved['random_state'],
                                 expected['random_state']), name


def test_a_run_started_from_weights_keeps_its_own_seed_and_curves(
        tiny_config_file, tmp_path):
    """``load_from`` without resume starts a new run from the weights: the
    random generators follow its own seed (as in a run without load_from),
    not the checkpoint's, and its curves start empty, not with the old
    run's history (MMEngine calls after_load_checkpoint for both)."""
    config = tiny_config_file(max_iters=2, checkpoint_interval=1)
    hooks = {
        'custom_hooks': [
            dict(type='RandomStateHook'),
            dict(type='TrainingCurvesHook', interval=1,
                 metric_keys=['final/SSIM']),
        ]
    }
    build_runner(config, tmp_path / 'old', **hooks).train()
    new = {'randomness.seed': 1, 'train_cfg.max_iters': 1, **hooks}
    build_runner(config, tmp_path / 'fresh', **new).train()
    build_runner(
        config, tmp_path / 'from_weights',
        load_from=str(tmp_path / 'old' / 'iter_2.pth'), **new).train()

    fresh, started = (
        torch.load(tmp_path / run / 'iter_1.pth', weights_only=False)
        for run in ('fresh', 'from_weights'))
    assert same_random_state(started['random_state'], fresh['random_state'])
    curves = started['meta']['training_curves']['losses']['loss_recon']
    assert [cycle for cycle, _ in curves] == [1]


def test_a_diverged_run_stops_before_saving_a_nan_checkpoint(
        tiny_config_file, tmp_path):
    """Learning rates of 1e4: the losses become NaN after some cycles.
    The loop stops at the first such cycle, naming it and the value,
    before that cycle's hooks (no checkpoint of it; MMEngine alone trained
    on, writing NaN checkpoints, until a metric failed at validation)."""
    config = tiny_config_file(max_iters=40, checkpoint_interval=1)
    options = {
        f'optim_wrapper.{name}.optimizer.lr': 1e4
        for name in ('generator', 'shape_discriminator',
                     'appearance_discriminator')
    }
    runner = build_runner(config, tmp_path / 'work', param_scheduler=[],
                          **options)
    with pytest.raises(TrainingDivergedError) as error:
        runner.train()
    stopped = runner.iter + 1
    assert 1 < stopped < 40  # trained some cycles first
    assert str(error.value).startswith(f'cycle {stopped}: loss_')
    assert (f"training diverged, stopped before saving anything of this "
            f"cycle (the last checkpoint, {tmp_path / 'work'}/iter_"
            f"{stopped - 1}.pth, is of finite weights)") in str(error.value)
    saved = sorted(int(p.stem.split('_')[1])
                   for p in (tmp_path / 'work').glob('iter_*.pth'))
    assert saved == list(range(1, stopped))
    for cycle in saved:  # every checkpoint is of finite weights
        state = torch.load(tmp_path / 'work' / f'iter_{cycle}.pth',
                           weights_only=False)['state_dict']
        assert all(torch.isfinite(v).all() for v in state.values()
                   if v.is_floating_point()), cycle


@HOOKS.register_module()
class PoisonWeightsHook(Hook):
    """Test-only: sets a weight of D_A to NaN after cycle ``cycle``'s
    updates, before its checkpoint is saved, as a last update that
    diverges would."""

    priority = 'HIGH'

    def __init__(self, cycle: int) -> None:
        self.cycle = cycle

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        if runner.iter + 1 == self.cycle:
            model = runner.model
            with torch.no_grad():
                next(model.appearance_discriminator.parameters()).fill_(
                    float('nan'))


def test_a_divergence_in_a_checkpoints_own_cycle_is_said(
        tiny_config_file, tmp_path):
    """Weights that became NaN in the last update of a checkpoint's cycle
    show in the losses of the next cycle only: the message says that
    checkpoint holds them too."""
    config = tiny_config_file(max_iters=5, checkpoint_interval=1)
    runner = build_runner(
        config, tmp_path / 'work',
        custom_hooks=[dict(type='PoisonWeightsHook', cycle=2)])
    with pytest.raises(TrainingDivergedError) as error:
        runner.train()
    assert str(error.value).startswith('cycle 3: ')
    assert (f"(the last checkpoint, {tmp_path / 'work'}/iter_2.pth, holds "
            'non-finite weights too: take an earlier one)') in str(
                error.value)


def test_resume_at_a_large_cycle_loads_no_trained_sample(
        tiny_config_file, tmp_path):
    """A checkpoint of cycle 100,000 (a 1-cycle run's, its counter moved on)
    resumes by loading the samples of cycles 100,000 and 100,001 of the
    sampler's order and nothing else."""
    batch_size, cycle = 2, 100_000
    config = tiny_config_file(max_iters=1, checkpoint_interval=1)
    options = {
        'train_dataloader.dataset.type': 'LoadRecordingPoseDataset',
        'train_dataloader.batch_size': batch_size
    }
    first = build_runner(config, tmp_path / 'first', **options)
    first.train()
    checkpoint = torch.load(
        tmp_path / 'first' / 'iter_1.pth', weights_only=False)
    checkpoint['meta']['iter'] = cycle
    checkpoint['message_hub']['runtime_info'][SAMPLES_DRAWN_KEY] = (
        cycle * batch_size)
    torch.save(checkpoint, tmp_path / f'iter_{cycle}.pth')

    resumed = build_runner(
        config,
        tmp_path / 'resumed',
        resume=True,
        load_from=str(tmp_path / f'iter_{cycle}.pth'),
        **options,
        **{'train_cfg.max_iters': cycle + 2})
    resumed.train()

    assert resumed.iter == cycle + 2
    order = iter(InfiniteSampler(first.train_dataloader.dataset, seed=0))
    assert first.train_dataloader.dataset.loaded == list(
        itertools.islice(order, batch_size))
    order = iter(InfiniteSampler(resumed.train_dataloader.dataset, seed=0))
    assert resumed.train_dataloader.dataset.loaded == list(
        itertools.islice(order, cycle * batch_size, (cycle + 2) * batch_size))


def test_a_resume_with_another_batch_size_continues_after_the_drawn_samples(
        tiny_config_file, tmp_path):
    """Two cycles of batches of 2, resumed with batches of 3: the resumed
    cycles load the order's samples 4 to 9, neither skipping nor repeating
    one (cycles x the new batch size would start at 6)."""
    config = tiny_config_file(max_iters=2, checkpoint_interval=1)
    options = {'train_dataloader.dataset.type': 'LoadRecordingPoseDataset'}
    first = build_runner(config, tmp_path / 'work', **options,
                         **{'train_dataloader.batch_size': 2})
    first.train()
    saved = torch.load(tmp_path / 'work' / 'iter_2.pth', weights_only=False)
    assert saved['message_hub']['runtime_info'][SAMPLES_DRAWN_KEY] == 4

    resumed = build_runner(
        config, tmp_path / 'work', resume=True,
        load_from=str(tmp_path / 'work' / 'iter_2.pth'), **options,
        **{'train_dataloader.batch_size': 3, 'train_cfg.max_iters': 4})
    resumed.train()

    order = list(itertools.islice(
        iter(InfiniteSampler(first.train_dataloader.dataset, seed=0)), 10))
    assert first.train_dataloader.dataset.loaded == order[:4]
    assert resumed.train_dataloader.dataset.loaded == order[4:10]
    assert resumed.message_hub.get_info(SAMPLES_DRAWN_KEY) == 10
    [log] = sorted((tmp_path / 'work').glob('*/*.log'))[-1:]
    assert ("the checkpoint's run drew 4 samples, and this run draws 3 per "
            'cycle') in ' '.join(log.read_text().split())
    # A checkpoint of before the count cannot tell: said, not hidden.
    del saved['message_hub']['runtime_info'][SAMPLES_DRAWN_KEY]
    torch.save(saved, tmp_path / 'old.pth')
    build_runner(config, tmp_path / 'old', resume=True,
                 load_from=str(tmp_path / 'old.pth'), **options,
                 **{'train_dataloader.batch_size': 3,
                    'train_cfg.max_iters': 3}).train()
    [log] = (tmp_path / 'old').glob('*/*.log')
    assert ('does not count the samples its run drew (written before '
            '2026-12-05): the data order continues after 6 samples') in \
        ' '.join(log.read_text().split())


def test_a_resume_with_nothing_left_to_train_says_so(tiny_config_file,
                                                     tmp_path):
    config = tiny_config_file(max_iters=1, checkpoint_interval=1)
    build_runner(config, tmp_path / 'work').train()
    resumed = build_runner(config, tmp_path / 'work', resume=True,
                           load_from=str(tmp_path / 'work' / 'iter_1.pth'))
    resumed.train()
    assert resumed.iter == 1
    [log] = sorted((tmp_path / 'work').glob('*/*.log'))[-1:]
    logged = ' '.join(log.read_text().split())
    assert ('Resumed at cycle 1, and train_cfg.max_iters is 1: nothing left '
            'to train. To train longer, raise train_cfg.max_iters') in logged


def test_batches_stacked_in_the_workers_train_exactly_the_same(
        tiny_config_file, tmp_path):
    """The paper config collates with default_collate (tensors stacked in
    the dataloader workers, one copy per key to the device) instead of
    MMEngine's pseudo_collate (lists the preprocessor stacks): the updates
    see the same batches."""
    config = tiny_config_file(max_iters=2)
    runners = {}
    for collate in ('pseudo_collate', 'default_collate'):
        runners[collate] = build_runner(
            config, tmp_path / collate,
            **{'train_dataloader.collate_fn': dict(type=collate)})
        runners[collate].train()
    reference = runners['pseudo_collate'].model.state_dict()
    for name, value in runners['default_collate'].model.state_dict().items():
        assert torch.equal(value, reference[name]), name
    initial = build_runner(config, tmp_path / 'initial')
    initial.model.init_weights()
    weight = 'generator.pose_transfer.head.conv.weight'
    assert not torch.equal(initial.model.state_dict()[weight],
                           reference[weight])


def test_mmagics_ema_hook_is_refused_for_mmengines(tiny_config_file,
                                                   tmp_path):
    """MMagic's hook averages into model.generator_ema, which RATENet never
    generates with: the run scored the raw weights beside it."""
    config = tiny_config_file(max_iters=1)
    runner = build_runner(
        config, tmp_path / 'work',
        custom_hooks=[dict(type='ExponentialMovingAverageHook',
                           module_keys=('generator_ema', ), interval=1)])
    with pytest.raises(UserInputError, match="use MMEngine's EMAHook"):
        runner.train()
