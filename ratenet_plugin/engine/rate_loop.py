"""RATELoop: the paper's "1-1-3" alternating training cycle (section 4)."""
import logging
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner import IterBasedTrainLoop
from torch.utils.data import DataLoader

from ratenet_plugin.registry import LOOPS
from ratenet_plugin.utils.arguments import check_cycle, check_positive_int
from ratenet_plugin.utils.random_state import get_random_state, set_random_state

#: The paper's cycle: one pose-transfer update (G_P, L1), one joint update
#: (G_P + G_t, L2) and K=3 discriminator updates, all on the same batch.
PAPER_CYCLE = (('pose_transfer', 1), ('joint', 1), ('discriminator', 3))

CycleSpec = Sequence[Union[Tuple[str, int], List]]


@LOOPS.register_module()
class RATELoop(IterBasedTrainLoop):
    """Iteration-based loop in which one iteration is one training cycle.

    For every batch the loop runs the model's updates in the order and with the
    repeat counts given by ``cycle``; the model owns the updates
    (``model.train_update(name, data, optim_wrapper)``), the loop only orders
    and counts them and holds no loss code.

    Counting rule: ``runner.iter`` and ``max_iters`` count **cycles**, so every
    hook (logging, checkpoints, validation, LR schedulers) works per cycle. The
    paper's "40K cycles = 200K iterations" is ``max_iters=40000`` with the
    default cycle of 5 updates; :attr:`num_updates` gives the paper's count.

    Resuming: MMEngine skips the batches already trained by drawing them from
    the dataloader again, which advances the global random generators. This
    loop keeps the random state that was current before the skip (restored
    from the checkpoint by :class:`RandomStateHook`), so a resumed run draws
    the same random numbers as an uninterrupted one.

    Args:
        runner (Runner): The runner.
        dataloader (DataLoader | dict): Training dataloader or its config.
        max_iters (int): Number of cycles to train.
        cycle (Sequence[tuple[str, int]]): ``(update name, repeats)`` in order;
            names are those of ``RATENet.train_update``: ``'pose_transfer'``,
            ``'joint'``, ``'discriminator'``. Defaults to the paper's 1-1-3.
        val_begin (int): Cycle from which to validate. Defaults to 1.
        val_interval (int): Validation interval in cycles. Defaults to 1000.
        dynamic_intervals (list[tuple[int, int]], optional): As in
            ``IterBasedTrainLoop``.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 max_iters: int,
                 cycle: CycleSpec = PAPER_CYCLE,
                 val_begin: int = 1,
                 val_interval: int = 1000,
                 dynamic_intervals: Optional[List[Tuple[int, int]]] = None
                 ) -> None:
        # Checked first: MMEngine's int(max_iters) would not name the key.
        max_iters = check_positive_int('max_iters', max_iters)
        val_interval = check_positive_int('val_interval', val_interval)
        super().__init__(
            runner,
            dataloader,
            max_iters=max_iters,
            val_begin=val_begin,
            val_interval=val_interval,
            dynamic_intervals=dynamic_intervals)
        self.cycle = check_cycle('cycle', cycle)
        print_log(
            'RATELoop: one iteration = one cycle of '
            + ', '.join(f'{n} x{k}' for n, k in self.cycle)
            + f' ({self.updates_per_cycle} updates); {self._max_iters} cycles '
            f'= {self._max_iters * self.updates_per_cycle} updates.',
            logger='current')

    @property
    def updates_per_cycle(self) -> int:
        """Optimiser updates in one cycle (5 for the paper's 1-1-3)."""
        return sum(repeats for _, repeats in self.cycle)

    @property
    def num_updates(self) -> int:
        """Updates done so far: the paper's iteration count."""
        return self._iter * self.updates_per_cycle

    def run(self) -> torch.nn.Module:
        """Train; identical to ``IterBasedTrainLoop.run`` except the resume skip."""
        self.runner.call_hook('before_train')
        self.runner.call_hook('before_train_epoch')
        if self._iter > 0:
            print_log(
                f'Advance dataloader {self._iter} steps to skip data '
                'that has already been trained',
                logger='current',
                level=logging.WARNING)
            random_state = get_random_state()
            for _ in range(self._iter):
                next(self.dataloader_iterator)
            set_random_state(random_state)
        while self._iter < self._max_iters and not self.stop_training:
            self.runner.model.train()
            data_batch = next(self.dataloader_iterator)
            self.run_iter(data_batch)
            self._decide_current_val_interval()
            if (self.runner.val_loop is not None
                    and self._iter >= self.val_begin
                    and (self._iter % self.val_interval == 0
                         or self._iter == self._max_iters)):
                self.runner.val_loop.run()
        self.runner.call_hook('after_train_epoch')
        self.runner.call_hook('after_train')
        return self.runner.model

    def run_iter(self, data_batch: Sequence[dict]) -> None:
        """Run one cycle of updates on one batch."""
        self.runner.call_hook(
            'before_train_iter', batch_idx=self._iter, data_batch=data_batch)
        model = self.runner.model
        # The updates are methods of the model itself; a (separate) DDP wrapper
        # wraps its submodules, through whose forward the updates still run.
        module = model.module if is_model_wrapper(model) else model
        data = module.data_preprocessor(data_batch, True)
        outputs: Dict[str, torch.Tensor] = {}
        for name, repeats in self.cycle:
            for _ in range(repeats):
                log_vars = module.train_update(name, data,
                                               self.runner.optim_wrapper)
                # Repeated updates (K discriminator steps) log their mean.
                for key, value in log_vars.items():
                    outputs[key] = outputs.get(key, 0) + value / repeats
        self.runner.call_hook(
            'after_train_iter',
            batch_idx=self._iter,
            data_batch=data_batch,
            outputs=outputs)
        self._iter += 1
