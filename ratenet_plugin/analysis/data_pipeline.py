"""Speed of a config's data pipeline: per sample and per transform in one
process (= one worker), through a DataLoader, and the training process's
share of each batch (collate + preprocess)."""
import os
import os.path as osp
import time
from typing import Dict, List

import numpy as np
from mmengine.config import Config

from .options import image_size
from .timing import median


def training_dataset_cfg(cfg: Config, synthetic_root: str) -> dict:
    """The config's training dataset; a synthetic set at the same size where
    the data are absent."""
    dataset = cfg.train_dataloader.dataset.to_dict()
    root = dataset.get('data_root', '')
    if dataset.get('synthetic') is None and not osp.isdir(root):
        height, width = image_size(cfg)
        dataset.update(
            data_root=osp.join(synthetic_root, f'synthetic_{height}x{width}'),
            synthetic=dict(
                num_identities=8,
                poses_per_identity=6,
                num_test_identities=1,
                seed=0,
                image_format='jpg'))
    return dataset


def measure_data_pipeline(cfg: Config, num_samples: int, loader_batches: int,
                          synthetic_root: str) -> dict:
    from mmengine.registry import DATASETS
    dataset_cfg = training_dataset_cfg(cfg, synthetic_root)
    dataset = DATASETS.build(dataset_cfg)
    transforms = dataset.pipeline.transforms
    per_transform: Dict[str, List[float]] = {
        type(t).__name__: []
        for t in transforms
    }
    sample_times = []
    samples = []
    rng = np.random.default_rng(0)
    for index in rng.integers(0, len(dataset), num_samples):
        start = time.perf_counter()
        results = dataset.get_data_info(int(index))
        for transform in transforms:
            t0 = time.perf_counter()
            results = transform(results)
            per_transform[type(transform).__name__].append(
                time.perf_counter() - t0)
        sample_times.append(time.perf_counter() - start)
        samples.append(results)
    batch_size = cfg.train_dataloader.batch_size
    per_sample = median(sample_times)
    bytes_per_sample = sum(
        v.numel() * v.element_size()
        for v in samples[0]['inputs'].values())
    result = dict(
        dataset=dict(
            data_root=dataset_cfg['data_root'],
            synthetic=dataset_cfg.get('synthetic') is not None),
        sample_s=per_sample,
        samples_per_s_per_worker=1 / per_sample,
        transform_s={k: median(v)
                     for k, v in per_transform.items()},
        main_process_s_per_batch=main_process_batch_cost(
            cfg, samples, batch_size),
        bytes_per_sample=bytes_per_sample,
        config_num_workers=cfg.train_dataloader.get('num_workers', 0))
    if loader_batches > 0:
        collate = cfg.train_dataloader.get('collate_fn', {}).get(
            'type', 'pseudo_collate')  # MMEngine's default
        result['dataloader'] = measure_dataloader(
            dataset, batch_size,
            min(cfg.train_dataloader.get('num_workers', 0), os.cpu_count()),
            loader_batches, collate)
    return result


def main_process_batch_cost(cfg: Config, samples: List[dict],
                            batch_size: int) -> Dict[str, float]:
    """Seconds per batch the training process spends on collating and
    preprocessing (on CPU, without the device copy), per collate function:
    ``pseudo_collate`` (MMEngine's default; the preprocessor stacks the
    tensors in the training process) or ``default_collate`` (the workers
    stack; the preprocessor gets whole batches)."""
    from mmengine.dataset import default_collate, pseudo_collate

    from ratenet_plugin.registry import MODELS
    preprocessor = MODELS.build(
        cfg.model.get('data_preprocessor', dict(type='PoseDataPreprocessor')))
    batches = [
        samples[i:i + batch_size]
        for i in range(0, len(samples) - batch_size + 1, batch_size)
    ]
    costs = {}
    for name, collate in (('pseudo_collate', pseudo_collate),
                          ('default_collate', default_collate)):
        main_times, worker_times = [], []
        for batch in batches:
            start = time.perf_counter()
            collated = collate(batch)
            middle = time.perf_counter()
            preprocessor(collated, True)
            end = time.perf_counter()
            if name == 'pseudo_collate':  # runs in the training process
                main_times.append(end - start)
            else:
                worker_times.append(middle - start)
                main_times.append(end - middle)
        costs[name] = median(main_times)
        if worker_times:
            costs['default_collate_in_worker'] = median(worker_times)
    return costs


def measure_dataloader(dataset, batch_size: int, num_workers: int,
                       num_batches: int, collate: str) -> dict:
    """Samples/s through a DataLoader with ``collate`` (a function
    registered in MMEngine's FUNCTIONS, as a config's ``collate_fn``)."""
    from mmengine.registry import FUNCTIONS
    from torch.utils.data import DataLoader, RandomSampler
    loader = DataLoader(
        dataset,
        batch_size=batch_size,
        num_workers=num_workers,
        sampler=RandomSampler(
            dataset, replacement=True, num_samples=10**9),
        collate_fn=FUNCTIONS.get(collate),
        persistent_workers=num_workers > 0)
    iterator = iter(loader)
    next(iterator)  # worker start-up
    start = time.perf_counter()
    for _ in range(num_batches):
        next(iterator)
    elapsed = time.perf_counter() - start
    del iterator
    return dict(
        num_workers=num_workers,
        collate_fn=collate,
        samples_per_s=num_batches * batch_size / elapsed)
