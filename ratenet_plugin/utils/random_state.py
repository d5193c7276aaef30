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
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_random_state(state: Dict[str, Any]) -> None:
    """Restore a state returned by :func:`get_random_state`."""
    random.setstate(_as_python_state(state['python']))
    np.random.set_state(state['numpy'])
    torch.set_rng_state(state['torch'].cpu())
    if 'cuda' in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state['cuda']])


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
            and len(a.get('cuda', ())) == len(b.get('cuda', ()))
            and all(
                torch.equal(x.cpu(), y.cpu())
                for x, y in zip(a.get('cuda', ()), b.get('cuda', ()))))


def _as_python_state(state):
    # random.setstate needs tuples; a checkpoint round trip may give lists.
    version, internal, gauss = state
    return version, tuple(internal), gauss
