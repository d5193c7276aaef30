"""Checkpoints and pretrained weights: one reader, strict matching, one set
of messages.

:func:`read_checkpoint` reads a ``.pth`` with PyTorch's safe (weights-only)
unpickler and turns each way a file can be unusable into one
:class:`CheckpointError` line naming the file: missing, empty, truncated or
damaged, not a PyTorch file, or refused for safety because it would run code
(e.g. ``posix.system``) while loading. MMEngine reads local checkpoints
through it (``register_checkpoint_loader`` of
:mod:`ratenet_plugin.utils.mmengine_checkpoints`), so ``tools/test.py``,
``--resume``, ``load_from``, ``init_cfg`` pretrained weights, the inferencer,
VGG19 and the evaluation's networks (LPIPS, the Inceptions) all give the same
messages.

A file that does not fit the network it is loaded into must stop the run:
PyTorch's ``strict=False`` and MMEngine's ``Pretrained`` init only log a
warning and leave random weights in place. Every loader of weights in the
plugin (init_cfg pretrained parts, VGG19, the evaluation's networks, the
inferencer, ``tools/test.py``, ``--resume``) reports a mismatch through
:class:`CheckpointMismatchError`.
"""
import glob
import os.path as osp
import pickle
import re
from typing import (Any, Dict, Iterable, List, Mapping, NamedTuple, Optional,
                    Tuple, Union)

import torch
from torch import nn

from .errors import UserInputError, listing
from .whole_file import written_whole


class CheckpointError(UserInputError):
    """A checkpoint or weights file that cannot be used; names the file."""


class CheckpointMismatchError(CheckpointError):
    """A state dict whose keys or shapes do not fit the network."""


#: What to do about a file that cannot be read, said once for every message.
_USE_ANOTHER = ('use another checkpoint (e.g. an earlier iter_N.pth of the '
                'same work dir) or copy the file again')


def check_checkpoint_path(path: str) -> str:
    """``path`` with ``~`` expanded, if it is a file; a tool calls this
    before the slow set-up that precedes reading the checkpoint.

    Raises:
        CheckpointError: No such file (or a folder).
    """
    path = osp.expanduser(path)
    if not osp.isfile(path):
        what = 'is a folder, not a file' if osp.isdir(path) else 'not found'
        raise CheckpointError(
            f'checkpoint {what}: {path}; pass the path of a .pth file written '
            'by tools/train.py (e.g. work_dirs/<config>/iter_N.pth)')
    return path


def write_checkpoint(checkpoint: Any, path: str) -> None:
    """Save ``checkpoint`` with ``torch.save`` atomically: into a temporary
    file beside ``path``, renamed into place once complete, so that a crash
    or a full disk never leaves a cut-off file where a checkpoint was (or
    is expected). The folder is created."""
    with written_whole(path) as partial:
        torch.save(checkpoint, partial)


def read_checkpoint(path: str,
                    map_location: Union[str, torch.device, Any] = 'cpu',
                    *,
                    remedy: str = _USE_ANOTHER) -> Any:
    """Read a checkpoint with ``torch.load(..., weights_only=True)``.

    Only tensors, containers and the allow-listed MMEngine types of
    :mod:`ratenet_plugin.utils.mmengine_checkpoints` are unpickled: a file
    that asks for anything else (a function such as ``posix.system``, a
    class) is refused before any of it runs.

    Args:
        path (str): The ``.pth`` file (``~`` is expanded).
        map_location: As for ``torch.load``. Defaults to ``'cpu'``.
        remedy (str): What the user can do about a damaged file, ending
            each such message. Defaults to using an earlier checkpoint of
            the work dir; weight files of pretrained networks say where to
            download them again.

    Returns:
        The loaded object (for MMEngine checkpoints a dict with ``meta``,
        ``state_dict``, ``optimizer``...).

    Raises:
        CheckpointError: The file is missing, empty, truncated or damaged,
            not a PyTorch file, or not a weights-only checkpoint; the one-line
            message names the file and what to do.
    """
    path = check_checkpoint_path(path)
    if osp.getsize(path) == 0:
        raise CheckpointError(
            f'checkpoint {path} is empty (0 bytes), e.g. cut off while it was '
            f'written or copied: {remedy}')
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        refused = _refused_global(str(error))
        if refused is None:
            raise CheckpointError(
                f'checkpoint {path} is damaged or not a PyTorch checkpoint '
                f'({_unpickler_reason(error)}): {remedy}') from error
        raise CheckpointError(
            f'checkpoint {path} is not a weights-only checkpoint: it would '
            f'call {refused} while loading, so it was refused for safety and '
            'nothing in it was run. Use a checkpoint written by '
            'tools/train.py; if you trust the file\'s source, load it once '
            'with torch.load(path, weights_only=False) and save its '
            'state_dict alone') from error
    except RuntimeError as error:
        # torch.load's RuntimeErrors are the file's: a zip that is no
        # PyTorch file, a legacy file cut off ("unexpected EOF"), a pickle
        # of another kind ("Invalid magic number").
        if 'central directory' in str(error):
            raise CheckpointError(
                f'checkpoint {path} is truncated ({osp.getsize(path)} bytes; '
                'its end, the zip central directory, is missing), e.g. cut '
                f'off while it was written or copied: {remedy}'
            ) from error
        raise CheckpointError(
            f'checkpoint {path} is damaged or not a PyTorch checkpoint '
            f'({_first_sentence(error)}): {remedy}') from error
    except PermissionError as error:
        raise CheckpointError(
            f'checkpoint {path} cannot be read: permission denied; make it '
            'readable (chmod) or copy it') from error
    except (EOFError, KeyError, ValueError, OSError) as error:
        # The legacy (non-zip) reader fails on foreign bytes with the first
        # three; a zip cut at some points makes a seek fail (Errno 22).
        raise CheckpointError(
            f'checkpoint {path} is damaged or not a PyTorch checkpoint '
            f'({type(error).__name__}: {_first_sentence(error)}): '
            f'{remedy}') from error


def _refused_global(message: str) -> Union[str, None]:
    """The global a weights-only load refused (e.g. ``posix.system``), if
    ``message`` is PyTorch's refusal of one; None for other unpickling
    errors (bytes that are no pickle at all)."""
    match = re.search(r'GLOBAL ([\w.]+)', message)
    if match:
        return match.group(1)
    # history_buffer_getattr's refusal (utils/mmengine_checkpoints.py).
    match = re.search(r'asks for attribute (\S+) of', message)
    return f'getattr(..., {match.group(1)})' if match else None


def _unpickler_reason(error: BaseException) -> str:
    """PyTorch's reason for a failed weights-only load, without its advice."""
    text = ' '.join(str(error).split())
    match = re.search(r'WeightsUnpickler error: (.*?)(?: Check the |$)',
                      text)
    return match.group(1).rstrip('.') if match else _first_sentence(error)


def _first_sentence(error: BaseException) -> str:
    text = ' '.join(str(error).split())
    return text.split('. ')[0].rstrip('.') or type(error).__name__


def model_state_dict(checkpoint: Mapping[str, Any],
                     source: str = 'the checkpoint',
                     *,
                     remedy: str = _USE_ANOTHER) -> Dict[str, torch.Tensor]:
    """The model weights of a loaded checkpoint: its ``state_dict`` entry
    (a bare state dict as it is), with the ``module.`` prefix of weights
    saved from a wrapped model removed, as MMEngine's loader does.

    Raises:
        CheckpointError: ``checkpoint`` (read from ``source``) holds no
            dict of weights (e.g. a bare tensor or a list); the message
            ends with ``remedy`` (see :func:`read_checkpoint`).
    """
    state_dict = checkpoint.get('state_dict', checkpoint) \
        if isinstance(checkpoint, Mapping) else checkpoint
    if not isinstance(state_dict, Mapping):
        raise CheckpointError(
            f'{source} holds a {type(state_dict).__name__}, not model '
            'weights (a state dict, or a dict with one under "state_dict"): '
            f'{remedy}')
    return {
        re.sub(r'^module\.', '', key): value
        for key, value in state_dict.items()
    }


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


#: The keys of PATN's own generator file (``latest_net_netG.pth``) start so.
PATN_GENERATOR_PREFIX = 'model.stream1_down.'


def unconverted_patn_hint(keys: Iterable[str], source: str) -> str:
    """A sentence telling to convert ``source`` first where ``keys`` (those
    a network did not expect) are PATN's own generator's: the likeliest
    wrong file for a PATN config or G_P's ``init_cfg``; else ''."""
    if not any(key.startswith(PATN_GENERATOR_PREFIX) for key in keys):
        return ''
    return (f'; {source} is PATN\'s own generator file: convert it first, '
            f'python tools/convert_patn_checkpoint.py {source} '
            'checkpoints/patn_deepfashion_converted.pth (docs/patn.md; '
            '--overwrite replaces an earlier conversion)')


def mismatch_message(source: str, what: str,
                     mismatch: StateDictMismatch) -> str:
    """One paragraph naming the file, the network and the first bad keys."""
    parts = [
        f'{len(mismatch.missing)} missing', f'{len(mismatch.unexpected)} '
        'unexpected', f'{len(mismatch.wrong_shapes)} wrong shapes'
    ]
    lines = [f'{source} does not match {what}: ' + ', '.join(parts)]
    if mismatch.missing:
        lines.append('missing: ' + listing(mismatch.missing))
    if mismatch.unexpected:
        lines.append('unexpected: ' + listing(mismatch.unexpected))
    if mismatch.wrong_shapes:
        lines.append('wrong shapes (file vs network): ' + listing([
            f'{key} {list(file_shape)} vs {list(net_shape)}'
            for key, file_shape, net_shape in mismatch.wrong_shapes
        ]))
    return '; '.join(lines)


#: Where a config named in a checkpoint's meta is looked for: the
#: repository's configs/, or the installed package's copy (mim).
_CONFIG_FOLDERS = (
    osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))),
             'configs'),
    osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), '.mim',
             'configs'))


def trained_config_hint(checkpoint: Any, config: Optional[str]) -> str:
    """A sentence naming the config a checkpoint was trained with (from
    MMEngine's ``meta.experiment_name``, ``<config name>_<timestamp>``)
    where it is not ``config``, the path of the config file given; else ''.
    For the message of a checkpoint that does not fit its config."""
    meta = checkpoint.get('meta') if isinstance(checkpoint, Mapping) else None
    name = meta.get('experiment_name') if isinstance(meta, Mapping) else None
    if not isinstance(name, str):
        return ''
    name = re.sub(r'_\d{8}_\d{6}$', '', name)
    if config and osp.splitext(osp.basename(config))[0] == name:
        return ''
    found = [
        path for folder in _CONFIG_FOLDERS
        for path in glob.glob(osp.join(folder, '**', f'{name}.py'),
                              recursive=True)
    ]
    where = osp.relpath(found[0]) if found else f'{name}.py'
    return (f'; it was trained with the config {where} (the checkpoint\'s '
            'meta.experiment_name): give that config')


_KEYPOINT_FRAME = re.compile(r'keypoint_frame=\(\s*(\d+),\s*(\d+),?\s*\)')


def trained_frames(checkpoint: Any) -> set:
    """The ``(H, W)`` keypoint frames of the datasets of the config a
    checkpoint was trained with, read from MMEngine's ``meta.cfg`` text (not
    run: a checkpoint's config is data): the size the model trained at
    where its pipelines do not resize. Empty where it has no config, or
    where a pipeline resizes (``ResizePadPose``: the frame is then the
    annotations', not the model's)."""
    meta = checkpoint.get('meta') if isinstance(checkpoint, Mapping) else None
    text = meta.get('cfg') if isinstance(meta, Mapping) else None
    if not isinstance(text, str) or 'ResizePadPose' in text:
        return set()
    return {(int(h), int(w)) for h, w in _KEYPOINT_FRAME.findall(text)}


def check_state_dict(expected: Mapping[str, torch.Tensor],
                     state_dict: Mapping[str, torch.Tensor], source: str,
                     what: str, hint: str = '') -> None:
    """Stop if ``state_dict`` (of the file ``source``) does not fit the
    network ``what`` whose state dict is ``expected``: every key and shape.

    Raises:
        CheckpointMismatchError: Missing, unexpected or wrongly shaped keys
            (:func:`mismatch_message`, with the conversion command where the
            file is PATN's own generator, then ``hint``, e.g.
            :func:`trained_config_hint`).
    """
    mismatch = compare_state_dicts(expected, state_dict)
    if mismatch:
        raise CheckpointMismatchError(
            mismatch_message(source, what, mismatch) +
            unconverted_patn_hint(mismatch.unexpected, source) + hint)


def load_state_dict_strictly(module: nn.Module,
                             state_dict: Mapping[str, torch.Tensor],
                             source: str, what: str, hint: str = '') -> None:
    """Load ``state_dict`` into ``module`` only if every key and shape fits.

    Args:
        module (nn.Module): The network to load into.
        state_dict (Mapping[str, Tensor]): Keys relative to ``module``.
        source (str): The file the weights came from, for the message.
        what (str): What ``module`` is, for the message (e.g. ``'G_P'``).
        hint (str): Appended to the message of a mismatch.

    Raises:
        CheckpointMismatchError: Missing, unexpected or wrongly shaped keys;
            nothing is loaded then.
    """
    check_state_dict(module.state_dict(), state_dict, source, what, hint)
    module.load_state_dict(state_dict, strict=True)
