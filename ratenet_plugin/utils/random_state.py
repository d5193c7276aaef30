"""Capture and restore the global random generators (Python, NumPy, torch)."""
import random
from typing import Any, Dict

import numpy as np
import torch


def get_random_state() -> Dict[str, Any]:
    """The state of every global generator a training step may draw from."""
    state = dict(
        python=random.getstate(),
        numpy=np.random.get_state(),
        torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        # The current device's: each process trains on one GPU, and a list
        # of every visible GPU's could not be restored where fewer are seen.
        state['cuda'] = torch.cuda.get_rng_state()
    return state


def set_random_state(state: Dict[str, Any]) -> None:
    """Restore a state returned by :func:`get_random_state`."""
    random.setstate(_as_python_state(state['python']))
    np.random.set_state(state['numpy'])
    torch.set_rng_state(state['torch'].cpu())
    cuda = _current_device_state(state.get('cuda'))
    if cuda is not None:
        torch.cuda.set_rng_state(cuda.cpu())


def same_random_state(a: Dict[str, Any], b: Dict[str, Any]) -> bool:
    """Whether two states of :func:`get_random_state` are equal."""
    if a.keys() != b.keys():
        return False
    numpy_a, numpy_b = a['numpy'], b['numpy']
    return (_as_python_state(a['python']) == _as_python_state(b['python'])
            and numpy_a[0] == numpy_b[0]
            and np.array_equal(numpy_a[1], numpy_b[1])
            and tuple(numpy_a[2:]) == tuple(numpy_b[2:])
            and torch.equal(a['torch'], b['torch'])
            and _same_tensors(a.get('cuda'), b.get('cuda')))


def _same_tensors(a, b) -> bool:
    """Equal CUDA states: a tensor, or a list of them (older checkpoints
    held every visible GPU's), or None."""
    a, b = ([] if x is None else [x] if torch.is_tensor(x) else list(x)
            for x in (a, b))
    return len(a) == len(b) and all(
        torch.equal(x.cpu(), y.cpu()) for x, y in zip(a, b))


def _current_device_state(cuda):
    """The state to give the current GPU, or None (no GPU here, none
    saved, or an older checkpoint's list without this device's entry)."""
    if cuda is None or not torch.cuda.is_available():
        return None
    if torch.is_tensor(cuda):
        return cuda
    index = torch.cuda.current_device()  # a list of every visible GPU's
    return cuda[index] if index < len(cuda) else None


def _as_python_state(state):
    # random.setstate needs tuples; a checkpoint round trip may give lists.
    version, internal, gauss = state
    return version, tuple(internal), gauss
