"""ResumableInfiniteSampler: MMEngine's InfiniteSampler order, from any position."""
import itertools

import pytest
from mmengine.dataset import InfiniteSampler

from ratenet_plugin.datasets import ResumableInfiniteSampler
from ratenet_plugin.datasets.resumable_infinite_sampler import rank_position


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


@pytest.mark.parametrize('world_size', [2, 3])
@pytest.mark.parametrize('drawn', [0, 1, 2, 3, 5, 8])
def test_ranks_continue_after_the_samples_all_ranks_drew(world_size, drawn):
    """After ``drawn`` samples of the global order (any batch size and number
    of processes before), the ranks together draw the global order's
    samples from ``drawn`` on, each exactly once, none of the first
    ``drawn``."""
    dataset = list(range(11))
    order = list(itertools.islice(
        iter(InfiniteSampler(dataset, seed=5)), 60))
    drawn_by = {}
    for rank in range(world_size):
        sampler = ResumableInfiniteSampler(dataset, seed=5)
        sampler.rank, sampler.world_size = rank, world_size
        sampler.set_position(rank_position(drawn, rank, world_size))
        # Position in the global order of each sample the rank draws next.
        positions = [rank + world_size * k
                     for k in range(rank_position(drawn, rank, world_size),
                                    rank_position(drawn, rank, world_size)
                                    + 10)]
        got = list(itertools.islice(iter(sampler), 10))
        assert got == [order[p] for p in positions]
        drawn_by[rank] = positions
    every = sorted(p for positions in drawn_by.values() for p in positions)
    assert every[0] == drawn
    assert every[:10] == list(range(drawn, drawn + 10))
