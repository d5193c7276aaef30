"""An InfiniteSampler that a resumed run starts where the checkpoint stopped."""
import itertools

from mmengine.dataset import InfiniteSampler

from ratenet_plugin.registry import DATA_SAMPLERS


def rank_position(drawn: int, rank: int, world_size: int) -> int:
    """Where rank ``rank`` continues after ``drawn`` samples of the global
    order were drawn by all ranks together: its order is the global order's
    samples ``rank, rank + world_size, ...``, and it starts at its first one
    not drawn (``ceil((drawn - rank) / world_size)``, at least 0)."""
    return max(0, -(-(drawn - rank) // world_size))


@DATA_SAMPLERS.register_module()
class ResumableInfiniteSampler(InfiniteSampler):
    """MMEngine's :class:`InfiniteSampler` (same seed, same order, same
    slicing by rank) that can be set to any position of its order without
    loading the samples before it.

    :class:`~ratenet_plugin.engine.RATELoop` calls :meth:`set_position` when
    it resumes, so a run resumed at cycle ``c`` draws exactly the indices an
    uninterrupted run draws from cycle ``c`` on, and the skipped batches are
    never read from disk. Skipping costs computing the order only (one
    ``randperm`` per pass over the data).

    Args:
        dataset (Sized): The dataset.
        shuffle (bool): Shuffle the order of each pass. Defaults to True.
        seed (int, optional): Seed of the order; None draws one shared by all
            ranks. Defaults to None.
    """

    def set_position(self, num_drawn: int) -> None:
        """Continue from index number ``num_drawn`` of this rank's order.

        Takes effect for iterations over the sampler started afterwards (a
        new dataloader iterator).

        Args:
            num_drawn (int): Indices this rank has drawn so far (cycles
                trained x batch size), >= 0.
        """
        if num_drawn < 0:
            raise ValueError(f'sampler position must be >= 0, got {num_drawn}')
        self.indices = itertools.islice(self._indices_of_rank(), num_drawn,
                                        None)
