"""Loading MMEngine checkpoints under torch >= 2.6.

torch 2.6 changed ``torch.load`` to ``weights_only=True`` by default. MMEngine
0.10.7 calls ``torch.load`` without that argument, and its checkpoints carry a
few non-tensor objects in ``meta`` and ``message_hub``: ``HistoryBuffer``
(whose statistics methods are pickled as ``getattr(HistoryBuffer, 'mean')``),
NumPy arrays, dtypes and scalars. Resuming then fails with ``UnpicklingError:
Weights only load failed``.

Rather than turning the safe loader off (``weights_only=False`` unpickles
arbitrary objects), we allow-list exactly those types with
``torch.serialization.add_safe_globals``. ``getattr`` itself is NOT allowed: it
would let a crafted file reach any attribute of any allowed object. Instead the
pickled name ``builtins.getattr`` is mapped to :func:`history_buffer_getattr`,
which resolves only HistoryBuffer's statistics methods. Anything else in a
checkpoint still fails loudly with torch's message naming the type.

:func:`register_checkpoint_loader` makes MMEngine read local checkpoints with
:func:`ratenet_plugin.fileio.checkpoint_file.read_checkpoint`, so that a
missing, truncated, foreign or unsafe file gives the same one-line message
wherever MMEngine loads it (``Runner.resume``/``load_checkpoint``, ``init_cfg``
pretrained weights, inferencers).

:func:`register_whole_file_backend` makes MMEngine's writes through its file
backend (the training checkpoints of ``CheckpointHook``, ``mmengine.dump``'s
JSON; not ``last_checkpoint`` or ``scalars.json``, written with ``open``) whole
or not at all (:func:`~ratenet_plugin.fileio.whole_file.written_whole`):
MMEngine's ``LocalBackend`` opens the final file and writes into it, so a full
disk left a cut-off ``iter_N.pth`` under its real name.
"""
import pickle
from typing import Any, List

import numpy as np
import torch
from mmengine.fileio import LocalBackend, register_backend
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

from ratenet_plugin.fileio.checkpoint_file import read_checkpoint
from ratenet_plugin.fileio.whole_file import written_whole


#: HistoryBuffer's built-in statistics. Its class-level registry
#: ``_statistics_methods`` is only filled when the first buffer is created, so
#: a fresh process that loads a checkpoint before making one would see it empty.
HISTORY_BUFFER_STATISTICS = ('min', 'max', 'current', 'mean')


def _allowed_statistics() -> set:
    return set(HISTORY_BUFFER_STATISTICS) | set(
        HistoryBuffer._statistics_methods)


def history_buffer_getattr(obj: Any, name: str) -> Any:
    """Stand-in for ``getattr`` while unpickling: HistoryBuffer statistics only.

    Raises:
        pickle.UnpicklingError: For any other object or attribute.
    """
    is_history_buffer = obj is HistoryBuffer or isinstance(obj, HistoryBuffer)
    if is_history_buffer and name in _allowed_statistics():
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'checkpoint asks for attribute {name!r} of {obj!r}; the safe loader '
        'only resolves MMEngine HistoryBuffer statistics methods '
        f'({sorted(_allowed_statistics())}). Load it with '
        'torch.load(..., weights_only=False) only if you trust the file.')


def mmengine_checkpoint_globals() -> List[Any]:
    """The globals MMEngine 0.10.7 writes into a checkpoint, for add_safe_globals."""
    safe = [
        HistoryBuffer,
        np.ndarray,
        np.dtype,
        # ``numpy.core.multiarray`` is where arrays and scalars unpickle from.
        np.core.multiarray._reconstruct,
        np.core.multiarray.scalar,
        (history_buffer_getattr, 'builtins.getattr'),
    ]
    # NumPy >= 1.25 pickles dtypes as ``numpy.dtypes.<Name>DType`` classes.
    dtypes_module = getattr(np, 'dtypes', None)
    if dtypes_module is not None:
        safe += [
            getattr(dtypes_module, name) for name in dir(dtypes_module)
            if name.endswith('DType')
        ]
    return safe


def register_checkpoint_safe_globals() -> None:
    """Allow-list MMEngine's checkpoint contents for ``torch.load``.

    A no-op on torch versions without ``add_safe_globals`` (< 2.4), which do not
    default to ``weights_only=True`` either.
    """
    add_safe_globals = getattr(torch.serialization, 'add_safe_globals', None)
    if add_safe_globals is None:
        return
    add_safe_globals(mmengine_checkpoint_globals())


def load_from_local(filename: str, map_location: Any) -> Any:
    """MMEngine's local-file checkpoint scheme, read by
    :func:`~ratenet_plugin.fileio.checkpoint_file.read_checkpoint`.

    (MMEngine logs the scheme by this function's name minus ``load_from_``.)
    """
    return read_checkpoint(filename, map_location=map_location)


def register_checkpoint_loader() -> None:
    """Make :func:`load_from_local` MMEngine's loader of local paths.

    The empty prefix is the scheme MMEngine falls back to for any path
    without a URL prefix (``http://``, ``s3://``... keep their loaders).
    """
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local, force=True)


class WholeFileLocalBackend(LocalBackend):
    """MMEngine's local file backend, writing each file whole or not at
    all; reading is MMEngine's."""

    def put(self, obj: bytes, filepath) -> None:
        with written_whole(str(filepath)) as partial:
            super().put(obj, partial)

    def put_text(self, obj: str, filepath, encoding: str = 'utf-8') -> None:
        with written_whole(str(filepath)) as partial:
            super().put_text(obj, partial, encoding)


def register_whole_file_backend() -> None:
    """Make :class:`WholeFileLocalBackend` MMEngine's backend of local paths
    (the empty prefix, and the name ``'local'``)."""
    register_backend('local', WholeFileLocalBackend, force=True, prefixes='')
