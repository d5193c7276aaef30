"""Test-only hook and metric for tests/tools/test_dist_train_test.py.

The test configs import this module (``tests.tools.distributed_testing``)
through ``custom_imports``; the torchrun processes find it because the test
puts the repository root on ``PYTHONPATH``.
"""
import os
import os.path as osp
from typing import Dict

import torch
from mmagic.evaluation.metrics.base_sample_wise_metric import \
    BaseSampleWiseMetric
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from ratenet_plugin.registry import HOOKS, METRICS
from ratenet_plugin.utils.model_wrappers import unwrap_model

#: The four networks of the cycle, by their (unwrapped) names in RATENet.
NETWORKS = dict(
    G_P='generator.pose_transfer',
    G_t='generator.texture_enhancer',
    D_S='shape_discriminator',
    D_A='appearance_discriminator')


def plain_name(name: str) -> str:
    """A parameter name without the ``.module`` of (nested) DDP wrappers."""
    return name.replace('.module.', '.')


@HOOKS.register_module()
class DistTestParameterDumpHook(Hook):
    """Each rank saves the parameters of G_P, G_t, D_S and D_A, and the pairs
    of its batch, to ``<work_dir>/dump/rank<r>_cycle<i>.pt``: ``i = 0`` before
    training (after initialisation), then after every cycle ``i``."""

    priority = 'LOWEST'

    def before_train(self, runner) -> None:
        self._dump(runner, 0, pairs=[])

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        pairs = [(s.src_name, s.tgt_name) for s in data_batch['data_samples']]
        self._dump(runner, batch_idx + 1, pairs=pairs)

    @staticmethod
    def _dump(runner, cycle: int, pairs) -> None:
        model = runner.model
        module = unwrap_model(model)
        params: Dict[str, Dict[str, torch.Tensor]] = {k: {} for k in NETWORKS}
        for name, param in module.named_parameters():
            name = plain_name(name)
            for key, prefix in NETWORKS.items():
                if name.startswith(prefix + '.'):
                    params[key][name] = param.detach().clone()
        directory = osp.join(runner.work_dir, 'dump')
        os.makedirs(directory, exist_ok=True)
        torch.save(
            dict(
                params=params,
                pairs=pairs,
                wrapped=is_model_wrapper(model),
                world_size=runner.world_size),
            osp.join(directory, f'rank{runner.rank}_cycle{cycle}.pt'))


@METRICS.register_module()
class DistTestSampleCount(BaseSampleWiseMetric):
    """``num_samples``: how many samples the metric was computed from;
    ``num_distinct``: how many different (source, target) pairs those were.
    Collected across ranks like every MMagic sample-wise metric."""

    metric = 'num_samples'

    def process(self, data_batch, data_samples) -> None:
        for sample in data_samples:
            self.results.append((sample['src_name'], sample['tgt_name']))

    def compute_metrics(self, results) -> dict:
        return dict(num_samples=len(results), num_distinct=len(set(results)))
