"""read_config, load_config, --resume, and config mistakes named by their key
(utils/config_errors.py)."""
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.runner import Runner

from ratenet_plugin.fileio.errors import UserInputError
from ratenet_plugin.utils.arguments import ConfigValueError
from ratenet_plugin.utils.config import (enable_fast_paths, import_plugin,
                                         load_config, read_config,
                                         set_resume)
from ratenet_plugin.utils.config_errors import (config_keys,
                                                naming_config_keys,
                                                typed_config_keys)

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_config_keys_finds_nested_and_listed_values():
    cfg = dict(model=dict(generator=dict(base_channels=4.5),
                          discriminator=dict(base_channels=4)),
               hooks=[dict(base_channels=4.5)])
    assert config_keys(cfg, 'base_channels', 4.5) == [
        'model.generator.base_channels', 'hooks.0.base_channels'
    ]
    assert config_keys(cfg, 'base_channels', 'x') == []


def test_naming_config_keys_reraises_with_the_key(tmp_path):
    path = tmp_path / 'c.py'
    path.write_text('train_cfg = dict(max_iters="ten")\n')
    cfg = Config.fromfile(str(path))
    with pytest.raises(UserInputError) as info:
        with naming_config_keys(cfg):
            raise ConfigValueError('max_iters', 'ten', 'a positive integer')
    assert str(info.value) == (
        f"config key train_cfg.max_iters='ten' (in {path}): expected a "
        'positive integer; fix the config or --cfg-options')


def test_read_config_merges_the_options_and_names_a_missing_file(tmp_path):
    path = tmp_path / 'c.py'
    path.write_text('model = dict(lambda_recon=10.0, lambda_gan=5.0)\n')
    cfg = read_config(str(path), {'model.lambda_gan': 1.0})
    assert cfg.model == dict(lambda_recon=10.0, lambda_gan=1.0)
    assert 'custom_hooks' not in cfg and 'work_dir' not in cfg
    with pytest.raises(UserInputError) as info:
        read_config(str(tmp_path / 'none.py'))
    assert str(info.value) == f'config file not found: {tmp_path}/none.py'


def test_load_config_adds_the_strict_checkpoint_hook_once(tmp_path):
    path = tmp_path / 'c.py'
    path.write_text('custom_hooks = [dict(type="RandomStateHook")]\n')
    cfg = load_config(str(path))
    assert [h['type'] for h in cfg.custom_hooks] == [
        'RandomStateHook', 'StrictCheckpointLoadHook'
    ]
    with pytest.raises(UserInputError, match='config file not found'):
        load_config(str(tmp_path / 'none.py'))


DEMO = REPO_ROOT / 'configs/ratenet/' \
    'ratenet_demo-pat32x22_1xb4-1800cycles_synthetic-64x44.py'


def test_options_on_the_configs_data_variables_reach_every_dataset():
    """--cfg-options data_root=... (or synthetic.<field>) changed only the
    variable; the datasets, built from it when the file was read, trained
    on the old data (generating a whole set where not asked)."""
    cfg = load_config(str(DEMO), {'data_root': '/tmp/mine',
                                  'synthetic.num_identities': 4})
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg[loader].dataset
        assert dataset.data_root == '/tmp/mine', loader
        assert dataset.synthetic.num_identities == 4, loader
        assert dataset.synthetic.poses_per_identity == 6, loader
    # Nothing asked, nothing changed.
    assert load_config(str(DEMO)).train_dataloader.dataset.data_root == \
        'data/synthetic_deepfashion_64x44_200x6'


def test_a_child_config_that_sets_a_data_variable_alone_is_warned(
        tmp_path, capfd):
    child = tmp_path / 'child.py'
    child.write_text(f'_base_ = [{str(DEMO)!r}]\nimage_size = (96, 64)\n')
    capfd.readouterr()
    load_config(str(child))
    printed = capfd.readouterr()
    assert ('config variable image_size=[96, 64] differs from '
            'train_dataloader.dataset.keypoint_frame=[64, 44]'
            ) in ' '.join((printed.out + printed.err).split())


def test_one_optimizer_for_a_model_of_several_names_them():
    with pytest.raises(UserInputError) as info:
        load_config(str(DEMO), {'optim_wrapper.optimizer.type': 'Adam'})
    assert str(info.value) == (
        'config key optim_wrapper.optimizer: this config has one optimiser '
        'per network (MultiOptimWrapperConstructor); set '
        'optim_wrapper.generator.optimizer, '
        'optim_wrapper.shape_discriminator.optimizer, '
        'optim_wrapper.appearance_discriminator.optimizer instead (e.g. '
        '--cfg-options optim_wrapper.generator.optimizer.type=Adam '
        'optim_wrapper.shape_discriminator.optimizer.type=Adam '
        'optim_wrapper.appearance_discriminator.optimizer.type=Adam)')


def test_set_resume(tmp_path):
    cfg = Config(dict(work_dir=str(tmp_path)))
    with pytest.raises(UserInputError,
                       match=f'no checkpoint found in {tmp_path} '):
        set_resume(cfg, 'auto')
    checkpoint = tmp_path / 'iter_2.pth'
    checkpoint.write_bytes(b'x')
    (tmp_path / 'last_checkpoint').write_text(str(checkpoint))
    set_resume(cfg, 'auto')
    assert (cfg.resume, cfg.load_from) == (True, str(checkpoint))
    (tmp_path / 'last_checkpoint').write_text('')
    with pytest.raises(UserInputError,
                       match=f'{tmp_path}/last_checkpoint is empty'):
        set_resume(cfg, 'auto')


def test_resume_in_a_copied_or_moved_work_dir_takes_its_own_file(
        tmp_path, capfd):
    """last_checkpoint holds the path MMEngine saved to: a copied work dir
    resumed from the original's file, a moved one found none."""
    original, copy = tmp_path / 'original', tmp_path / 'copy'
    for folder in (original, copy):
        folder.mkdir()
        (folder / 'iter_2.pth').write_bytes(folder.name.encode())
        (folder / 'last_checkpoint').write_text(
            str(original / 'iter_2.pth'))
    cfg = Config(dict(work_dir=str(copy)))
    set_resume(cfg, 'auto')
    assert cfg.load_from == str(copy / 'iter_2.pth')
    assert 'outside this work dir (it was copied or moved)' in \
        capfd.readouterr().err
    # Moved: the original is gone, and so is the work dir's own file.
    (copy / 'iter_2.pth').unlink()
    (original / 'iter_2.pth').unlink()
    with pytest.raises(UserInputError, match='last_checkpoint names .*'
                       'which does not exist, and .* has no iter_2.pth'):
        set_resume(Config(dict(work_dir=str(copy))), 'auto')


def test_resume_set_in_the_config_keeps_mmengines_meaning(tmp_path):
    """``resume=True`` in a config or ``--cfg-options``: MMEngine's meaning,
    the pattern of requeued jobs (the first start has no checkpoint yet):
    a fresh start, said in the log ("Auto resumed from the latest checkpoint
    None." before); a ``load_from`` that does not exist is refused."""
    empty = tmp_path / 'empty'
    log = tmp_path / 'run.log'
    MMLogger.get_instance(f'resume-{tmp_path.name}', log_file=str(log))
    cfg = Config(dict(work_dir=str(empty), resume=True, load_from=None))
    set_resume(cfg, None)
    assert (cfg.resume, cfg.load_from) == (True, None)
    assert (f'resume=True: no checkpoint in {empty} yet, so training starts '
            'from scratch') in log.read_text()
    cfg = Config(dict(work_dir=str(empty), resume=True,
                      load_from=str(tmp_path / 'none.pth')))
    with pytest.raises(UserInputError,
                       match=f'checkpoint not found: {tmp_path}/none.pth'):
        set_resume(cfg, None)
    cfg = Config(dict(work_dir=str(empty), resume=False, load_from=None))
    set_resume(cfg, None)
    assert (cfg.resume, cfg.load_from) == (False, None)


def built_config_mistake(config: str, option: dict, tmp_path) -> str:
    """The message of building the tiny config's Runner with ``option``
    merged in, inside naming_config_keys."""
    cfg = load_config(config, option, str(tmp_path / 'work'))
    with pytest.raises(UserInputError) as info:
        with naming_config_keys(cfg):
            Runner.from_cfg(cfg)
    return str(info.value)


@pytest.mark.parametrize('option, message', [
    ({'model.lambda_recon': 'abc'},
     "config key model.lambda_recon='abc' (in {config}): expected a number "
     '>= 0'),
    ({'model.generator.pose_transfer.base_channels': 4.5},
     'config key model.generator.pose_transfer.base_channels=4.5 (in '
     '{config}): expected a positive integer'),
    # A keyword the key's type does not take: the closest argument.
    ({'model.lamda_recon': 5.0},
     "config key model.lamda_recon (in {config}): RATENet takes no argument "
     "'lamda_recon' (did you mean lambda_recon?)"),
    ({'model.generator.pose_transfer.num_blokcs': 2},
     'config key model.generator.pose_transfer.num_blokcs (in {config}): '
     "PoseTransferModule takes no argument 'num_blokcs' (did you mean "
     'num_blocks?)'),
    ({'model.generator.pose_transfer.xyz': 2},
     'config key model.generator.pose_transfer.xyz (in {config}): '
     "PoseTransferModule takes no argument 'xyz'"),
    # A type no registry holds: the closest registered one.
    ({'model.type': 'RATENEt'},
     "config key model.type='RATENEt' (in {config}): no model of that type "
     'is registered (did you mean RATENet?)'),
    ({'model.generator.pose_transfer.type': 'PoseTransferModul'},
     "config key model.generator.pose_transfer.type='PoseTransferModul' (in "
     '{config}): no model of that type is registered (did you mean '
     'PoseTransferModule?)'),
])
def test_a_config_mistake_names_the_key(tiny_config_file, tmp_path, option,
                                        message):
    config = tiny_config_file()
    text = built_config_mistake(config, option, tmp_path)
    assert text.startswith(message.format(config=config) + ';')
    assert 'fix the config or --cfg-options' in text


def test_a_key_a_subclass_passes_on_is_named_with_the_configs_type(
        tmp_path):
    """PosePix2Pix passes its keywords to MMagic's BaseTranslationModel,
    whose name the TypeError gives: the key is still found, and named with
    the config's type and the arguments along the way."""
    config = str(REPO_ROOT / 'configs' / 'pix2pix_pose' /
                 'pix2pix_vanilla-unet-bn_1xb8-2kiters_deepfashion-pose-demo.py')
    text = built_config_mistake(config, {'model.discriminator_step': 2},
                                tmp_path)
    assert text.startswith(
        f'config key model.discriminator_step (in {config}): PosePix2Pix '
        "takes no argument 'discriminator_step' (did you mean "
        'discriminator_steps?);')


def test_a_type_error_that_is_no_config_key_stays_a_bug(tmp_path):
    """The same words from a call in our code, with no such key in the
    config: a bug, re-raised as it is."""
    cfg = Config(dict(model=dict(type='RATENet', lambda_recon=10.0)))
    error = TypeError("RATENet.__init__() got an unexpected keyword "
                      "argument 'lamda_recon'")
    with pytest.raises(TypeError) as info:
        with naming_config_keys(cfg):
            raise error
    assert info.value is error
    assert typed_config_keys(cfg.to_dict(), 'RATENet', 'lambda_recon') == [
        'model.lambda_recon'
    ]
    assert typed_config_keys(cfg.to_dict(), 'PoseTransferModule',
                             'lambda_recon') == []


def test_an_unknown_type_not_in_the_config_stays_a_bug():
    cfg = Config(dict(model=dict(type='RATENet')))
    error = KeyError('PoseTransferModul is not in the mmagic::model registry')
    with pytest.raises(KeyError) as info:
        with naming_config_keys(cfg):
            raise error
    assert info.value is error


def test_custom_imports_as_the_runner_takes_them():
    """A single module as a string, and allow_failed_imports, as MMEngine's
    Runner reads custom_imports (a string was imported letter by letter)."""
    import_plugin(Config(dict(custom_imports=dict(
        imports='ratenet_plugin.apis.person_crop'))))
    with pytest.warns(UserWarning, match='no_such_module'):
        import_plugin(Config(dict(custom_imports=dict(
            imports=['no_such_module'], allow_failed_imports=True))))
    with pytest.raises(ImportError):
        import_plugin(Config(dict(custom_imports=dict(
            imports=['no_such_module']))))


@pytest.mark.parametrize('option, flag', [
    (dict(torch_compile=True), '--compile'),
    (dict(channels_last=True), '--channels-last'),
])
def test_fast_paths_of_a_model_without_them_stop_early(option, flag):
    """RATE-Net's fast paths asked of a Pix2Pix config: one error naming
    the flag, not the model constructor's TypeError."""
    cfg = Config.fromfile(str(
        REPO_ROOT / 'configs' / 'pix2pix_pose' /
        'pix2pix_vanilla-unet-bn_1xb8-2kiters_deepfashion-pose-demo.py'))
    import_plugin(cfg)
    with pytest.raises(UserInputError,
                       match=f'{flag}: model.type=PosePix2Pix takes no'):
        enable_fast_paths(cfg, **option)


def test_a_loop_given_in_part_names_the_keys_to_set():
    with pytest.raises(UserInputError) as info:
        load_config(str(DEMO), {'val_dataloader': None})
    assert str(info.value) == (
        'config key val_dataloader=None: validation needs val_dataloader, '
        'val_cfg, val_evaluator, or none of them; to go without it set all '
        'three (--cfg-options val_dataloader=None val_cfg=None '
        'val_evaluator=None)')
    # All three unset: training without validation is a valid config.
    cfg = load_config(str(DEMO), {key: None for key in (
        'val_dataloader', 'val_cfg', 'val_evaluator')})
    assert cfg.val_dataloader is None
    # But not for a loop the tool runs (tools/train.py: training).
    with pytest.raises(UserInputError) as info:
        load_config(str(DEMO), {key: None for key in (
            'train_dataloader', 'train_cfg', 'optim_wrapper')},
                    needs=('training', ))
    assert str(info.value).endswith(
        'training needs train_dataloader, train_cfg, optim_wrapper, and this '
        'tool runs it: drop the =None options, or give a config that has '
        'all three')


def test_persistent_workers_without_workers_names_both_keys():
    with pytest.raises(UserInputError) as info:
        load_config(str(DEMO), {'train_dataloader.persistent_workers': True,
                                'train_dataloader.num_workers': 0})
    assert str(info.value).startswith(
        'config key train_dataloader.persistent_workers=True needs worker '
        'processes, and train_dataloader.num_workers is 0: set '
        'train_dataloader.persistent_workers=False')
    load_config(str(DEMO), {'train_dataloader.persistent_workers': True,
                            'train_dataloader.num_workers': 1})


def test_an_option_setting_a_used_config_variable_names_its_uses():
    """num_cycles (and the PATN configs' pose_transfer_checkpoint) are
    evaluated when the file is read: the option changed the variable alone
    and the run trained the file's 1,800 cycles."""
    with pytest.raises(UserInputError) as info:
        load_config(str(DEMO), {'num_cycles': 3200})
    assert str(info.value) == (
        '--cfg-options num_cycles: num_cycles is a variable of the config '
        'file, evaluated when the file is read, so its uses keep its value '
        '1800: train_cfg.max_iters, param_scheduler.1.end; set those keys '
        'instead (and the values the file computes from it, which are not '
        'listed)')
    # The demo's base file sets lr = 1e-4 for its radam dict; the demo
    # replaced both by 1e-3: no key the run reads holds 1e-4 (radam.lr,
    # another variable, was named before).
    with pytest.raises(UserInputError) as info:
        load_config(str(DEMO), {'lr': 2e-4})
    assert 'setting it changes nothing the run reads (no setting holds its ' \
        'value 0.0001' in str(info.value)
    assert 'radam' not in str(info.value)
    patn_init = REPO_ROOT / 'configs/ratenet/' \
        'ratenet_patn-init_1xb7-40kcycles_deepfashion-256x176.py'
    with pytest.raises(UserInputError,
                       match='model.generator.pose_transfer.init_cfg.'
                       'checkpoint; set those keys instead'):
        load_config(str(patn_init), {'pose_transfer_checkpoint': 'x.pth'})
    # The keys themselves, and the data set's variables, are taken.
    cfg = load_config(str(DEMO), {'train_cfg.max_iters': 3200,
                                  'data_root': 'elsewhere'})
    assert cfg.train_cfg.max_iters == 3200


def test_a_new_data_root_that_would_be_generated_is_warned(tmp_path, capfd):
    """A mistyped data_root of a demo config (synthetic set) made a whole
    synthetic set there and trained on it, with one INFO line."""
    missing = tmp_path / 'mydta'
    load_config(str(DEMO), {'data_root': str(missing)})
    printed = ' '.join(capfd.readouterr().err.split())
    assert (f'warning: data_root={missing} does not exist, and this config '
            'generates a synthetic set') in printed
    load_config(str(DEMO), {'data_root': str(tmp_path)})  # it exists
    load_config(str(DEMO), {'data_root': str(missing), 'synthetic': None})
    assert 'data_root=' not in capfd.readouterr().err
