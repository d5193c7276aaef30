"""Two CPU ranks (gloo): each sample is counted once, in dataset order.

Five samples over two ranks: MMEngine's DefaultSampler gives rank 0 samples
0, 2, 4 and rank 1 samples 1, 3 and (padding) 0 again.
"""
import json
import os

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from ratenet_plugin.evaluation import LPIPS, collect_in_order, lpips_distance
from tests.evaluation.evaluation_testing import as_samples, random_images
from tests.network_testing import free_port

NUM_SAMPLES = 5
WORLD_SIZE = 2


def _images():
    gts = random_images(NUM_SAMPLES, 64, 44, seed=31)
    preds = random_images(NUM_SAMPLES, 64, 44, seed=32)
    return gts, preds


def _worker(rank: int, port: int, backbone: str, out_dir: str) -> None:
    os.chdir(out_dir)  # MMEngine gathers through files in ./.dist_test
    dist.init_process_group(
        'gloo',
        init_method=f'tcp://127.0.0.1:{port}',
        rank=rank,
        world_size=WORLD_SIZE)
    try:
        from mmengine.dataset import DefaultSampler
        indices = list(DefaultSampler(range(NUM_SAMPLES), shuffle=False))
        gts, preds = _images()
        metric = LPIPS(backbone_path=backbone, prefix='final')
        metric.size = NUM_SAMPLES  # what prepare() records: the data set size
        for start in range(0, len(indices), 2):
            batch = indices[start:start + 2]
            metric.process(None, as_samples(gts[batch], preds[batch]))
        result = metric.evaluate()
        order = collect_in_order([torch.tensor([i]) for i in indices],
                                 NUM_SAMPLES)
        if rank == 0:
            with open(f'{out_dir}/result.json', 'w') as file:
                json.dump(
                    dict(
                        lpips=result['final/LPIPS'],
                        rank0_indices=indices,
                        order=[int(t) for t in order]), file)
    finally:
        dist.destroy_process_group()


@pytest.mark.timeout(300)
def test_two_ranks_count_each_sample_once(tmp_path, alexnet_file):
    mp.spawn(
        _worker,
        args=(free_port(), str(alexnet_file), str(tmp_path)),
        nprocs=WORLD_SIZE)
    result = json.loads((tmp_path / 'result.json').read_text())
    assert result['rank0_indices'] == [0, 2, 4]
    assert result['order'] == list(range(NUM_SAMPLES))
    gts, preds = _images()
    single = LPIPS(backbone_path=str(alexnet_file))
    per_sample = lpips_distance(single.lpips_net, gts, preds)
    assert result['lpips'] == pytest.approx(float(per_sample.mean()), rel=1e-5)
    with_padding = float(torch.cat([per_sample, per_sample[:1]]).mean())
    assert abs(result['lpips'] - with_padding) > 1e-4
