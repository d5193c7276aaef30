"""Fast paths of RATE-Net: channels_last memory format, torch.compile, and
the choice of fast paths by what the machine has.

channels_last and compile are options of :class:`RATENet`
(``channels_last=True``, ``torch_compile=True`` or a dict of
``torch.compile`` arguments), so that training, testing, the inferencer and
``tools/benchmark.py`` get them from the same config; ``tools/train.py
--channels-last --compile`` sets them. Mixed precision is the optimiser
wrappers' business (:class:`AnyDeviceAmpOptimWrapper`, ``--amp``).

A config's ``fast_paths = dict(amp=..., channels_last=...)`` says which of
the two to use, ``'auto'`` meaning :func:`choose_fast_paths`' rule for the
machine the run starts on (docs/benchmarks.md has the measurements behind
it); ``tools/train.py`` resolves it and logs the choice in one line, and so
does :class:`~ratenet_plugin.apis.RATENetInferencer` for generation (bf16
autocast around its forward instead of in the optimiser wrappers).
"""
import platform
from dataclasses import dataclass
from typing import FrozenSet, Iterable, Optional, Union

import torch
import torch.nn as nn

from ratenet_plugin.utils.arguments import ConfigValueError

CompileOption = Union[bool, dict]
AUTO = 'auto'
#: CPU flags (``/proc/cpuinfo``) of native bfloat16 dot products: with them
#: bf16 autocast trained 1.4-3.5x faster than float32 (tools/benchmark.py);
#: without them bf16 is emulated.
NATIVE_BF16_FLAGS = ('avx512_bf16', 'amx_bf16')


@dataclass(frozen=True)
class MachineInfo:
    """What the fast-path rule looks at.

    Args:
        device (str): ``'cpu'`` or ``'cuda'``: where training runs.
        cpu_model (str): The CPU's model name.
        cpu_flags (frozenset[str]): Its ``/proc/cpuinfo`` flags (empty where
            that file does not exist).
        cpu_capability (str): torch's CPU kernel level
            (``torch.backends.cpu.get_cpu_capability()``, e.g. ``'AVX512'``).
        gpu_name (str): The GPU's name where ``device`` is ``'cuda'``.
        gpu_bf16 (bool): Whether that GPU computes in bfloat16
            (:func:`native_cuda_bf16`: Ampere and newer).
    """
    device: str
    cpu_model: str
    cpu_flags: FrozenSet[str]
    cpu_capability: str
    gpu_name: str = ''
    gpu_bf16: bool = False

    @property
    def native_bf16(self) -> bool:
        """Whether the CPU has bfloat16 dot-product instructions."""
        return any(flag in self.cpu_flags for flag in NATIVE_BF16_FLAGS)


def native_cuda_bf16() -> bool:
    """Whether the current GPU computes bfloat16 natively (Ampere and
    newer). ``torch.cuda.is_bf16_supported()`` alone also says True where it
    is only emulated (T4, V100: pytorch#124996), slower than float16."""
    try:
        return torch.cuda.is_bf16_supported(including_emulation=False)
    except TypeError:  # a torch without the argument
        return torch.cuda.get_device_capability()[0] >= 8


def detect_machine(device: Optional[str] = None) -> MachineInfo:
    """The running machine (``device`` None: cuda if available, else cpu)."""
    model, flags = platform.processor(), frozenset()
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                key, _, value = line.partition(':')
                if key.strip() == 'model name':
                    model = value.strip()
                elif key.strip() == 'flags':
                    flags = frozenset(value.split())
                    break
    except OSError:
        pass
    if device is None:
        device = 'cuda' if torch.cuda.is_available() else 'cpu'
    gpu_name, gpu_bf16 = '', False
    if device == 'cuda' and torch.cuda.is_available():
        gpu_name = torch.cuda.get_device_name()
        gpu_bf16 = native_cuda_bf16()
    return MachineInfo(device, model, flags,
                       torch.backends.cpu.get_cpu_capability(), gpu_name,
                       gpu_bf16)


@dataclass(frozen=True)
class FastPaths:
    """A choice of fast paths.

    Args:
        amp (bool): Autocast through ``AnyDeviceAmpOptimWrapper``: bfloat16
            where ``'auto'`` chose it and on CPU; ``--amp`` alone on a GPU
            keeps MMEngine's float16 (``--amp-dtype`` picks either).
        channels_last (bool): channels_last weights (``model.channels_last``).
    """
    amp: bool
    channels_last: bool


def choose_fast_paths(machine: MachineInfo) -> FastPaths:
    """The measured rule (docs/benchmarks.md, "Defaults chosen by the
    machine": AMD EPYC with AVX512-BF16, Intel Xeon with AMX).

    On CPU: bf16 autocast where the CPU has native bfloat16 (AVX512-BF16 or
    AMX: the demo trained 1.4x (AMD) and 2.0x (Intel) faster than float32,
    the paper model 1.6x and 3.5x), and channels_last weights (faster or
    equal for the demo on both). bf16 once lost to float32 on a shared
    machine; that was the ``OMP_WAIT_POLICY=PASSIVE`` wait, which slows
    bf16 more than float32, and the configs' ``AdaptiveCPUThreadsHook``
    now trains on one thread when the cores are shared (bf16 then stays
    1.6x faster than float32). Without native bfloat16 (an Intel Xeon
    with AVX512 but neither flag) autocast trained the demo 1.4x slower
    than float32, and channels_last alone 1.13x faster (since the pose
    heatmaps' tiny tail is 0; 5 % before). On a GPU (tools/gpu_check.sh on
    an NVIDIA H200, paper model): bf16 autocast where the GPU has bfloat16
    (training 1.37x, inference 1.43x faster than float32, fp16 1.20x), and
    the default layout (channels_last trained 0.92x as fast).
    """
    if machine.device != 'cpu':
        return FastPaths(amp=machine.gpu_bf16, channels_last=False)
    return FastPaths(amp=machine.native_bf16, channels_last=True)


def resolve_fast_paths(setting: dict, machine: MachineInfo) -> FastPaths:
    """``setting`` (a config's ``fast_paths``: ``amp`` and ``channels_last``
    each True, False or ``'auto'``; missing means ``'auto'``) with every
    ``'auto'`` replaced by :func:`choose_fast_paths`' choice."""
    unknown = set(setting) - {'amp', 'channels_last'}
    if unknown:
        raise ConfigValueError(
            'fast_paths', dict(setting),
            f'only the keys amp and channels_last (not {sorted(unknown)})')
    chosen = choose_fast_paths(machine)
    values = {}
    for key in ('amp', 'channels_last'):
        value = setting.get(key, AUTO)
        if value not in (True, False, AUTO):
            raise ConfigValueError(f'fast_paths.{key}', value,
                                   "True, False or 'auto'")
        values[key] = getattr(chosen, key) if value == AUTO else value
    return FastPaths(**values)


def describe_fast_paths(paths: FastPaths, setting: dict,
                        machine: MachineInfo) -> str:
    """One log line: what was chosen, why, and how to override it."""

    def state(key: str) -> str:
        how = 'auto' if setting.get(key, AUTO) == AUTO else 'set'
        return f"{'on' if getattr(paths, key) else 'off'} ({how})"

    if machine.device == 'cpu':
        bf16 = 'native bf16' if machine.native_bf16 else 'no native bf16'
        what = f'{machine.cpu_model}, {machine.cpu_capability}, {bf16}'
    else:
        bf16 = 'bf16' if machine.gpu_bf16 else 'no bf16'
        what = f"{machine.gpu_name or 'GPU'}, {bf16}"
    return (f'Fast paths on {machine.device} ({what}): bf16 autocast '
            f"{state('amp')}, channels_last {state('channels_last')}; "
            'override with --amp/--no-amp, --channels-last/'
            '--no-channels-last (train, infer, animate, the app) or, '
            'in any tool, fast_paths=dict(amp=..., channels_last=...) in the '
            'config (--cfg-options fast_paths.amp=False).')


def convert_to_channels_last(module: nn.Module) -> nn.Module:
    """Store every 4-d parameter and buffer of ``module`` channels_last, in
    place (the same Parameter objects, so optimisers built before or after
    keep working).

    Inputs need no conversion: a convolution whose weight is channels_last
    gives a channels_last output, and element-wise ops keep the layout.
    PyTorch's InstanceNorm does not (it returns NCHW), so in eager mode the
    layout flips back and forth around every normalisation; under
    ``torch.compile`` the norms are generated code and keep it.
    """
    return module.to(memory_format=torch.channels_last)


def is_channels_last(module: nn.Module) -> bool:
    """Whether every 4-d parameter of ``module`` is stored channels_last."""
    return all(
        p.is_contiguous(memory_format=torch.channels_last)
        for p in module.parameters() if p.dim() == 4)


def compile_options(option: CompileOption) -> dict:
    """``torch.compile`` keyword arguments from a ``torch_compile`` option:
    True gives PyTorch's defaults (inductor), a dict is passed through
    (e.g. ``dict(mode='max-autotune-no-cudagraphs')`` or
    ``dict(backend='aot_eager')``)."""
    if option is True:
        return {}
    if isinstance(option, dict):
        return dict(option)
    raise TypeError(f'torch_compile must be a bool or a dict of '
                    f'torch.compile arguments, got {option!r}')


def compile_in_place(modules: Iterable[nn.Module],
                     option: CompileOption) -> None:
    """``nn.Module.compile`` each module: calls go through the compiled
    forward while the module, its parameter names and its state dict stay
    those of the eager module (checkpoints are interchangeable; no
    ``_orig_mod.`` prefix). Compilation happens lazily, at the first call
    with new shapes, modes or autocast settings."""
    kwargs = compile_options(option)
    for module in modules:
        module.compile(**kwargs)
