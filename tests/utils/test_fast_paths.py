"""The fast-path rule (what the machine has -> bf16, channels_last) and its
application to a config (tools/train.py's flags over the config's
``fast_paths`` over the machine's choice)."""
import pytest
import torch
from mmengine.config import Config

from ratenet_plugin.fileio.errors import UserInputError
from ratenet_plugin.utils.config import apply_fast_paths
from ratenet_plugin.utils.fast_paths import (FastPaths, MachineInfo,
                                             choose_fast_paths,
                                             describe_fast_paths,
                                             detect_machine,
                                             resolve_fast_paths)

AMD_EPYC = MachineInfo('cpu', 'AMD EPYC', frozenset({'avx2', 'avx512f',
                                                     'avx512_bf16'}),
                       'AVX512')
INTEL_AMX = MachineInfo('cpu', 'Intel Xeon', frozenset({'avx512f',
                                                        'amx_bf16'}),
                        'AVX512')
OLD_CPU = MachineInfo('cpu', 'old', frozenset({'avx2'}), 'AVX2')
GPU = MachineInfo('cuda', 'host', frozenset({'avx512_bf16'}), 'AVX512',
                  'NVIDIA H200', gpu_bf16=True)
OLD_GPU = MachineInfo('cuda', 'host', frozenset({'avx512_bf16'}), 'AVX512',
                      'Tesla V100', gpu_bf16=False)


@pytest.mark.parametrize('machine, expected', [
    (AMD_EPYC, FastPaths(amp=True, channels_last=True)),
    (INTEL_AMX, FastPaths(amp=True, channels_last=True)),
    (OLD_CPU, FastPaths(amp=False, channels_last=True)),
    (GPU, FastPaths(amp=True, channels_last=False)),
    (OLD_GPU, FastPaths(amp=False, channels_last=False)),
])
def test_rule(machine, expected):
    assert choose_fast_paths(machine) == expected


def test_detected_machine_reads_this_cpu():
    machine = detect_machine('cpu')
    with open('/proc/cpuinfo') as f:
        flags = next(line for line in f if line.startswith('flags'))
    assert machine.cpu_flags == frozenset(flags.split(':')[1].split())
    assert machine.cpu_capability == torch.backends.cpu.get_cpu_capability()
    assert machine.native_bf16 == bool(
        {'avx512_bf16', 'amx_bf16'} & machine.cpu_flags)


def test_explicit_values_win_over_auto():
    assert resolve_fast_paths(dict(amp=True, channels_last='auto'),
                              AMD_EPYC) == FastPaths(True, True)
    assert resolve_fast_paths({}, OLD_CPU) == FastPaths(False, True)


@pytest.mark.parametrize('setting,message', [
    (dict(amp='yes'), "fast_paths.amp='yes': expected True, False or 'auto'"),
    (dict(bf16=True), "expected only the keys amp and channels_last "
     "\\(not \\['bf16'\\]\\)"),
])
def test_bad_settings_are_the_users_mistake(setting, message):
    """A user's config value: one error line from every tool (a
    UserInputError), not a traceback."""
    with pytest.raises(UserInputError, match=message):
        resolve_fast_paths(setting, AMD_EPYC)


def ratenet_cfg(**top_level) -> Config:
    return Config(
        dict(
            model=dict(type='RATENet', channels_last=False),
            optim_wrapper=dict(
                generator=dict(type='OptimWrapper'),
                shape_discriminator=dict(type='OptimWrapper')),
            **top_level))


def amp_types(cfg: Config) -> set:
    return {w.type for w in cfg.optim_wrapper.values()}


def test_auto_config_follows_the_machine():
    cfg = ratenet_cfg(fast_paths=dict(amp='auto', channels_last='auto'))
    assert apply_fast_paths(cfg, machine=AMD_EPYC) == FastPaths(True, True)
    assert cfg.model.channels_last is True
    assert amp_types(cfg) == {'AnyDeviceAmpOptimWrapper'}

    cfg = ratenet_cfg(fast_paths=dict(amp='auto', channels_last='auto'))
    assert apply_fast_paths(cfg, machine=OLD_CPU) == FastPaths(False, True)
    assert amp_types(cfg) == {'OptimWrapper'}

    cfg = ratenet_cfg(fast_paths=dict(amp='auto', channels_last='auto'))
    assert apply_fast_paths(cfg, machine=OLD_GPU) == FastPaths(False, False)
    assert cfg.model.channels_last is False
    assert amp_types(cfg) == {'OptimWrapper'}

    cfg = ratenet_cfg(fast_paths=dict(amp=False, channels_last='auto'))
    assert apply_fast_paths(cfg, machine=AMD_EPYC) == FastPaths(False, True)
    assert amp_types(cfg) == {'OptimWrapper'}


def test_auto_autocast_on_a_gpu_is_bfloat16_and_amp_flag_float16():
    cfg = ratenet_cfg(fast_paths=dict(amp='auto', channels_last='auto'))
    assert apply_fast_paths(cfg, machine=GPU) == FastPaths(True, False)
    assert cfg.model.channels_last is False
    assert amp_types(cfg) == {'AnyDeviceAmpOptimWrapper'}
    assert {w.dtype for w in cfg.optim_wrapper.values()} == {'bfloat16'}
    # --amp alone keeps MMEngine's meaning on a GPU: float16, loss scaling.
    cfg = ratenet_cfg(fast_paths=dict(amp='auto', channels_last='auto'))
    apply_fast_paths(cfg, amp=True, machine=GPU)
    assert all('dtype' not in w for w in cfg.optim_wrapper.values())
    cfg = ratenet_cfg(fast_paths=dict(amp='auto', channels_last='auto'))
    apply_fast_paths(cfg, amp_dtype='float16', machine=GPU)
    assert {w.dtype for w in cfg.optim_wrapper.values()} == {'float16'}


def test_the_log_line_names_the_gpu():
    setting = dict(amp='auto', channels_last='auto')
    line = describe_fast_paths(resolve_fast_paths(setting, GPU), setting, GPU)
    assert line.startswith('Fast paths on cuda (NVIDIA H200, bf16): bf16 '
                           'autocast on (auto), channels_last off (auto)')


def test_flags_override_the_config():
    cfg = ratenet_cfg(fast_paths=dict(amp='auto', channels_last='auto'))
    paths = apply_fast_paths(
        cfg, amp=False, channels_last=False, machine=AMD_EPYC)
    assert paths == FastPaths(False, False)
    assert cfg.model.channels_last is False
    assert amp_types(cfg) == {'OptimWrapper'}


def test_config_without_fast_paths_keeps_its_settings():
    cfg = ratenet_cfg()
    assert apply_fast_paths(cfg, machine=AMD_EPYC) is None
    assert cfg.model.channels_last is False
    assert amp_types(cfg) == {'OptimWrapper'}
    # A flag changes only what it names.
    apply_fast_paths(cfg, amp=True, amp_dtype='bfloat16', machine=AMD_EPYC)
    assert cfg.model.channels_last is False
    assert amp_types(cfg) == {'AnyDeviceAmpOptimWrapper'}


def test_other_models_get_no_channels_last_key():
    cfg = Config(
        dict(
            model=dict(type='Pix2Pix'),
            optim_wrapper=dict(generators=dict(type='OptimWrapper'))))
    apply_fast_paths(cfg, amp=True, machine=AMD_EPYC)
    assert 'channels_last' not in cfg.model
