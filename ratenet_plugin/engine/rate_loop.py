"""RATELoop: the paper's "1-1-3" alternating training cycle (section 4)."""
import logging
import os.path as osp
from contextlib import nullcontext
from typing import (Callable, ContextManager, Dict, Iterator, List, Optional,
                    Sequence, Tuple, Union)

import torch
import torch.nn as nn
from mmengine.dist import all_reduce
from mmengine.logging import print_log
from mmengine.optim import OptimWrapperDict
from mmengine.runner import IterBasedTrainLoop
from torch.utils.data import BatchSampler, DataLoader

from ratenet_plugin.datasets.resumable_infinite_sampler import rank_position
from ratenet_plugin.fileio.checkpoint_file import (model_state_dict,
                                                    read_checkpoint)
from ratenet_plugin.fileio.errors import UserInputError
from ratenet_plugin.registry import LOOPS
from ratenet_plugin.utils.arguments import (ConfigValueError, check_cycle,
                                            check_positive_int)
from ratenet_plugin.utils.model_wrappers import unwrap_model
from ratenet_plugin.utils.random_state import get_random_state, set_random_state
from .checkpoint_hooks import RandomStateHook

#: The paper's cycle: one pose-transfer update (G_P, L1), one joint update
#: (G_P + G_t, L2) and K=3 discriminator updates, all on the same batch.
PAPER_CYCLE = (('pose_transfer', 1), ('joint', 1), ('discriminator', 3))

CycleSpec = Sequence[Union[Tuple[str, int], List]]

#: Message hub key (saved in checkpoints) of the samples the training
#: sampler has given out so far over all processes: where a resumed run's
#: data order continues, whatever batch size or number of processes either
#: run has.
SAMPLES_DRAWN_KEY = 'train_samples_drawn'

#: ``around_update(name, repeats)`` of :func:`run_cycle`: a context manager
#: entered around each entry of the cycle (e.g. a timer).
AroundUpdate = Callable[[str, int], ContextManager]


def run_cycle(model: nn.Module,
              data_batch: dict,
              optim_wrapper: OptimWrapperDict,
              cycle: Sequence[Tuple[str, int]],
              around_update: Optional[AroundUpdate] = None
              ) -> Dict[str, torch.Tensor]:
    """One training cycle on one batch: what :class:`RATELoop` runs per
    iteration, and what ``ratenet_plugin.analysis`` times.

    Args:
        model (nn.Module): The model itself (not its DDP wrapper; a
            ``RATESeparateDistributedDataParallel`` wraps its networks, through
            whose forward the updates still run), with ``data_preprocessor``
            and ``train_update(name, data, optim_wrapper, repeats)``.
        data_batch (dict): A collated batch, as the dataloader yields it.
        optim_wrapper (OptimWrapperDict): The model's optimiser wrappers.
        cycle (Sequence[tuple[str, int]]): ``(update name, repeats)`` pairs,
            in order.
        around_update (callable, optional): ``around_update(name, repeats)``
            returns a context manager entered around each entry.

    Returns:
        dict[str, Tensor]: The logged values of every update (the mean over
        its repeats, e.g. over the K discriminator steps; over all its steps
        where a cycle names an update twice).
    """
    data = model.data_preprocessor(data_batch, True)
    logged: Dict[str, list] = {}
    for name, repeats in cycle:
        context = around_update(name, repeats) if around_update \
            else nullcontext()
        with context:
            log_vars = model.train_update(name, data, optim_wrapper, repeats)
        for key, value in log_vars.items():
            logged.setdefault(key, []).append((value, repeats))
    return {
        key: values[0][0] if len(values) == 1 else
        sum(value * steps for value, steps in values) /
        sum(steps for _, steps in values)
        for key, values in logged.items()
    }


class TrainingDivergedError(UserInputError):
    """A loss or another logged value became NaN or infinite."""


def finite_weights(path: str) -> bool:
    """Whether every floating-point weight of the checkpoint is finite."""
    weights = model_state_dict(read_checkpoint(path), path)
    return all(
        bool(torch.isfinite(value).all()) for value in weights.values()
        if value.is_floating_point())


@LOOPS.register_module()
class RATELoop(IterBasedTrainLoop):
    """Iteration-based loop in which one iteration is one training cycle.

    For every batch the loop runs the model's updates in the order and with the
    repeat counts given by ``cycle`` (:func:`run_cycle`); the model owns the
    updates (``model.train_update(name, data, optim_wrapper, repeats)``), the
    loop only orders and counts them and holds no loss code.

    Counting rule: ``runner.iter`` and ``max_iters`` count **cycles**, so every
    hook (logging, checkpoints, validation, LR schedulers) works per cycle. The
    paper's "40K cycles = 200K iterations" is ``max_iters=40000`` with the
    default cycle of 5 updates; :attr:`num_updates` gives the paper's count.

    Resuming: MMEngine skips the batches already trained by drawing them from
    the dataloader again. With :class:`ResumableInfiniteSampler` (the
    configs' sampler) this loop starts the sampler at the resumed cycle's
    position instead, so no skipped batch is loaded and resuming takes
    seconds at any cycle. Either way the random state restored from the
    checkpoint (:class:`RandomStateHook`) is kept across the skip, so a
    resumed CPU run reproduces an uninterrupted one exactly.

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
        stop_on_nonfinite_loss (bool): Stop with
            :class:`TrainingDivergedError` at the first cycle that logs a NaN
            or infinite value, before its hooks run (so no checkpoint of it
            is saved). MMEngine would train on, writing NaN checkpoints until
            a metric fails at the next validation. Defaults to True.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 max_iters: int,
                 cycle: CycleSpec = PAPER_CYCLE,
                 val_begin: int = 1,
                 val_interval: int = 1000,
                 dynamic_intervals: Optional[List[Tuple[int, int]]] = None,
                 stop_on_nonfinite_loss: bool = True) -> None:
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
        # The model says which updates it has (RATENet.updates); checked
        # here, not at the first cycle after others have already run.
        known = getattr(unwrap_model(runner.model), 'updates', None)
        if known is not None and any(n not in known for n, _ in self.cycle):
            raise ConfigValueError(
                'cycle', cycle, 'update names among '
                f'{", ".join(map(repr, known))}, e.g. the paper\'s '
                "[('pose_transfer', 1), ('joint', 1), ('discriminator', 3)]")
        _check_schedulers_count_cycles(runner.cfg.get('param_scheduler'))
        _check_no_mmagic_ema(runner.hooks)
        self.stop_on_nonfinite_loss = stop_on_nonfinite_loss
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
    def samples_per_cycle(self) -> int:
        """Samples one cycle draws over all processes (batch size x
        processes)."""
        return self.dataloader.batch_size * self.runner.world_size

    @property
    def num_updates(self) -> int:
        """Updates done so far: the paper's iteration count."""
        return self._iter * self.updates_per_cycle

    def run(self) -> torch.nn.Module:
        """Train: MMEngine's ``IterBasedTrainLoop.run``, after positioning the
        data at the resumed cycle (:meth:`_skip_trained_batches`)."""
        self._check_no_accumulation()
        self._samples_drawn = self._iter * self.samples_per_cycle
        if self._iter > 0:
            if self._iter >= self._max_iters:
                print_log(
                    f'Resumed at cycle {self._iter}, and train_cfg.max_iters '
                    f'is {self._max_iters}: nothing left to train. To train '
                    'longer, raise train_cfg.max_iters (and the end of the '
                    'learning-rate schedule, param_scheduler) with '
                    '--cfg-options',
                    logger='current',
                    level=logging.WARNING)
            if not any(isinstance(hook, RandomStateHook)
                       for hook in self.runner.hooks):
                print_log(
                    'Resumed without RandomStateHook in custom_hooks: the '
                    'random generators are re-seeded, not restored, so this '
                    'run draws other dropout masks and flips than an '
                    "uninterrupted one; add dict(type='RandomStateHook') for "
                    'an exact resume',
                    logger='current',
                    level=logging.WARNING)
            self._skip_trained_batches()
        return super().run()

    def _check_finite(self, outputs: Dict[str, torch.Tensor]) -> None:
        """Raise :class:`TrainingDivergedError` if a logged value of this
        cycle is NaN or infinite, on any process (the flag is all-reduced,
        so that every rank stops at the same cycle instead of the others
        waiting in the next collective); one device sync for all values."""
        values = {
            key: torch.as_tensor(value).detach().float().reshape(-1)
            for key, value in outputs.items()
        }
        if not values:
            return
        device = next(iter(values.values())).device
        finite = torch.isfinite(torch.cat(
            [v.to(device) for v in values.values()])).all().to(
                torch.int32).reshape(1)
        if self.runner.world_size > 1:
            all_reduce(finite, op='min')
        if bool(finite.item()):
            return
        bad = ', '.join(f'{key}={v.tolist()[0]}' for key, v in values.items()
                        if not torch.isfinite(v).all()) or (
                            'a value of another process')
        last = self.runner.message_hub.get_info('last_ckpt')
        if last is None:
            saved = 'no checkpoint was saved'
        elif not osp.isfile(last):  # another node's disk
            saved = f'the last checkpoint is {last}'
        elif finite_weights(last):
            saved = f'the last checkpoint, {last}, is of finite weights'
        else:  # diverged in the last update of the checkpoint's own cycle
            saved = (f'the last checkpoint, {last}, holds non-finite weights '
                     'too: take an earlier one')
        raise TrainingDivergedError(
            f'cycle {self._iter + 1}: {bad}: training diverged, stopped '
            f'before saving anything of this cycle ({saved}). Lower the '
            'learning rates (optim_wrapper.<name>.optimizer.lr) or the loss '
            'weights, and resume from a checkpoint of before the divergence '
            '(--resume WORK_DIR/iter_N.pth); '
            'train_cfg.stop_on_nonfinite_loss=False trains on')

    def _check_no_accumulation(self) -> None:
        """Gradient accumulation would mix the updates of a cycle: the
        pose-transfer and the joint update share the generator's optimiser,
        each steps it once per batch."""
        # An OptimWrapperDict: the updates step its wrappers by name.
        for key, wrapper in self.runner.optim_wrapper.items():
            counts = getattr(wrapper, '_accumulative_counts', 1)
            if counts != 1:
                raise ConfigValueError(
                    f'optim_wrapper.{key}.accumulative_counts', counts,
                    '1 (RATELoop steps every optimiser once per update of '
                    'its cycle, and the pose-transfer and joint updates '
                    'share the generator\'s): remove it; a larger '
                    'batch_size does what it would')

    def _skip_trained_batches(self) -> None:
        """Make the resume skip of ``IterBasedTrainLoop.run`` cost nothing.

        MMEngine skips the ``self._iter`` batches already trained by drawing
        them from the dataloader: every skipped sample is loaded again, and
        the draws advance the global random generators. With a sampler that
        has ``set_position`` (:class:`ResumableInfiniteSampler`) this starts
        a new dataloader iterator of the same order after the samples the
        checkpoint's run drew (:data:`SAMPLES_DRAWN_KEY`; cycles x batch size
        x processes for a checkpoint without it), so a resume with another
        batch size or number of processes neither skips nor repeats a
        sample, and lets the skip draw placeholders; with any other sampler the
        skip draws the batches as before. Either way the global random state
        restored from the checkpoint (:class:`RandomStateHook`) is kept.
        """
        state = get_random_state()
        sampler = self.dataloader.sampler
        if (hasattr(sampler, 'set_position')
                and type(self.dataloader.batch_sampler) is BatchSampler):
            drawn = self.runner.message_hub.get_info(SAMPLES_DRAWN_KEY)
            if drawn is None:
                print_log(
                    f'Resuming at cycle {self._iter} from a checkpoint that '
                    'does not count the samples its run drew (written '
                    'before 2026-12-05): the data order continues after '
                    f'{self._samples_drawn} samples, cycles x this run\'s '
                    f'batch size {self.dataloader.batch_size} x '
                    f'{self.runner.world_size} processes; if its run had '
                    'another batch size or number of processes, samples are '
                    'skipped or repeated once',
                    logger='current',
                    level=logging.WARNING)
            elif drawn != self._samples_drawn:
                print_log(
                    f'Resuming at cycle {self._iter}: the checkpoint\'s run '
                    f'drew {drawn} samples, and this run draws '
                    f'{self.samples_per_cycle} per cycle (batch size '
                    f'{self.dataloader.batch_size} x {self.runner.world_size}'
                    ' processes): the data order continues after sample '
                    f'{drawn}. The learning-rate schedule and the intervals '
                    'count cycles, not samples.',
                    logger='current')
                self._samples_drawn = drawn
            sampler.set_position(rank_position(
                self._samples_drawn, self.runner.rank, self.runner.world_size))
            # A new iterator starts at the new position (the one made when the
            # loop was built started at 0; dataloader workers still load what
            # it prefetched, prefetch_factor x num_workers batches whatever
            # the cycle, none with num_workers=0). It never ends: the sampler
            # is infinite.
            iterator = iter(self.dataloader)
            print_log(
                f'Resuming at cycle {self._iter}: the sampler starts after '
                f'sample {self._samples_drawn} of its order; the '
                'trained batches are not loaded again (MMEngine\'s "Advance '
                'dataloader ... steps" warning below draws placeholders).',
                logger='current')
            self.dataloader_iterator = _AfterSkip(self._iter, iterator)
        else:
            print_log(
                f'Resuming at cycle {self._iter}: {type(sampler).__name__} '
                'cannot start at a position, so the trained batches are '
                'loaded again (use ResumableInfiniteSampler to skip them).',
                logger='current',
                level=logging.WARNING)
            self.dataloader_iterator = _AfterSkip(
                self._iter, self.dataloader_iterator, replay_state=state)
        set_random_state(state)

    def run_iter(self, data_batch: Sequence[dict]) -> None:
        """Run one cycle of updates on one batch."""
        self.runner.call_hook(
            'before_train_iter', batch_idx=self._iter, data_batch=data_batch)
        outputs = run_cycle(
            unwrap_model(self.runner.model), data_batch,
            self.runner.optim_wrapper, self.cycle)
        if self.stop_on_nonfinite_loss:
            self._check_finite(outputs)
        self._samples_drawn += self.samples_per_cycle
        self.runner.message_hub.update_info(SAMPLES_DRAWN_KEY,
                                            self._samples_drawn)
        self.runner.call_hook(
            'after_train_iter',
            batch_idx=self._iter,
            data_batch=data_batch,
            outputs=outputs)
        self._iter += 1


class _AfterSkip:
    """The dataloader iterator of a resumed run, as seen by the skip in
    ``IterBasedTrainLoop.run`` (which draws ``skip`` batches and drops them).

    Without ``replay_state`` the ``skip`` draws return None without touching
    the data (``iterator`` already starts past them). With it they are real
    batches of ``iterator`` (a sampler that cannot start at a position), and
    the global random state is set back to ``replay_state`` after the last
    one, so the replay leaves no trace. Then batches come from ``iterator``.
    """

    def __init__(self, skip: int, iterator: Iterator,
                 replay_state: Optional[dict] = None) -> None:
        self._skip = skip
        self._iterator = iterator
        self._replay_state = replay_state

    def __iter__(self) -> '_AfterSkip':
        return self

    def __next__(self):
        if self._skip == 0:
            return next(self._iterator)
        self._skip -= 1
        if self._replay_state is None:
            return None
        batch = next(self._iterator)
        if self._skip == 0:
            set_random_state(self._replay_state)
        return batch


def _check_no_mmagic_ema(hooks) -> None:
    """MMagic's ExponentialMovingAverageHook averages into a copy
    (``model.generator_ema``) that only MMagic's own GAN models generate
    with: RATENet validated, tested and saved the raw generator beside it.
    MMEngine's EMAHook swaps the averages in for validation and testing."""
    # MMagic's hooks module, imported only by a training loop.
    from mmagic.engine.hooks import ExponentialMovingAverageHook
    for hook in hooks:
        if isinstance(hook, ExponentialMovingAverageHook):
            raise UserInputError(
                "config key custom_hooks: MMagic's "
                'ExponentialMovingAverageHook averages into '
                'model.generator_ema, which RATENet never generates with '
                '(validation, tools/test.py and inference use '
                "model.generator); use MMEngine's EMAHook, e.g. "
                "dict(type='EMAHook', momentum=0.005), whose averages "
                'validation and testing use (docs/training.md)')


def _check_schedulers_count_cycles(schedulers) -> None:
    """Refuse a ``param_scheduler`` entry that counts epochs: MMEngine's
    default ``by_epoch=True`` never steps in an iteration-based loop, so the
    learning rate silently stays where it starts."""
    if schedulers is None:
        return
    groups = schedulers.items() if isinstance(schedulers, dict) and \
        'type' not in schedulers else [('', schedulers)]
    for group, entries in groups:
        entries = [entries] if isinstance(entries, dict) else entries
        for index, entry in enumerate(entries or []):
            if isinstance(entry, dict) and entry.get('by_epoch', True):
                key = (f'param_scheduler.{group}[{index}]' if group
                       else f'param_scheduler[{index}]')
                raise UserInputError(
                    f'{key} ({entry.get("type")}) counts epochs (MMEngine\'s '
                    'default by_epoch=True), which RATELoop has none of: its '
                    'learning rate would never change. Add by_epoch=False '
                    '(every schedule here counts cycles)')
