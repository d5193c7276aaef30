"""Small helpers shared by tools/train.py, tools/test.py and the tests."""
import copy
import importlib
import logging
import os.path as osp
import sys
from typing import Any, List, Optional, Sequence, Tuple, Union

from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.runner.checkpoint import find_latest_checkpoint
from mmengine.utils import import_modules_from_strings

from ratenet_plugin.fileio.checkpoint_file import check_checkpoint_path
from ratenet_plugin.fileio.errors import UserInputError, listing
from ratenet_plugin.fileio.garment_labels import labels_folder
from ratenet_plugin.fileio.json_file import to_json_value
from ratenet_plugin.utils.config_errors import constructor_arguments
from ratenet_plugin.utils.fast_paths import (AUTO, FastPaths, MachineInfo,
                                             describe_fast_paths,
                                             detect_machine,
                                             resolve_fast_paths)

#: Checks every checkpoint a Runner loads against its model
#: (engine/checkpoint_hooks.py).
STRICT_CHECKPOINT_HOOK = 'StrictCheckpointLoadHook'


def read_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """The config file at ``path`` with ``cfg_options`` (``--cfg-options``)
    merged in: what a tool that builds parts of a model reads
    (tools/benchmark.py, tools/analysis/); :func:`load_config` adds what a
    Runner needs.

    Raises:
        UserInputError: No file at ``path``.
    """
    path = osp.expanduser(path)
    if not osp.isfile(path):
        raise UserInputError(f'config file not found: {path}')
    cfg = Config.fromfile(path)
    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    return cfg


def load_config(path: str,
                cfg_options: Optional[dict] = None,
                work_dir: Optional[str] = None,
                launcher: str = 'none',
                needs: Sequence[str] = ()) -> Config:
    """Read a config the way tools/train.py and tools/test.py do (MMagic's rules).

    ``cfg_options`` (from ``--cfg-options``) are merged in; the work dir is
    ``work_dir`` if given, else the config's, else ``./work_dirs/<config name>``.
    ``StrictCheckpointLoadHook`` is added to ``custom_hooks`` (once), so
    that ``load_from`` and ``--resume`` stop on a checkpoint that does not
    fit the model. ``needs``: the loops the calling tool runs
    (``'training'``, ``'testing'``), whose parts must all be set.
    """
    cfg = read_config(path)
    cfg.launcher = launcher  # before the options, as MMagic's train.py
    if cfg_options is not None:
        _refuse_variables_not_passed_on(cfg, cfg_options)
        cfg.merge_from_dict(cfg_options)
        pass_dataset_variables_on(cfg, cfg_options)
    if work_dir:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(path))[0])
    hooks = list(cfg.get('custom_hooks') or [])
    if all(hook.get('type') != STRICT_CHECKPOINT_HOOK for hook in hooks):
        cfg.custom_hooks = hooks + [dict(type=STRICT_CHECKPOINT_HOOK)]
    warn_stale_dataset_variables(cfg)
    _check_one_optimizer_per_network(cfg)
    _check_loop_parts(cfg, needs)
    _check_persistent_workers(cfg)
    _check_garment_labels(cfg)
    return cfg


def _metric_types(evaluator: Any) -> List[str]:
    """The metric types of an evaluator config (an Evaluator with
    ``metrics``, a list of metrics, or one metric)."""
    if isinstance(evaluator, dict) and 'metrics' in evaluator:
        evaluator = evaluator['metrics']
    metrics = evaluator if isinstance(evaluator, (list, tuple)) else [
        evaluator]
    return [m.get('type') for m in metrics if isinstance(m, dict)]


def _check_garment_labels(cfg: Config) -> None:
    """GarmentFidelity on data without garment labels (a demo config
    pointed at one's own data) stopped at the first validation, hundreds of
    cycles in: refused here, where the data exist and have no labels (a
    synthetic set still to be generated writes them)."""
    for loader, evaluator in (('val_dataloader', 'val_evaluator'),
                              ('test_dataloader', 'test_evaluator')):
        if 'GarmentFidelity' not in _metric_types(cfg.get(evaluator)):
            continue
        dataset = (cfg.get(loader) or {}).get('dataset') or {}
        root = dataset.get('data_root') or ''
        prefix = (dataset.get('data_prefix') or {}).get('img', '')
        images = osp.abspath(osp.join(root, prefix))
        labels = labels_folder(images)
        if osp.isdir(images) and not osp.isdir(labels):
            raise UserInputError(
                f'config key {evaluator}: GarmentFidelity scores the garment '
                'label images that only the synthetic sets have, and '
                f'{images} has none ({labels}): for your own '
                'data use a config without it, e.g. configs/ratenet/ratenet_'
                'demo-pat32x22_1xb4-1800cycles_own-data-64x44.py '
                '(docs/inference.md, training on your photos)')


#: What MMEngine's Runner builds a loop from: all three, or none of them.
_LOOP_PARTS = (('training', ('train_dataloader', 'train_cfg',
                             'optim_wrapper')),
               ('validation', ('val_dataloader', 'val_cfg', 'val_evaluator')),
               ('testing', ('test_dataloader', 'test_cfg', 'test_evaluator')))


def _check_loop_parts(cfg: Config, needs: Sequence[str]) -> None:
    """``val_dataloader=None`` alone (to train without validation): the
    Runner refused it with a ValueError that printed the whole evaluator.
    A loop the tool ``needs`` must have all its parts."""
    for what, keys in _LOOP_PARTS:
        unset = [key for key in keys if cfg.get(key) is None]
        if not unset or (len(unset) == len(keys) and what not in needs):
            continue
        where = f'config key {"=None, ".join(unset)}=None: {what} needs '
        if what in needs:
            raise UserInputError(
                f'{where}{", ".join(keys)}, and this tool runs it: drop '
                'the =None options, or give a config that has all three')
        raise UserInputError(
            f'{where}{", ".join(keys)}, or none of them; to go without it '
            'set all three (--cfg-options '
            + ' '.join(f'{key}=None' for key in keys) + ')')


def _check_persistent_workers(cfg: Config) -> None:
    """PyTorch's DataLoader refuses persistent workers without workers,
    with a traceback that names neither the loader nor the key."""
    for name in _LOADERS:
        loader = cfg.get(name) or {}
        if loader.get('persistent_workers') and not loader.get(
                'num_workers', 0):
            raise UserInputError(
                f'config key {name}.persistent_workers=True needs worker '
                f'processes, and {name}.num_workers is '
                f'{loader.get("num_workers", 0)}: set '
                f'{name}.persistent_workers=False with it (--cfg-options '
                f'{name}.num_workers=0 {name}.persistent_workers=False), '
                f'or {name}.num_workers to 1 or more')


def _check_one_optimizer_per_network(cfg: Config) -> None:
    """``optim_wrapper.optimizer`` (MMEngine's single-optimiser form) on a
    config with one optimiser per network: MMagic's constructor took it for
    a network called 'optimizer' and failed with an assertion."""
    wrapper = cfg.get('optim_wrapper') or {}
    if wrapper.get('constructor') != 'MultiOptimWrapperConstructor' or \
            'optimizer' not in wrapper:
        return
    networks = [k for k, v in wrapper.items()
                if isinstance(v, dict) and 'optimizer' in v]
    raise UserInputError(
        'config key optim_wrapper.optimizer: this config has one optimiser '
        'per network (MultiOptimWrapperConstructor); set '
        + ', '.join(f'optim_wrapper.{n}.optimizer' for n in networks)
        + ' instead (e.g. --cfg-options '
        + ' '.join(f'optim_wrapper.{n}.optimizer.type=Adam' for n in networks)
        + ')')


#: Top-level config variables our configs build their datasets from, and the
#: dataset argument each feeds.
DATASET_VARIABLES = (('data_root', 'data_root'),
                     ('image_size', 'keypoint_frame'),
                     ('synthetic', 'synthetic'))


_LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


#: Top-level keys that MMEngine's Runner, MMagic and our tools read
#: themselves: options setting them take effect.
RUNNER_KEYS = frozenset((
    'model', 'work_dir', 'train_dataloader', 'val_dataloader',
    'test_dataloader', 'train_cfg', 'val_cfg', 'test_cfg', 'auto_scale_lr',
    'optim_wrapper', 'param_scheduler', 'val_evaluator', 'test_evaluator',
    'default_hooks', 'custom_hooks', 'data_preprocessor', 'load_from',
    'resume', 'launcher', 'env_cfg', 'log_processor', 'log_level',
    'visualizer', 'default_scope', 'randomness', 'experiment_name',
    'custom_imports', 'fast_paths'))


def _keys_holding(tree: Any, value: Any, prefix: str = '') -> List[str]:
    """Dotted keys of ``tree``, a JSON value (:func:`to_json_value`: tuples
    are lists), whose value is ``value``."""
    if tree == value and prefix:
        return [prefix]
    if isinstance(tree, dict):
        items = tree.items()
    elif isinstance(tree, list):
        items = enumerate(tree)
    else:
        return []
    return [key for name, child in items
            for key in _keys_holding(child, value, f'{prefix}{name}.')]


def _refuse_variables_not_passed_on(cfg: Config, cfg_options: dict) -> None:
    """``--cfg-options num_cycles=3200`` (or ``pose_transfer_checkpoint``,
    ``lr``: any variable of the config file other than the data set's,
    which :func:`pass_dataset_variables_on` passes on) changed the variable
    alone: its uses were evaluated when the file was read, and the run
    silently kept the file's value (trained 1,800 cycles; loaded the default
    PATN file). Refused, naming the keys the run reads that hold the
    variable's value (those under :data:`RUNNER_KEYS`), if any."""
    passed_on = {variable for variable, _ in DATASET_VARIABLES}
    for option in cfg_options:
        name = option.split('.')[0]
        if name in RUNNER_KEYS or name in passed_on or name not in cfg:
            continue
        value = to_json_value(cfg[name])
        # Where the run reads the variable's value (not other variables);
        # True, False and None are everywhere, so not searched.
        uses = [] if value is None or isinstance(value, bool) else [
            key.rstrip('.') for top, tree in cfg.to_dict().items()
            if top in RUNNER_KEYS
            for key in _keys_holding(to_json_value(tree), value, f'{top}.')]
        what = (f'--cfg-options {option}: {name} is a variable of the config '
                'file, evaluated when the file is read, so ')
        if uses:
            raise UserInputError(
                f'{what}its uses keep its value {cfg[name]!r}: '
                f'{listing(uses)}; set those keys instead (and the values '
                'the file computes from it, which are not listed)')
        raise UserInputError(
            f'{what}setting it changes nothing the run reads (no setting '
            f'holds its value {cfg[name]!r}: the file uses it elsewhere, or '
            'replaced it); set the keys the run reads instead (e.g. '
            'optim_wrapper.generator.optimizer.lr, train_cfg.max_iters)')


def pass_dataset_variables_on(cfg: Config, cfg_options: dict) -> None:
    """``--cfg-options data_root=...`` (or ``image_size``, ``synthetic``
    and its fields) reaches every dataset built from that variable.

    They are Python variables of the config file: MMEngine evaluates the
    dataset dicts from them once, when the file is read, so the option
    changed the variable and nothing else, and the run silently used the
    old data (a whole synthetic set generated where the user did not ask).
    """
    for variable, argument in DATASET_VARIABLES:
        if variable not in cfg or not any(
                key == variable or key.startswith(variable + '.')
                for key in cfg_options):
            continue
        for loader in _LOADERS:
            dataset = (cfg.get(loader) or {}).get('dataset') or {}
            if argument in dataset:
                dataset[argument] = copy.deepcopy(cfg[variable])
    root = cfg.get('data_root')
    if ('data_root' in cfg_options and cfg.get('synthetic')
            and isinstance(root, str) and not osp.exists(root)):
        # stderr: the Runner's logger is not made yet.
        print(f'warning: data_root={root} does not exist, and this config '
              'generates a synthetic set where it finds none (its synthetic '
              'setting): it will be made there. For your own data give an '
              'existing folder, with synthetic=None', file=sys.stderr)


def warn_stale_dataset_variables(cfg: Config) -> None:
    """Warn where a top-level ``data_root``, ``image_size`` or
    ``synthetic`` differs from what a dataset is built with: a child config
    that set the variable alone did not change the datasets (one that set
    the datasets and left the variable is fine, hence a warning)."""
    for variable, argument in DATASET_VARIABLES:
        if variable not in cfg:
            continue
        value = to_json_value(cfg[variable])  # tuples and lists alike
        for loader in _LOADERS:
            dataset = (cfg.get(loader) or {}).get('dataset') or {}
            used = to_json_value(dataset.get(argument, value))
            if used != value:
                # stderr, not MMEngine's logger: the Runner's is not made
                # yet, and making one here changes where it writes.
                print(f'warning: config variable {variable}={value!r} '
                      f'differs from {loader}.dataset.{argument}={used!r}, '
                      'which the data comes from: a top-level variable feeds '
                      'the datasets only in the file that defines them; if '
                      f'you meant the variable, set {loader}.dataset.'
                      f'{argument} (in every dataloader)', file=sys.stderr)
                break


def enable_auto_scale_lr(cfg: Config, path: str) -> None:
    """``--auto-scale-lr`` (MMagic's flag): scale every optimiser's learning
    rate by the total batch (processes x batch size) over the one the rates
    were set for, by MMEngine's linear rule: ``auto_scale_lr.base_batch_size``
    where the config gives it, else the batch size written in the config
    file ``path`` (our configs' rates are for one process with it, ``1xbN``
    in their names), so that ``--cfg-options train_dataloader.batch_size``
    scales them too."""
    base = (cfg.get('auto_scale_lr') or {}).get('base_batch_size')
    if base is None:
        base = read_config(path).train_dataloader.batch_size
    cfg.auto_scale_lr = dict(enable=True, base_batch_size=base)


def _in_work_dir(latest: str, work_dir: str, option: str) -> str:
    """The checkpoint ``last_checkpoint`` names, taken from the work dir
    itself when it names another folder's file (MMEngine writes the path it
    saved to: a work dir copied or moved since names the old place, and the
    run resumed from the original's file, or found none)."""
    own = osp.join(work_dir, osp.basename(latest))
    if osp.realpath(osp.dirname(latest)) == osp.realpath(work_dir):
        return latest
    if osp.isfile(own):
        # stderr: the Runner's logger is not made yet.
        print(f'warning: {work_dir}/last_checkpoint names {latest}, outside '
              'this work dir (it was copied or moved): resuming from '
              f'{own}', file=sys.stderr)
        return own
    if not osp.isfile(latest):
        raise UserInputError(
            f'{option}: {work_dir}/last_checkpoint names {latest}, which does '
            f'not exist, and {work_dir} has no {osp.basename(latest)}: pass '
            'a checkpoint of the run: --resume WORK_DIR/iter_N.pth')
    return latest


def set_resume(cfg: Config, resume: Optional[str]) -> None:
    """Apply ``--resume [CHECKPOINT]`` to ``cfg`` (in place).

    ``'auto'``: resume from the latest checkpoint of ``cfg.work_dir`` (its
    ``last_checkpoint`` file), which must exist: MMEngine would silently
    start from scratch instead. Anything else but None: resume from that
    checkpoint file. None: what the config says; ``resume=True`` there (or
    in ``--cfg-options``) keeps MMEngine's meaning, the pattern of requeued
    jobs: its ``load_from``, which must exist, else the latest checkpoint,
    else a fresh start, which is logged as a warning.

    Raises:
        UserInputError: ``'auto'`` and no checkpoint in the work dir.
    """
    option = '--resume'
    if resume is None:
        if not cfg.get('resume'):
            return
        option = 'resume=True'
        resume = cfg.get('load_from') or 'auto'
    if resume == 'auto':
        latest = find_latest_checkpoint(cfg.work_dir)
        if latest is None and option == 'resume=True':
            print_log(
                f'resume=True: no checkpoint in {cfg.work_dir} yet, so '
                'training starts from scratch (MMEngine\'s meaning of '
                'resume=True; --resume refuses this)',
                logger='current',
                level=logging.WARNING)
            return
        if latest is None:
            raise UserInputError(
                f'{option}: no checkpoint found in {cfg.work_dir} (no '
                'last_checkpoint file there; tools/train.py writes one with '
                'every checkpoint). To start training from scratch, run '
                f'without {option}; to continue another run, pass its '
                'checkpoint: --resume WORK_DIR/iter_N.pth')
        if not latest.strip():
            raise UserInputError(
                f'{option}: {cfg.work_dir}/last_checkpoint is empty (a run '
                'stopped while writing it): pass a checkpoint of the run: '
                '--resume WORK_DIR/iter_N.pth')
        resume = _in_work_dir(latest.strip(), cfg.work_dir, option)
    cfg.resume = True
    cfg.load_from = check_checkpoint_path(resume)


def import_plugin(cfg: Config) -> None:
    """Import the plugin (registers everything) and the config's custom imports.

    Configs name ``custom_imports=dict(imports=['ratenet_plugin'])``; the Runner
    imports them too, but importing here first makes a broken install fail with
    Python's own ImportError instead of an unknown-type error later.
    """
    importlib.import_module('ratenet_plugin')
    custom = cfg.get('custom_imports')
    if custom:  # as the Runner imports them (a string, allow_failed_imports)
        import_modules_from_strings(**custom)


AMP_WRAPPERS = ('AmpOptimWrapper', 'AnyDeviceAmpOptimWrapper')


def enable_amp(cfg: Config, dtype: Optional[str] = None) -> None:
    """Turn every ``OptimWrapper`` of ``cfg.optim_wrapper`` into an
    ``AnyDeviceAmpOptimWrapper`` (MMEngine's ``AmpOptimWrapper`` that also
    runs bfloat16 on CPU and skips loss scaling for bfloat16).

    Handles both a single wrapper (``optim_wrapper=dict(type='OptimWrapper',
    ...)``) and a dict of wrappers, one per trainable module (our GAN configs).
    float16 (GPU only) uses dynamic loss scaling; bfloat16 needs none.

    Args:
        cfg (Config): Config to change in place.
        dtype (str, optional): ``'float16'`` or ``'bfloat16'``; None for
            float16 on a GPU, bfloat16 on CPU.
    """
    wrappers = cfg.optim_wrapper
    if 'type' in wrappers or 'optimizer' in wrappers:
        targets = [wrappers]
    else:
        targets = [w for w in wrappers.values() if isinstance(w, dict)]
    for wrapper in targets:
        current = wrapper.get('type', 'OptimWrapper')
        if current in AMP_WRAPPERS:
            continue
        if current != 'OptimWrapper':
            raise ValueError(
                f'--amp turns OptimWrapper into AnyDeviceAmpOptimWrapper, but '
                f'the config uses {current!r}; set the AMP wrapper in the '
                'config instead.')
        wrapper['type'] = 'AnyDeviceAmpOptimWrapper'
        wrapper['loss_scale'] = 'dynamic'
        if dtype is not None:
            wrapper['dtype'] = dtype


def uses_amp(cfg: Config) -> bool:
    """Whether any optimiser wrapper of ``cfg`` is an AMP wrapper."""
    wrappers = cfg.optim_wrapper
    if 'type' in wrappers or 'optimizer' in wrappers:
        wrappers = {'': wrappers}
    return any(
        isinstance(w, dict) and w.get('type') in AMP_WRAPPERS
        for w in wrappers.values())


def compile_option(mode: Optional[str]) -> Union[bool, dict]:
    """``model.torch_compile`` for a ``--compile [MODE]`` flag: False when
    absent, True for ``'default'``, else ``dict(mode=MODE)``."""
    if mode is None:
        return False
    return True if mode == 'default' else dict(mode=mode)


def _check_model_takes(cfg: Config, key: str, asked_by: str) -> None:
    """Stop where a fast path is asked of a model that has none (e.g.
    ``--compile`` on a Pix2Pix config), before the build's TypeError."""
    from mmagic.registry import MODELS

    model_type = cfg.model.get('type')
    # What is registered already first: MODELS.get imports MMagic's whole
    # model zoo (seconds of a quick start) to search it.
    cls = (MODELS.module_dict.get(model_type) or MODELS.get(model_type)) \
        if isinstance(model_type, str) else model_type
    # The arguments along the classes that pass **kwargs on, as a typo's
    # message reads them.
    if cls is None or key in constructor_arguments(cls):
        return  # an unknown type is named by the build
    raise UserInputError(
        f'{asked_by}: model.type={model_type} takes no {key} (the fast paths '
        'are RATE-Net\'s, model.type=RATENet); drop ' + asked_by)


def enable_fast_paths(cfg: Config,
                      *,
                      channels_last: bool = False,
                      torch_compile: Union[bool, dict] = False,
                      cudnn_benchmark: Optional[bool] = None) -> None:
    """Switch on RATENet's fast paths in ``cfg`` (in place).

    Args:
        cfg (Config): A config whose ``model`` is a ``RATENet``.
        channels_last (bool): Set ``model.channels_last=True``.
        torch_compile (bool | dict): Set ``model.torch_compile`` (True or
            ``torch.compile`` arguments) and ``model.winograd=False`` (the
            compiled graph computes the convolutions itself); False leaves
            the config as is.
        cudnn_benchmark (bool, optional): Set
            ``env_cfg.cudnn_benchmark``; None leaves it as is.
    """
    if channels_last:
        _check_model_takes(cfg, 'channels_last', '--channels-last')
        cfg.model.channels_last = True
    if torch_compile:
        _check_model_takes(cfg, 'torch_compile', '--compile')
        cfg.model.torch_compile = torch_compile
        cfg.model.winograd = False
    if cudnn_benchmark is not None:
        cfg.setdefault('env_cfg', {})
        cfg.env_cfg.cudnn_benchmark = cudnn_benchmark


def apply_model_fast_paths(
    cfg: Config,
    *,
    amp: Optional[bool] = None,
    channels_last: Optional[bool] = None,
    machine: Optional[MachineInfo] = None
) -> Optional[Tuple[FastPaths, dict]]:
    """Resolve the config's ``fast_paths`` with the flags given for
    ``machine``, set the model's layout (``model.channels_last``) and log
    the choice in one line; the caller applies ``amp`` its way (training in
    the optimiser wrappers, :func:`apply_fast_paths`; generation around the
    forward, :class:`~ratenet_plugin.apis.RATENetInferencer`).

    ``cfg.fast_paths = dict(amp=..., channels_last=...)`` (True, False or
    ``'auto'``; missing entries are ``'auto'``); the ``amp``/
    ``channels_last`` arguments (command-line flags; None = not given)
    replace its entries. ``'auto'`` follows
    :func:`~ratenet_plugin.utils.fast_paths.choose_fast_paths`. A config
    without ``fast_paths`` keeps its own settings (its AMP wrappers, its
    ``model.channels_last``) apart from the flags given.

    Returns:
        tuple | None: ``(choice, setting)``, where ``setting`` holds each
        entry as given (True, False or ``'auto'``); None (nothing changed,
        nothing logged) when neither the config nor the flags say anything.
    """
    setting = dict(cfg.get('fast_paths') or {})
    for key, flag in (('amp', amp), ('channels_last', channels_last)):
        if flag is not None:
            setting[key] = flag
    if not setting:
        return None
    if 'fast_paths' in cfg:
        setting.setdefault('amp', AUTO)
        setting.setdefault('channels_last', AUTO)
    else:  # the config's own settings stand where no flag is given
        setting.setdefault('amp', 'optim_wrapper' in cfg and uses_amp(cfg))
        setting.setdefault('channels_last',
                           bool(cfg.model.get('channels_last', False)))
    machine = machine or detect_machine()
    paths = resolve_fast_paths(setting, machine)
    if paths.channels_last or 'channels_last' in cfg.model:
        if paths.channels_last and 'channels_last' not in cfg.model:
            _check_model_takes(cfg, 'channels_last', '--channels-last')
        cfg.model.channels_last = paths.channels_last
    print_log(describe_fast_paths(paths, setting, machine), logger='current')
    return paths, setting


def apply_fast_paths(cfg: Config,
                     *,
                     amp: Optional[bool] = None,
                     channels_last: Optional[bool] = None,
                     amp_dtype: Optional[str] = None,
                     machine: Optional[MachineInfo] = None
                     ) -> Optional[FastPaths]:
    """Resolve the config's ``fast_paths`` for this machine and apply it
    for training: channels_last weights and the log line
    (:func:`apply_model_fast_paths`), bf16 autocast in the optimiser
    wrappers (:func:`enable_amp`).

    Args:
        cfg (Config): Config to change in place.
        amp (bool, optional): ``--amp``/``--no-amp``.
        channels_last (bool, optional): ``--channels-last``/
            ``--no-channels-last``.
        amp_dtype (str, optional): ``--amp-dtype``; None: bfloat16 where
            ``'auto'`` chose autocast, else float16 on a GPU (MMEngine's
            ``--amp``) and bfloat16 on CPU.
        machine (MachineInfo, optional): The machine; None detects it.

    Returns:
        FastPaths | None: The choice; None when neither the config nor the
        flags say anything.
    """
    resolved = apply_model_fast_paths(
        cfg, amp=amp, channels_last=channels_last, machine=machine)
    if resolved is None:
        return None
    paths, setting = resolved
    if paths.amp:
        if amp_dtype is None and setting['amp'] == AUTO:
            amp_dtype = 'bfloat16'  # the rule's choice, on a GPU too
        enable_amp(cfg, dtype=amp_dtype)
    return paths
