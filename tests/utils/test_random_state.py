"""The global random state: captured, compared and restored, and which GPU
state a process restores (CI has no GPU: torch.cuda's answers are given)."""
import random

import numpy as np
import pytest
import torch

from ratenet_plugin.utils import random_state
from ratenet_plugin.utils.random_state import (get_random_state,
                                               same_random_state,
                                               set_random_state)


def draws():
    return (random.random(), float(np.random.rand()), float(torch.rand(1)))


def test_a_restored_state_draws_the_same_numbers():
    state = get_random_state()
    first = draws()
    assert not same_random_state(state, get_random_state())
    set_random_state(state)
    assert same_random_state(state, get_random_state())
    assert draws() == first


@pytest.fixture
def gpus(monkeypatch):
    """A process whose current GPU is ``current``."""
    def use(current: int):
        monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
        monkeypatch.setattr(torch.cuda, 'current_device', lambda: current)
    return use


def test_a_process_restores_its_own_gpus_state(gpus):
    """Checkpoints hold the current GPU's state; one of an older version
    holds every visible GPU's: the process takes its device's entry, and
    none where its device has none (resumed where more GPUs are seen;
    before, restoring a list of 8 where 1 GPU is seen raised IndexError)."""
    states = [torch.full((16, ), i, dtype=torch.uint8) for i in range(8)]
    gpus(current=0)
    assert torch.equal(random_state._current_device_state(states[3]),
                       states[3])
    gpus(current=2)
    assert torch.equal(random_state._current_device_state(states),
                       states[2])
    assert random_state._current_device_state(states[:2]) is None
    assert random_state._current_device_state(None) is None
