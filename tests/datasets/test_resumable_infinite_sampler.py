"""ResumableInfiniteSampler: MMEngine's InfiniteSampler order, from any position."""
import itertools

import pytest
from mmengine.dataset import InfiniteSampler

from ratenet_plugin.datasets import ResumableInfiniteSampler


@pytest.mark.parametrize('shuffle', [True, False])
@pytest.mark.parametrize('position', [0, 1, 7, 23])
def test_set_position_continues_infinite_samplers_order(shuffle, position):
    dataset = list(range(7))
    reference = iter(InfiniteSampler(dataset, shuffle=shuffle, seed=3))
    sampler = ResumableInfiniteSampler(dataset, shuffle=shuffle, seed=3)
    sampler.set_position(position)
    assert list(itertools.islice(iter(sampler), 20)) == list(
        itertools.islice(reference, position, position + 20))


def test_without_a_position_it_is_infinite_sampler():
    dataset = list(range(5))
    reference = iter(InfiniteSampler(dataset, seed=1))
    sampler = iter(ResumableInfiniteSampler(dataset, seed=1))
    assert list(itertools.islice(sampler, 17)) == list(
        itertools.islice(reference, 17))


def test_negative_position_is_rejected():
    sampler = ResumableInfiniteSampler(list(range(3)), seed=0)
    with pytest.raises(ValueError, match='position'):
        sampler.set_position(-1)
