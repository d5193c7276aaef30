"""tools/train.py as a user runs it: train, write a checkpoint, --resume,
and the user's mistakes: each one `error:` line, exit code 2, no training."""
import gc
import json
from pathlib import Path

import pytest
import torch
from tests.tools.tool_testing import (REPO_ROOT, load_tool, run_tool,
                                      save_other_architecture_checkpoint,
                                      user_error_line)

TRAIN = REPO_ROOT / 'tools' / 'train.py'


def scalars(work_dir: Path) -> list:
    """The per-iteration records of the newest run's scalars.json."""
    runs = sorted(p for p in work_dir.iterdir() if p.is_dir())
    path = runs[-1] / 'vis_data' / 'scalars.json'
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_train_then_resume_from_the_checkpoint_or_a_named_one(
        tiny_config_file, tmp_path):
    config = tiny_config_file(max_iters=3, checkpoint_interval=2)
    work_dir = tmp_path / 'work'

    first = run_tool(TRAIN, config, '--work-dir', work_dir,
                     '--cfg-options', 'train_cfg.max_iters=2', cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    assert (work_dir / 'iter_2.pth').is_file()
    checkpoint = torch.load(work_dir / 'iter_2.pth', weights_only=True)
    assert checkpoint['meta']['iter'] == 2
    assert 'random_state' in checkpoint

    resumed = run_tool(TRAIN, config, '--work-dir', work_dir, '--resume',
                       cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert 'resumed' in (resumed.stdout + resumed.stderr).lower()
    assert (work_dir / 'iter_3.pth').is_file()
    # The resumed run trained exactly one more cycle (iteration 3).
    iterations = [r['iter'] for r in scalars(work_dir) if 'loss_recon' in r]
    assert iterations == [3]

    # --resume PATH: from a named checkpoint into another work directory
    # (sharing the first run saves a training process).
    other_dir = tmp_path / 'continued'
    continued = run_tool(TRAIN, config, '--work-dir', other_dir, '--resume',
                         str(work_dir / 'iter_2.pth'), cwd=tmp_path)
    assert continued.returncode == 0, continued.stderr[-3000:]
    assert (other_dir / 'iter_3.pth').is_file()
    assert not (other_dir / 'iter_2.pth').exists()
    iterations = [r['iter'] for r in scalars(other_dir) if 'loss_recon' in r]
    assert iterations == [3]


def assert_stopped_before_training(result, work_dir: Path) -> str:
    """The run failed as a user error, before any cycle; its error line."""
    line = user_error_line(result)
    assert not list(work_dir.glob('iter_*.pth'))
    assert 'loss_recon' not in result.stdout + result.stderr
    return line


def test_auto_scale_lr_scales_every_optimiser_to_the_total_batch(
        tiny_config_file, tmp_path):
    """MMagic's --auto-scale-lr: the tiny config's rates are for its batch
    of 2; at batch 4 they are doubled, for all three optimisers."""
    config = tiny_config_file(max_iters=1)
    rates = {}
    for flags, name in (([], 'plain'), (['--auto-scale-lr'], 'scaled')):
        work_dir = tmp_path / name
        # Two runs of one config in one process and second share MMEngine's
        # experiment name (and so its visualizer) unless named apart.
        load_tool('train').main([
            config, '--work-dir', str(work_dir), *flags, '--cfg-options',
            'train_dataloader.batch_size=4', f'experiment_name=lr-{name}'
        ])
        [record] = [r for r in scalars(work_dir) if 'loss_recon' in r]
        rates[name] = {k: v for k, v in record.items() if k.endswith('lr')}
    assert len(rates['plain']) == 3
    assert rates['scaled'] == pytest.approx(
        {k: 2 * v for k, v in rates['plain'].items()})


def test_resume_without_a_checkpoint_stops(tiny_config_file, tmp_path):
    work_dir = tmp_path / 'work'
    result = run_tool(TRAIN, tiny_config_file(), '--work-dir', work_dir,
                      '--resume', cwd=tmp_path)
    line = assert_stopped_before_training(result, work_dir)
    assert line.startswith(f'error: --resume: no checkpoint found in '
                           f'{work_dir} ')
    assert 'run without --resume' in line


def test_resume_from_another_architecture_stops_before_any_update(
        tiny_config_file, tmp_path):
    config = tiny_config_file()
    other = tmp_path / 'other.pth'
    save_other_architecture_checkpoint(config, other)
    work_dir = tmp_path / 'work'
    result = run_tool(TRAIN, config, '--work-dir', work_dir, '--resume',
                      other, cwd=tmp_path)
    line = assert_stopped_before_training(result, work_dir)
    assert line.startswith(f'error: {other} does not match the model of '
                           f'{config}: 0 missing, 0 unexpected, ')
    assert 'wrong shapes (file vs network): generator.pose_transfer.' in line


WEIGHTS_ALONE = 'a best checkpoint or weights alone'


@pytest.mark.parametrize('meta, missing, why', [
    (None, 'meta.epoch, meta.iter, optimizer, param_schedulers',
     WEIGHTS_ALONE),
    (dict(iter=0), 'meta.epoch, optimizer, param_schedulers', WEIGHTS_ALONE),
    (dict(epoch=0, iter=2), 'optimizer, param_schedulers', WEIGHTS_ALONE),
    (dict(epoch=0, iter=2, optimizer=True), 'param_schedulers',
     "saved by a run without this config's param_scheduler"),
])
def test_resume_from_weights_without_training_state_stops(
        tiny_config_file, tmp_path, meta, missing, why):
    """A file of weights alone (no meta, or tools/analysis/
    save_initial_checkpoint.py's meta=dict(iter=0), or a best checkpoint of
    ``save_best``, saved with its meta but no optimiser and schedulers): it
    cannot be resumed, one line says so (MMEngine's KeyError 'epoch' for the
    second before, and for the third a silent restart of the optimisers and
    the learning-rate schedule)."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from ratenet_plugin.registry import MODELS

    config = tiny_config_file()
    init_default_scope('mmagic')
    state = dict(state_dict=MODELS.build(
        Config.fromfile(config).model).state_dict())
    if meta is not None:
        meta = dict(meta)
        if meta.pop('optimizer', False):  # a run without schedulers'
            state['optimizer'] = {}
        state['meta'] = meta
    weights = tmp_path / 'weights.pth'
    torch.save(state, weights)
    work_dir = tmp_path / 'work'
    result = run_tool(TRAIN, config, '--work-dir', work_dir, '--resume',
                      weights, cwd=tmp_path)
    line = assert_stopped_before_training(result, work_dir)
    assert line.startswith(f'error: checkpoint {weights} holds no training '
                           f'state (no {missing}; {why}): it cannot be '
                           'resumed.')


def test_resume_from_an_unsafe_file_stops(tiny_config_file, tmp_path,
                                          bad_checkpoints):
    """(Truncated, empty and foreign files: tests/fileio, and the same
    reader in tools/test.py and tools/infer.py.)"""
    work_dir = tmp_path / 'work'
    malicious = bad_checkpoints['malicious']
    result = run_tool(TRAIN, tiny_config_file(), '--work-dir', work_dir,
                      '--resume', malicious, cwd=tmp_path)
    line = assert_stopped_before_training(result, work_dir)
    assert line.startswith(
        f'error: checkpoint {malicious} is not a weights-only checkpoint: it '
        'would call posix.system while loading, so it was refused for safety '
        'and nothing in it was run')
    assert not bad_checkpoints['marker'].exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason='a CPU-only machine')
def test_float16_amp_on_a_cpu_stops_naming_the_fix(tiny_config_file,
                                                   tmp_path):
    """(A ValueError traceback after the Runner was built before.)"""
    config = tiny_config_file()
    work_dir = tmp_path / 'work'
    result = run_tool(TRAIN, config, '--work-dir', work_dir, '--amp',
                      '--amp-dtype', 'float16', cwd=tmp_path)
    line = assert_stopped_before_training(result, work_dir)
    assert line.startswith(
        'error: config key optim_wrapper.generator.dtype or ')
    assert ('expected "bfloat16" on a CPU: float16 mixed precision needs a '
            'GPU (loss scaling); e.g. --amp --amp-dtype bfloat16') in line


@pytest.mark.parametrize('option, message', [
    ('train_cfg.max_iters=ten',
     "config key train_cfg.max_iters='ten' (in {config}): expected a "
     'positive integer'),
    ('model.lamda_gan=1',
     "config key model.lamda_gan (in {config}): RATENet takes no argument "
     "'lamda_gan' (did you mean lambda_gan?)"),
])
def test_a_config_mistake_names_the_key(tiny_config_file, tmp_path, option,
                                        message):
    """(Every kind of mistake: tests/utils/test_config.py.)"""
    config = tiny_config_file()
    work_dir = tmp_path / 'work'
    result = run_tool(TRAIN, config, '--work-dir', work_dir, '--cfg-options',
                      option, cwd=tmp_path)
    line = assert_stopped_before_training(result, work_dir)
    assert line == (f'error: {message.format(config=config)}; fix the config '
                    'or --cfg-options')


def test_main_called_in_process_trains_without_freezing_the_callers_objects(
        tiny_config_file, tmp_path):
    """gc.freeze() of the Runner's objects is for the tool's own process
    (``__name__ == '__main__'``); a caller that imports the tool and calls
    main() (a test, a notebook) keeps its collector as it was."""
    tool = load_tool('train')
    gc.unfreeze()  # the import's heavy_imports() froze what it built
    try:
        tool.main([
            tiny_config_file(max_iters=1), '--work-dir',
            str(tmp_path / 'work')
        ])
        assert (tmp_path / 'work' / 'iter_1.pth').is_file()
        assert gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()
