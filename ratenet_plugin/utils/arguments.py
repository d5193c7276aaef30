"""Typed checks of our components' constructor arguments and of the tools'
command-line values.

A config value of the wrong type (``--cfg-options model.lambda_recon=abc``,
``base_channels=4.5``, ``train_cfg.max_iters=ten``) must stop the build with
a message naming the argument and the value, not fail later inside PyTorch or
train on nonsense. Constructors call these checks;
:class:`ConfigValueError` carries the argument's name and value so that the
tools can name the config key (:func:`ratenet_plugin.utils.config_errors.
naming_config_keys`). The argparse types (:func:`int_at_least`,
:func:`number_in`, :func:`path_ending_in`, :func:`folder_to_write`,
:func:`file_to_write`, :func:`compile_mode`, :func:`torch_device`) stop a
bad command-line value with argparse's usage error before a tool does any
work (docs/bad_inputs.md).
"""
import argparse
import math
import numbers
import os
import os.path as osp
from typing import Any, Callable, Sequence, Tuple

from ratenet_plugin.fileio.errors import UserInputError


class ConfigValueError(UserInputError):
    """A constructor argument of the wrong type or range.

    Attributes:
        argument (str): The argument's name, e.g. ``'base_channels'``.
        value: The value given.
        expected (str): What the argument takes, e.g. ``'a positive
            integer'``.
    """

    def __init__(self, argument: str, value: Any, expected: str) -> None:
        self.argument = argument
        self.value = value
        self.expected = expected
        super().__init__(f'{argument}={value!r}: expected {expected}')


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_positive_int(argument: str, value: Any) -> int:
    """``value`` as an int >= 1 (channel and layer counts, iterations)."""
    if not _is_int(value) or value < 1:
        raise ConfigValueError(argument, value, 'a positive integer')
    return int(value)


def check_non_negative_int(argument: str, value: Any) -> int:
    """``value`` as an int >= 0 (e.g. a number of downsampling layers)."""
    if not _is_int(value) or value < 0:
        raise ConfigValueError(argument, value, 'an integer >= 0')
    return int(value)


def check_weight(argument: str, value: Any) -> float:
    """``value`` as a finite float >= 0 (loss weights)."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool) \
            or not math.isfinite(value) or value < 0:
        raise ConfigValueError(argument, value, 'a number >= 0')
    return float(value)


def check_cycle(argument: str,
                value: Any) -> Tuple[Tuple[str, int], ...]:
    """A training cycle: a non-empty sequence of ``(update name, repeats)``
    with a string name and ``repeats`` a positive integer."""
    expected = ('a non-empty list of (update name, repeats >= 1), e.g. '
                "[('pose_transfer', 1), ('joint', 1), ('discriminator', 3)]")
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) \
            or not value:
        raise ConfigValueError(argument, value, expected)
    checked = []
    for entry in value:
        if isinstance(entry, (str, bytes)) or not isinstance(
                entry, Sequence) or len(entry) != 2 or not isinstance(
                    entry[0], str) or not _is_int(entry[1]) or entry[1] < 1:
            raise ConfigValueError(argument, value, expected)
        checked.append((entry[0], int(entry[1])))
    return tuple(checked)


# argparse types: a bad command-line value stops in the parser.

def int_at_least(minimum: int) -> Callable[[str], int]:
    """An argparse ``type`` for a command-line count: an int >= ``minimum``.

    ``parser.add_argument('--frames', type=int_at_least(2))``: ``--frames 0``
    or ``--frames two`` stop with argparse's usage line and ``error:
    argument --frames: expected an integer >= 2, got '0'`` (exit code 2),
    before the tool does any work.
    """

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(
                f'expected an integer >= {minimum}, got {text!r}')
        return value

    parse.__name__ = f'integer >= {minimum}'
    return parse


def number_in(low: float,
              high: float = math.inf,
              *,
              low_open: bool = False) -> Callable[[str], float]:
    """An argparse ``type`` for a finite command-line number in ``[low,
    high]`` (``(low, high]`` with ``low_open``): ``--fps 0`` with
    ``number_in(0, low_open=True)`` stops with ``argument --fps: expected a
    number > 0, got '0'``, as :func:`int_at_least` does."""
    if high == math.inf:
        expected = f'a number {">" if low_open else ">="} {low:g}'
    else:
        expected = f'a number in {"(" if low_open else "["}{low:g}, ' \
            f'{high:g}]'

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value > high \
                or not (value > low if low_open else value >= low):
            raise argparse.ArgumentTypeError(
                f'expected {expected}, got {text!r}')
        return value

    parse.__name__ = expected
    return parse


def path_ending_in(extensions: Sequence[str]) -> Callable[[str], str]:
    """An argparse ``type`` for a file to write whose kind its extension
    names (any case): ``--out a.txt`` with ``path_ending_in(('.gif',
    '.mp4'))`` stops with ``argument --out: expected a file ending in .gif
    or .mp4, got 'a.txt'`` before the work whose result it would hold."""
    names = ', '.join(extensions[:-1]) + f' or {extensions[-1]}' \
        if len(extensions) > 1 else extensions[0]

    def parse(text: str) -> str:
        if not text.lower().endswith(tuple(extensions)):
            raise argparse.ArgumentTypeError(
                f'expected a file ending in {names}, got {text!r}')
        return osp.expanduser(text)

    parse.__name__ = f'file ending in {names}'
    return parse


def folder_to_write(text: str) -> str:
    """An argparse ``type`` for a folder a tool writes into (created when
    absent): a path that names an existing file stops with ``argument
    --out-dir: expected a folder to write into, got the file 'x'`` instead
    of a ``FileExistsError`` once the work is done."""
    # 'x/' names the file x too (os.path.exists('x/') is False for a file).
    text = osp.expanduser(text)  # --work-dir=~/x: the shell leaves ~ as is
    path = text.rstrip('/' + os.sep) or text
    if osp.exists(path) and not osp.isdir(path):
        raise argparse.ArgumentTypeError(
            f'expected a folder to write into, got the file {text!r}')
    return text


def file_to_write(text: str) -> str:
    """An argparse ``type`` for a file a tool writes at the end of its work
    (a JSON of results): a path that names an existing folder stops at once,
    not with an ``IsADirectoryError`` once the work is done."""
    text = osp.expanduser(text)
    if osp.isdir(text):
        raise argparse.ArgumentTypeError(
            f'expected a file to write, got the folder {text!r}')
    return text


def compile_mode(text: str) -> str:
    """An argparse ``type`` for a ``torch.compile`` mode (``--compile MODE``):
    one of the installed PyTorch's modes (``torch._inductor.
    list_mode_options``, which ``torch.compile``'s documentation points to),
    checked before the model is built rather than at the first compiled
    call."""
    from torch._inductor import list_mode_options
    modes = list(list_mode_options())
    if text not in modes:
        raise argparse.ArgumentTypeError(
            f'expected a torch.compile mode ({", ".join(modes)}), got '
            f'{text!r}')
    return text


def torch_device(text: str) -> str:
    """An argparse ``type`` for ``--device``: ``cpu``, ``cuda`` or
    ``cuda:N`` of a GPU torch sees here, checked before any work (a typo or
    ``cuda`` on a machine without one stopped with a traceback after the
    model was built)."""
    import torch
    try:
        device = torch.device(text)
    except RuntimeError:
        device = None
    if device is None or device.type not in ('cpu', 'cuda'):
        raise argparse.ArgumentTypeError(
            f"expected 'cpu', 'cuda' or 'cuda:N', got {text!r}")
    if device.type == 'cuda':
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise argparse.ArgumentTypeError(
                f'{text!r}: torch sees no CUDA device on this machine; use '
                "'cpu'")
        if device.index is not None and device.index >= count:
            raise argparse.ArgumentTypeError(
                f'{text!r}: torch sees {count} CUDA device(s), numbered from '
                '0')
    return text
