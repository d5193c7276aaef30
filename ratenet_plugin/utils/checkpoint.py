"""Loading MMEngine checkpoints under torch >= 2.6.

torch 2.6 changed ``torch.load`` to ``weights_only=True`` by default. MMEngine
0.10.7 calls ``torch.load`` without that argument, and its checkpoints carry a
few non-tensor objects in ``meta`` and ``message_hub`` (``HistoryBuffer``,
NumPy arrays and scalars). Resuming then fails with ``UnpicklingError: Weights
only load failed``.

Rather than turning the safe loader off (``weights_only=False`` would unpickle
arbitrary objects), we allow-list exactly those types with
``torch.serialization.add_safe_globals``. Anything else in a checkpoint still
fails loudly with torch's own message, which names the type.
"""
from typing import List

import numpy as np
import torch


def mmengine_checkpoint_types() -> List[type]:
    """The non-tensor types MMEngine 0.10.7 writes into a checkpoint."""
    from mmengine.logging.history_buffer import HistoryBuffer

    types = [
        HistoryBuffer,
        np.ndarray,
        np.dtype,
        # ``np.core.multiarray`` is the pickling home of arrays and scalars.
        np.core.multiarray._reconstruct,
        np.core.multiarray.scalar,
    ]
    # NumPy >= 1.25 pickles dtypes as ``numpy.dtypes.<Name>DType`` classes.
    dtypes_module = getattr(np, 'dtypes', None)
    if dtypes_module is not None:
        types += [
            getattr(dtypes_module, name) for name in dir(dtypes_module)
            if name.endswith('DType')
        ]
    return types


def register_checkpoint_safe_globals() -> None:
    """Allow-list MMEngine's checkpoint types for ``torch.load``.

    A no-op on torch versions without ``add_safe_globals`` (< 2.4), which do not
    default to ``weights_only=True`` either.
    """
    add_safe_globals = getattr(torch.serialization, 'add_safe_globals', None)
    if add_safe_globals is None:
        return
    add_safe_globals(mmengine_checkpoint_types())
