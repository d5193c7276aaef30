"""Fast paths of RATE-Net: channels_last memory format and torch.compile.

Both are options of :class:`RATENet` (``channels_last=True``,
``torch_compile=True`` or a dict of ``torch.compile`` arguments), so that
training, testing, the inferencer and ``tools/benchmark.py`` get them from
the same config; ``tools/train.py --channels-last --compile`` sets them.
Mixed precision is the optimiser wrappers' business
(:class:`AnyDeviceAmpOptimWrapper`, ``--amp``).
"""
from typing import Iterable, Union

import torch
import torch.nn as nn

CompileOption = Union[bool, dict]


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
