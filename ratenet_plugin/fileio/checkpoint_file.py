"""Checkpoints and pretrained weights: strict matching with one set of messages.

A pretrained file that does not fit the network it is loaded into must stop
the run: PyTorch's ``strict=False`` and MMEngine's ``Pretrained`` init only log
a warning and leave random weights in place. Every loader of weights in the
plugin (init_cfg pretrained parts, VGG19, the inferencer, ``tools/test.py``,
``--resume``) reports a mismatch through :class:`CheckpointMismatchError`.
"""
from typing import List, Mapping, NamedTuple, Tuple

import torch
from torch import nn

from .errors import UserInputError

#: How many key names a mismatch message lists for each kind of problem.
NAMES_SHOWN = 5


class CheckpointError(UserInputError):
    """A checkpoint or weights file that cannot be used; names the file."""


class CheckpointMismatchError(CheckpointError):
    """A state dict whose keys or shapes do not fit the network."""


class StateDictMismatch(NamedTuple):
    """Keys of a loaded state dict compared with a network's.

    ``wrong_shapes`` holds ``(key, shape in the file, shape in the network)``.
    """
    missing: List[str]
    unexpected: List[str]
    wrong_shapes: List[Tuple[str, Tuple[int, ...], Tuple[int, ...]]]

    def __bool__(self) -> bool:
        return bool(self.missing or self.unexpected or self.wrong_shapes)


def compare_state_dicts(expected: Mapping[str, torch.Tensor],
                        loaded: Mapping[str, torch.Tensor]
                        ) -> StateDictMismatch:
    """Compare a network's state dict (``expected``) with a loaded one."""
    missing = sorted(key for key in expected if key not in loaded)
    unexpected = sorted(key for key in loaded if key not in expected)
    wrong_shapes = sorted(
        (key, tuple(loaded[key].shape), tuple(expected[key].shape))
        for key in expected
        if key in loaded and hasattr(loaded[key], 'shape')
        and tuple(loaded[key].shape) != tuple(expected[key].shape))
    return StateDictMismatch(missing, unexpected, wrong_shapes)


def _first(names: List[str]) -> str:
    shown = ', '.join(names[:NAMES_SHOWN])
    more = len(names) - NAMES_SHOWN
    return shown + (f', ... ({more} more)' if more > 0 else '')


def mismatch_message(source: str, what: str,
                     mismatch: StateDictMismatch) -> str:
    """One paragraph naming the file, the network and the first bad keys."""
    parts = [
        f'{len(mismatch.missing)} missing', f'{len(mismatch.unexpected)} '
        'unexpected', f'{len(mismatch.wrong_shapes)} wrong shapes'
    ]
    lines = [f'{source} does not match {what}: ' + ', '.join(parts)]
    if mismatch.missing:
        lines.append('missing: ' + _first(mismatch.missing))
    if mismatch.unexpected:
        lines.append('unexpected: ' + _first(mismatch.unexpected))
    if mismatch.wrong_shapes:
        lines.append('wrong shapes (file vs network): ' + _first([
            f'{key} {list(file_shape)} vs {list(net_shape)}'
            for key, file_shape, net_shape in mismatch.wrong_shapes
        ]))
    return '; '.join(lines)


def load_state_dict_strictly(module: nn.Module,
                             state_dict: Mapping[str, torch.Tensor],
                             source: str, what: str) -> None:
    """Load ``state_dict`` into ``module`` only if every key and shape fits.

    Args:
        module (nn.Module): The network to load into.
        state_dict (Mapping[str, Tensor]): Keys relative to ``module``.
        source (str): The file the weights came from, for the message.
        what (str): What ``module`` is, for the message (e.g. ``'G_P'``).

    Raises:
        CheckpointMismatchError: Missing, unexpected or wrongly shaped keys;
            nothing is loaded then.
    """
    mismatch = compare_state_dicts(module.state_dict(), state_dict)
    if mismatch:
        raise CheckpointMismatchError(mismatch_message(source, what, mismatch))
    module.load_state_dict(state_dict, strict=True)
