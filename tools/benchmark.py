"""Speed of a RATE-Net config: training cycles, inference, data pipeline.

    python tools/benchmark.py configs/ratenet/ratenet_deepfashion.py
    python tools/benchmark.py CONFIG --options fp32 bf16 channels_last \\
        compile bf16+channels_last+compile --infer-batch-sizes 1 8 32
    python tools/benchmark.py CONFIG --device cpu --batch-size 1 \\
        --train-repeats 2 --out work_dirs/benchmark/paper_cpu.json

For each *option* (a ``+``-joined set of fast paths, ``fp32`` being the eager
float32 baseline) in one run it builds the config's model afresh and measures

- training: 1-1-3 cycles (the config's ``train_cfg.cycle``) on a synthetic
  batch of the config's batch size and image size, preprocessing included as
  in ``RATELoop``: cycles/s, images/s, the median time of each update, peak
  memory (GPU: ``torch.cuda.max_memory_allocated``; CPU: the process's peak
  RSS so far, which only grows), model FLOP utilisation;
- inference: generator forwards (``model(inputs, mode='tensor')``, no grad)
  at several batch sizes: latency of one batch, images/s, MFU;

and reports every figure also as a ratio to the ``fp32`` option. Fast paths:
``bf16``/``fp16`` (autocast through ``AnyDeviceAmpOptimWrapper``, as
``tools/train.py --amp``; fp16 needs a GPU), ``channels_last`` and
``compile`` (``model.channels_last``/``model.torch_compile``, as
``--channels-last``/``--compile``), ``cudnn_benchmark`` (GPU only).

FLOPs are counted, not estimated: ``torch.utils.flop_counter.FlopCounterMode``
over one whole training cycle (forward and backward of every update; one
multiply-add = 2 FLOPs; convolutions and matrix products) and over one
inference batch. MFU = counted FLOPs x rate / peak. GPU peaks are the
vendor's dense figures for the dtype (float32 options count against the TF32
peak when cuDNN may use TF32, PyTorch's default); the CPU "peak" is measured
here from a large matrix product in the same dtype (a practical peak, not the
hardware's), and is labelled so.

The data pipeline (the config's training dataset and pipeline; a synthetic
set at the config's image size when the data is absent) is timed per sample
and per transform in this process (= one worker) and through a DataLoader
with the config's workers; the report compares one worker's samples/s with
what the fastest measured training option consumes.

Weights do not change speed: the VGG19 of the perceptual loss is random here
(``pretrained=None``), so no weight file is needed. Results: a table on
stdout and JSON (``--out``), including the paper schedule's time
(``train_cfg.max_iters`` cycles) at the measured rate and its cost.
"""
import argparse
import gc
import json
import logging
import os
import os.path as osp
import platform
import resource
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager, nullcontext
from typing import Dict, List, Optional, Sequence, Tuple

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import _bootstrap  # noqa: E402,F401  (repo on sys.path, OpenMP defaults)

import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.optim import build_optim_wrapper  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from ratenet_plugin.utils.config import (enable_amp,  # noqa: E402
                                         import_plugin)

FAST_PATHS = ('bf16', 'fp16', 'channels_last', 'compile', 'cudnn_benchmark')
GPU_ONLY = ('fp16', 'cudnn_benchmark')
DEFAULT_OPTIONS = {
    'cuda': ('fp32', 'bf16', 'fp16', 'channels_last', 'compile',
             'cudnn_benchmark', 'bf16+channels_last+cudnn_benchmark',
             'bf16+compile', 'bf16+channels_last+compile+cudnn_benchmark'),
    'cpu': ('fp32', 'bf16', 'channels_last', 'compile'),
}

#: Dense peak TFLOP/s of GPUs (vendor data sheets, no sparsity):
#: (name substring, bf16/fp16 tensor, tf32 tensor, fp32).
GPU_PEAKS = (
    ('H100 PCIe', 756.0, 378.0, 51.2),
    ('H100 NVL', 835.0, 417.5, 60.0),
    ('H100', 989.4, 494.7, 66.9),  # SXM
    ('H200', 989.4, 494.7, 66.9),
    ('A100', 312.0, 156.0, 19.5),
    ('L40S', 362.1, 183.2, 91.6),
    ('L40', 181.0, 90.5, 90.5),
    ('L4', 121.0, 60.0, 30.3),
    ('A10', 125.0, 62.5, 31.2),
    ('RTX 4090', 165.2, 82.6, 82.6),
    ('V100', 125.0, None, 15.7),  # fp16 only; no bf16, no tf32
)

#: Schedules estimated for GPUs that were not measured (FLOPs / (peak x MFU)).
ESTIMATE_DEVICES = (('H100 SXM', 989.4), ('A100', 312.0))


# ---------------------------------------------------------------- helpers
def synchronize(device: str) -> None:
    if device == 'cuda':
        torch.cuda.synchronize()


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def parse_option(option: str) -> Tuple[str, ...]:
    """'bf16+compile' -> ('bf16', 'compile'); 'fp32' -> ()."""
    parts = tuple(p for p in option.split('+') if p and p != 'fp32')
    unknown = [p for p in parts if p not in FAST_PATHS]
    if unknown:
        raise ValueError(f'unknown fast path(s) {unknown} in {option!r}; '
                         f'known: fp32, {", ".join(FAST_PATHS)}')
    if 'bf16' in parts and 'fp16' in parts:
        raise ValueError(f'{option!r}: choose bf16 or fp16')
    return parts


def amp_dtype(parts: Sequence[str]) -> Optional[torch.dtype]:
    if 'bf16' in parts:
        return torch.bfloat16
    if 'fp16' in parts:
        return torch.float16
    return None


def peak_rss_mib() -> float:
    """The process's peak resident memory so far (Linux: KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def image_size(cfg: Config) -> Tuple[int, int]:
    if 'image_size' in cfg:
        return tuple(cfg.image_size)
    return tuple(cfg.train_dataloader.dataset.keypoint_frame)


# ------------------------------------------------------------------ peaks
def gpu_peak_tflops(dtype: Optional[torch.dtype]) -> Tuple[Optional[float],
                                                            str]:
    """Dense peak TFLOP/s of this GPU for the option's compute dtype."""
    name = torch.cuda.get_device_name()
    for key, half, tf32, fp32 in GPU_PEAKS:
        if key in name:
            if dtype is not None:
                return half, f'{key} {str(dtype)[6:]} dense (data sheet)'
            if torch.backends.cudnn.allow_tf32 and tf32 is not None:
                return tf32, f'{key} TF32 dense (data sheet; cuDNN TF32 on)'
            return fp32, f'{key} fp32 (data sheet)'
    return None, f'unknown GPU {name!r}: pass --peak-tflops'


def measured_cpu_tflops(dtype: torch.dtype, seconds: float = 1.0) -> float:
    """Best rate of a 2048^3 matrix product and of two 3x3 convolutions
    shaped like the model's (256 channels at 64x44, 512 at 32x22, batch 4)
    on this CPU: a practical peak, not the hardware's. (MKL's matrix
    product runs well below oneDNN's convolutions on AMD CPUs, hence
    both.)"""
    conv = torch.nn.functional.conv2d
    cases = []
    a = torch.randn(2048, 2048).to(dtype)
    cases.append((lambda: torch.mm(a, a), 2 * 2048**3))
    for channels, height, width in ((256, 64, 44), (512, 32, 22)):
        x = torch.randn(4, channels, height, width).to(dtype)
        w = torch.randn(channels, channels, 3, 3).to(dtype)
        cases.append((lambda x=x, w=w: conv(x, w, padding=1),
                      2 * 4 * channels**2 * 9 * height * width))
    best = 0.0
    with torch.no_grad():
        for run, flops in cases:
            end = time.perf_counter() + seconds
            while time.perf_counter() < end:
                start = time.perf_counter()
                run()
                best = max(best, flops / (time.perf_counter() - start))
    return best / 1e12


class Peaks:
    """Peak FLOP/s per option dtype, cached."""

    def __init__(self, device: str, override: Optional[float]) -> None:
        self.device = device
        self.override = override
        self._cache: Dict[Optional[torch.dtype], Tuple[Optional[float],
                                                       str]] = {}

    def __call__(self, dtype: Optional[torch.dtype]):
        if self.override is not None:
            return self.override, 'given by --peak-tflops'
        if dtype not in self._cache:
            if self.device == 'cuda':
                self._cache[dtype] = gpu_peak_tflops(dtype)
            else:
                compute = dtype or torch.float32
                self._cache[dtype] = (
                    measured_cpu_tflops(compute),
                    f'CPU, measured {str(compute)[6:]} matmul/conv '
                    '(practical peak, not the hardware peak)')
        return self._cache[dtype]


# ------------------------------------------------------------------ model
@contextmanager
def quiet_mmengine_logger():
    """MMEngine's current logger at WARNING level for the duration."""
    from mmengine.logging import MMLogger
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def benchmark_model_cfg(cfg: Config, parts: Sequence[str],
                        compile_mode: Optional[str]) -> dict:
    model_cfg = cfg.model.to_dict() if hasattr(cfg.model, 'to_dict') \
        else dict(cfg.model)
    model_cfg['perceptual_loss'] = dict(
        model_cfg['perceptual_loss'], pretrained=None)
    if 'channels_last' in parts:
        model_cfg['channels_last'] = True
    if 'compile' in parts:
        # Static shapes: every batch size of the inference sweep gets its
        # own graph, as a training run with one batch size does.
        model_cfg['torch_compile'] = dict(dynamic=False)
        if compile_mode:
            model_cfg['torch_compile']['mode'] = compile_mode
    return model_cfg


def build_for(cfg: Config, parts: Sequence[str], device: str,
              compile_mode: Optional[str]):
    """The model (on ``device``, train mode) and its optimiser wrappers."""
    from ratenet_plugin.registry import MODELS
    torch.manual_seed(0)
    model = MODELS.build(benchmark_model_cfg(cfg, parts, compile_mode))
    with quiet_mmengine_logger():
        # Outside a Runner (no log file) MMEngine prints one line per
        # parameter on initialisation; the report is what matters here.
        model.init_weights()
    model.to(device)
    if device == 'cuda':
        # The batch is pinned (as with pin_memory=True): copy it without
        # waiting, as data_preprocessor=dict(non_blocking=True) does.
        model.data_preprocessor._non_blocking = True
    optim_cfg = Config(dict(optim_wrapper=cfg.optim_wrapper.to_dict()))
    dtype = amp_dtype(parts)
    if dtype is not None:
        enable_amp(optim_cfg, dtype=str(dtype)[6:])
    wrappers = build_optim_wrapper(model, optim_cfg.optim_wrapper)
    return model, wrappers


def synthetic_raw_batch(num: int, height: int, width: int,
                        seed: int = 0) -> dict:
    """A collated batch like the dataloader's: uint8 images, Gaussian
    heatmaps of random keypoints (sigma 6 px at 256)."""
    from ratenet_plugin.datasets.transforms import keypoints_to_heatmaps
    rng = np.random.default_rng(seed)
    inputs: Dict[str, List[torch.Tensor]] = {
        k: [] for k in ('src_img', 'tgt_img', 'src_pose', 'tgt_pose')
    }
    for _ in range(num):
        for side in ('src', 'tgt'):
            inputs[f'{side}_img'].append(
                torch.from_numpy(
                    rng.integers(0, 256, (3, height, width), dtype=np.uint8)))
            keypoints = rng.uniform((0, 0), (width, height),
                                    (18, 2)).astype(np.float32)
            inputs[f'{side}_pose'].append(
                torch.from_numpy(
                    keypoints_to_heatmaps(keypoints, height, width,
                                          6.0 * height / 256)))
    return dict(inputs=inputs, data_samples=None)


def pinned(raw: dict) -> dict:
    return dict(
        inputs={
            k: [t.pin_memory() for t in v]
            for k, v in raw['inputs'].items()
        },
        data_samples=None)


@contextmanager
def cudnn_benchmark(enabled: bool):
    previous = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = enabled
    try:
        yield
    finally:
        torch.backends.cudnn.benchmark = previous


# --------------------------------------------------------------- training
def run_cycle(model, wrappers, raw: dict, cycle, device: str,
              timings: Optional[Dict[str, List[float]]] = None,
              log_sync: bool = True) -> Dict[str, float]:
    """One RATELoop iteration: preprocess, the cycle's updates, the logged
    means (read back as MMEngine's RuntimeInfoHook does)."""
    data = model.data_preprocessor(raw, True)
    outputs: Dict[str, torch.Tensor] = {}
    for name, repeats in cycle:
        for _ in range(repeats):
            if timings is not None:
                synchronize(device)
                start = time.perf_counter()
            logs = model.train_update(name, data, wrappers)
            if timings is not None:
                synchronize(device)
                timings.setdefault(name, []).append(time.perf_counter() -
                                                    start)
            for key, value in logs.items():
                outputs[key] = outputs.get(key, 0) + value / repeats
    if log_sync:
        return {key: float(value.item()) for key, value in outputs.items()}
    return {}


@contextmanager
def shapes_only():
    """Tensors without data (PyTorch's fake tensors: CPU tensors that only
    carry shapes), so that counting FLOPs costs no compute or memory."""
    from torch._subclasses.fake_tensor import FakeTensorMode
    with FakeTensorMode():
        yield


def fake_model_and_batch(cfg: Config, batch_size: int, height: int,
                         width: int):
    """The fp32 eager model, its optimiser wrappers and a preprocessed
    batch, built from fake tensors (use under :func:`shapes_only`)."""
    from ratenet_plugin.registry import MODELS
    model = MODELS.build(benchmark_model_cfg(cfg, (), None))
    inputs = dict(
        src_img=torch.zeros(batch_size, 3, height, width),
        tgt_img=torch.zeros(batch_size, 3, height, width),
        src_pose=torch.zeros(batch_size, 18, height, width),
        tgt_pose=torch.zeros(batch_size, 18, height, width))
    wrappers = build_optim_wrapper(model, cfg.optim_wrapper.to_dict())
    return model, wrappers, dict(inputs=inputs, data_samples=None)


def count_cycle_flops(model, wrappers, data: dict,
                      cycle) -> Dict[str, float]:
    """FLOPs of one cycle on a preprocessed batch, per update name and in
    total (counted by FlopCounterMode)."""
    model.train()
    per_update: Dict[str, float] = {}
    for name, repeats in cycle:
        for _ in range(repeats):
            counter = FlopCounterMode(display=False)
            with counter:
                model.train_update(name, data, wrappers)
            per_update[name] = per_update.get(name, 0) + \
                counter.get_total_flops()
    return dict(per_update=per_update, total=sum(per_update.values()))


def measure_training(model, wrappers, raw, cycle, device: str, warmup: int,
                     repeats: int) -> dict:
    model.train()
    start = time.perf_counter()
    for _ in range(warmup):
        run_cycle(model, wrappers, raw, cycle, device)
    synchronize(device)
    warmup_s = time.perf_counter() - start
    if device == 'cuda':
        torch.cuda.reset_peak_memory_stats()
    timings: Dict[str, List[float]] = {}
    cycle_times = []
    for _ in range(repeats):
        synchronize(device)
        start = time.perf_counter()
        run_cycle(model, wrappers, raw, cycle, device, timings)
        synchronize(device)
        cycle_times.append(time.perf_counter() - start)
    result = dict(
        warmup_s=warmup_s,
        update_s={name: median(times)
                  for name, times in timings.items()},
        instrumented_cycle_s=median(cycle_times))
    if device == 'cuda':
        # Without a synchronisation per update, as a Runner runs it; the
        # logged values are read back once per cycle as MMEngine does.
        for log_sync in (True, False):
            synchronize(device)
            start = time.perf_counter()
            for _ in range(repeats):
                run_cycle(model, wrappers, raw, cycle, device,
                          log_sync=log_sync)
            synchronize(device)
            key = 'cycle_s' if log_sync else 'cycle_s_without_log_sync'
            result[key] = (time.perf_counter() - start) / repeats
        result['peak_memory_mib'] = torch.cuda.max_memory_allocated() / 2**20
    else:
        result['cycle_s'] = result['instrumented_cycle_s']
        result['peak_rss_mib'] = peak_rss_mib()
    return result


# -------------------------------------------------------------- inference
def inference_inputs(model, batch_size: int, height: int,
                     width: int) -> Dict[str, torch.Tensor]:
    """A fixed preprocessed batch for generation (no target image)."""
    raw = synthetic_raw_batch(batch_size, height, width, seed=1)
    del raw['inputs']['tgt_img']
    return model.data_preprocessor(raw, False)['inputs']


def autocast_for(device: str, dtype: Optional[torch.dtype]):
    """The option's autocast (none for float32)."""
    return torch.autocast(device, dtype=dtype) if dtype is not None \
        else nullcontext()


def measure_inference(model, batch_sizes: Sequence[int], height: int,
                      width: int, device: str, dtype, warmup: int,
                      repeats: int) -> Dict[int, dict]:
    model.eval()
    autocast = autocast_for(device, dtype)
    results = {}
    for batch_size in batch_sizes:
        inputs = inference_inputs(model, batch_size, height, width)
        if device == 'cuda':
            torch.cuda.reset_peak_memory_stats()
        times = []
        with torch.no_grad(), autocast:
            for index in range(warmup + repeats):
                synchronize(device)
                start = time.perf_counter()
                model(inputs, mode='tensor')
                synchronize(device)
                if index >= warmup:
                    times.append(time.perf_counter() - start)
        latency = median(times)
        results[batch_size] = dict(
            latency_s=latency,
            images_per_s=batch_size / latency)
        if device == 'cuda':
            results[batch_size]['peak_memory_mib'] = \
                torch.cuda.max_memory_allocated() / 2**20
    return results


def generated_images(model, batch_size: int, height: int, width: int,
                     device: str, dtype) -> torch.Tensor:
    """Final images of a fixed batch (eval mode, the option's autocast),
    for the agreement with fp32: every option's model is built from the
    same seed, so before training all have the same weights."""
    model.eval()
    inputs = inference_inputs(model, batch_size, height, width)
    with torch.no_grad(), autocast_for(device, dtype):
        return model(inputs, mode='tensor')['final'].float().cpu()


def count_inference_flops(model, data: dict) -> float:
    """FLOPs of one generator forward per image (counted)."""
    model.eval()
    inputs = data['inputs']
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(inputs, mode='tensor')
    return float(counter.get_total_flops()) / inputs['src_img'].shape[0]


# ---------------------------------------------------------- data pipeline
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


# --------------------------------------------------------------- schedule
def schedule(cycles: int, cycle_s: float, gpu_hour_price: float,
             devices: int = 1, efficiency: float = 1.0) -> dict:
    hours = cycles * cycle_s / 3600 / (devices * efficiency)
    return dict(
        cycles=cycles,
        devices=devices,
        hours=hours,
        device_hours=hours * devices,
        cost=hours * devices * gpu_hour_price)


def flop_estimates(cycle_flops: float, inference_flops: float, cycles: int,
                   mfus: Sequence[float]) -> List[dict]:
    """Schedule time and inference rate on unmeasured GPUs, from counted
    FLOPs and an *assumed* MFU: an estimate, not a measurement."""
    rows = []
    for device, peak in ESTIMATE_DEVICES:
        for mfu in mfus:
            rate = peak * 1e12 * mfu
            rows.append(
                dict(
                    device=device,
                    dtype='bf16',
                    peak_tflops=peak,
                    assumed_mfu=mfu,
                    schedule_hours=cycles * cycle_flops / rate / 3600,
                    inference_images_per_s=rate / inference_flops))
    return rows


# ---------------------------------------------------------------- report
def print_report(report: dict) -> None:
    env = report['environment']
    print(f"\nRATE-Net benchmark: {report['config']}")
    print(f"device: {env['device_name']}, torch {env['torch']}, "
          f"{env['threads']} threads, load {env['load_before']}, "
          f"OMP_WAIT_POLICY {env['omp_wait_policy']}")
    train = report['train_setup']
    print(f"training: batch {train['batch_size']}, {train['height']}x"
          f"{train['width']}, cycle {train['cycle']}; "
          f"{train['flops_per_cycle'] / 1e12:.3f} TFLOPs per cycle "
          f"(counted); inference "
          f"{report['inference_flops_per_image'] / 1e9:.1f} GFLOPs per image")
    header = (f"{'option':38s} {'cycle/s':>8s} {'img/s':>7s} {'x fp32':>7s} "
              f"{'MFU':>6s} {'pose':>7s} {'joint':>7s} {'disc':>7s} "
              f"{'mem MiB':>8s}")
    print('\nTraining (median over cycles; update times in s)')
    print(header)
    for option, result in report['options'].items():
        if 'error' in result:
            print(f"{option:38s} {result['error']}")
            continue
        t = result['train']
        if t is None:
            print(f"{option:38s} (training not measured)")
            continue
        upd = t['update_s']
        mem = t.get('peak_memory_mib', t.get('peak_rss_mib'))
        mfu = t.get('mfu')
        print(f"{option:38s} {t['cycles_per_s']:8.3f} "
              f"{t['images_per_s']:7.2f} {t['ratio_to_fp32']:7.2f} "
              f"{(mfu or 0) * 100:5.1f}% "
              f"{upd.get('pose_transfer', 0):7.3f} {upd.get('joint', 0):7.3f} "
              f"{upd.get('discriminator', 0):7.3f} {mem:8.0f}")
    print('\nInference (no grad; latency of one batch in s; |d fp32|: '
          'largest difference of the images to fp32\'s, same weights, '
          'in [-2, 2])')
    sizes = report['inference_batch_sizes']
    print(f"{'option':38s} " + ' '.join(f"{'bs' + str(b) + ' s':>9s} "
                                        f"{'img/s':>8s}" for b in sizes) +
          f" {'x fp32':>7s} {'MFU':>6s} {'|d fp32|':>9s}")
    for option, result in report['options'].items():
        if 'error' in result:
            continue
        inf = result['inference']
        cells = ' '.join(f"{inf[str(b)]['latency_s']:9.4f} "
                         f"{inf[str(b)]['images_per_s']:8.2f}" for b in sizes)
        mfu = result['inference_mfu'] or 0
        print(f"{option:38s} {cells} {result['inference_ratio_to_fp32']:7.2f}"
              f" {mfu * 100:5.1f}% {result['max_abs_diff_to_fp32']:9.2e}")
    data = report.get('data_pipeline')
    if data:
        print(f"\nData pipeline: {data['samples_per_s_per_worker']:.1f} "
              f"samples/s per worker ({data['sample_s'] * 1e3:.1f} ms/sample: "
              + ', '.join(f'{k} {v * 1e3:.1f} ms'
                          for k, v in data['transform_s'].items()) + ')')
        main = data['main_process_s_per_batch']
        print(f"  training process per batch (collate + preprocess, CPU "
              f"side): pseudo_collate {main['pseudo_collate'] * 1e3:.1f} ms, "
              f"default_collate {main['default_collate'] * 1e3:.1f} ms "
              f"(+{main['default_collate_in_worker'] * 1e3:.1f} ms in the "
              f"worker); {data['bytes_per_sample'] / 2**20:.2f} MiB/sample")
        if 'dataloader' in data:
            loader = data['dataloader']
            print(f"  DataLoader with {loader['num_workers']} workers "
                  f"({loader['collate_fn']}): "
                  f"{loader['samples_per_s']:.1f} samples/s")
        print(f"  fastest training option consumes "
              f"{data['required_samples_per_s']:.1f} samples/s: "
              f"{data['workers_needed']:.2f} workers' worth "
              f"(config: {data['config_num_workers']})")
    print('\nSchedule (measured rate of the fastest option)')
    for row in report['schedule']:
        print(f"  {row['cycles']} cycles on {row['devices']} x "
              f"{env['device_name']}: {row['hours']:.2f} h, "
              f"{row['device_hours']:.2f} device-hours")
    print('Estimates for other GPUs (counted FLOPs / (peak x ASSUMED MFU); '
          'not measurements)')
    for row in report['flop_estimates']:
        print(f"  {row['device']} {row['dtype']} at {row['assumed_mfu']:.0%} "
              f"MFU: {row['schedule_hours']:.2f} h per schedule, "
              f"{row['inference_images_per_s']:.0f} images/s inference")


# ------------------------------------------------------------------- main
def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Benchmark a RATE-Net config (training, inference, data)')
    parser.add_argument('config')
    parser.add_argument(
        '--options',
        nargs='+',
        default=None,
        help='options to measure, fast paths joined by "+" (fp32, bf16, '
        'fp16, channels_last, compile, cudnn_benchmark); fp32 is always '
        'measured first. Default: all that apply to the device')
    parser.add_argument(
        '--train-options',
        nargs='+',
        default=None,
        help='measure training only for these of --options (default: all; '
        'fp32 always); the others get inference figures only')
    parser.add_argument('--device', choices=['cuda', 'cpu'], default=None)
    parser.add_argument(
        '--batch-size',
        type=int,
        default=None,
        help='training batch (default: the config\'s)')
    parser.add_argument('--train-warmup', type=int, default=None)
    parser.add_argument('--train-repeats', type=int, default=None)
    parser.add_argument(
        '--infer-batch-sizes', type=int, nargs='+', default=None)
    parser.add_argument('--infer-warmup', type=int, default=None)
    parser.add_argument('--infer-repeats', type=int, default=None)
    parser.add_argument(
        '--compile-mode',
        default=None,
        help='torch.compile mode for the compile option (default: '
        'PyTorch\'s)')
    parser.add_argument(
        '--data-samples',
        type=int,
        default=64,
        help='samples timed through the pipeline (0: skip the data part)')
    parser.add_argument(
        '--loader-batches',
        type=int,
        default=20,
        help='batches drawn through a DataLoader with the config\'s '
        'workers (0: skip)')
    parser.add_argument(
        '--peak-tflops',
        type=float,
        default=None,
        help='override the device peak used for MFU')
    parser.add_argument(
        '--gpu-hour-price',
        type=float,
        default=3.0,
        help='price of one GPU-hour for the cost figures (default 3.0, an '
        'assumed on-demand H100 price)')
    parser.add_argument(
        '--assumed-mfu',
        type=float,
        nargs='+',
        default=[0.3, 0.4],
        help='MFUs assumed for the FLOP-based estimates on unmeasured GPUs')
    parser.add_argument(
        '--scaling-efficiency',
        type=float,
        default=0.9,
        help='assumed data-parallel efficiency for the 8-GPU estimate')
    parser.add_argument('--out', default=None, help='JSON output file')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, default=None)
    return parser.parse_args(argv)


def resolve_defaults(args, device: str) -> None:
    gpu = device == 'cuda'
    defaults = dict(
        train_warmup=3 if gpu else 1,
        train_repeats=10 if gpu else 2,
        infer_batch_sizes=[1, 8, 32, 64] if gpu else [1, 2],
        infer_warmup=3 if gpu else 1,
        infer_repeats=20 if gpu else 3)
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.options is None:
        args.options = list(DEFAULT_OPTIONS[device])
    args.options = ['fp32'] + [o for o in args.options if o != 'fp32']
    if args.train_options is not None:
        args.train_options = ['fp32'] + list(args.train_options)


def run_option(cfg, option, args, device, raw, cycle, size, peaks,
               train: bool) -> dict:
    parts = parse_option(option)
    if device != 'cuda' and any(p in GPU_ONLY for p in parts):
        return dict(error=f'skipped: {"/".join(GPU_ONLY)} need a GPU')
    dtype = amp_dtype(parts)
    torch._dynamo.reset()
    bench_ctx = cudnn_benchmark('cudnn_benchmark' in parts) \
        if device == 'cuda' else nullcontext()
    with bench_ctx:
        model, wrappers = build_for(cfg, parts, device, args.compile_mode)
        images = generated_images(model, min(args.infer_batch_sizes),
                                  size[0], size[1], device, dtype)
        train = measure_training(model, wrappers, raw, cycle, device,
                                 args.train_warmup,
                                 args.train_repeats) if train else None
        inference = measure_inference(model, args.infer_batch_sizes,
                                      size[0], size[1], device, dtype,
                                      args.infer_warmup, args.infer_repeats)
    del model, wrappers
    gc.collect()
    if device == 'cuda':
        torch.cuda.empty_cache()
    peak, peak_source = peaks(dtype)
    return dict(
        images=images,
        fast_paths=list(parts),
        train=train,
        inference={str(k): v
                   for k, v in inference.items()},
        peak_tflops=peak,
        peak_source=peak_source)


def main(argv=None) -> dict:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    import_plugin(cfg)
    init_default_scope(cfg.get('default_scope', 'mmagic'))
    from ratenet_plugin.engine.rate_loop import PAPER_CYCLE
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    resolve_defaults(args, device)
    batch_size = args.batch_size or cfg.train_dataloader.batch_size
    height, width = image_size(cfg)
    cycle = tuple(
        (name, int(repeats))
        for name, repeats in cfg.train_cfg.get('cycle', PAPER_CYCLE))
    if device == 'cuda':
        torch.backends.cudnn.benchmark = False  # the fp32 baseline's
    # Train graphs + one per inference batch size per compiled network.
    torch._dynamo.config.cache_size_limit = max(
        torch._dynamo.config.cache_size_limit, 32)
    device_name = torch.cuda.get_device_name() if device == 'cuda' else \
        f'CPU ({platform.processor() or platform.machine()}, ' \
        f'{torch.get_num_threads()} threads)'
    report = dict(
        config=args.config,
        environment=dict(
            device=device,
            device_name=device_name,
            torch=torch.__version__,
            threads=torch.get_num_threads(),
            cpu_count=os.cpu_count(),
            omp_wait_policy=os.environ.get('OMP_WAIT_POLICY',
                                           'unset (libgomp default)'),
            load_before=' '.join(f'{x:.2f}' for x in os.getloadavg()),
            time_utc=time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())),
        inference_batch_sizes=args.infer_batch_sizes,
        options={})
    raw = synthetic_raw_batch(batch_size, height, width)
    if device == 'cuda':
        raw = pinned(raw)
    peaks = Peaks(device, args.peak_tflops)

    # FLOPs: counted on the eager fp32 model (the same for every option),
    # with fake tensors.
    with shapes_only():
        model, wrappers, data = fake_model_and_batch(cfg, batch_size, height,
                                                     width)
        flops = count_cycle_flops(model, wrappers, data, cycle)
        inference_flops = count_inference_flops(model, data)
    del model, wrappers, data
    report['train_setup'] = dict(
        batch_size=batch_size,
        height=height,
        width=width,
        cycle=[list(c) for c in cycle],
        flops_per_cycle=flops['total'],
        flops_per_update=flops['per_update'])
    report['inference_flops_per_image'] = inference_flops

    peaks(None)  # measured before the options (CPU), once
    for option in args.options:
        train = args.train_options is None or option in args.train_options
        try:
            result = run_option(cfg, option, args, device, raw, cycle,
                                (height, width), peaks, train)
        except Exception as error:  # report, go on with the other options
            result = dict(error=f'{type(error).__name__}: {error}'[:500])
        report['options'][option] = result
        print(f'[{time.strftime("%H:%M:%S")}] {option}: '
              + ('error: ' + result['error'] if 'error' in result else
                 'done'), flush=True)

    base = report['options']['fp32']
    base_images = base.get('images')
    for result in report['options'].values():
        # Largest |difference| of the images generated before training to
        # fp32's (same seed, same weights); images in [-2, 2].
        images = result.pop('images', None)
        if images is not None and base_images is not None:
            result['max_abs_diff_to_fp32'] = float(
                (images - base_images).abs().max())
    for option, result in report['options'].items():
        if 'error' in result:
            continue
        train = result['train']
        peak = result['peak_tflops']
        if train is not None:
            train['cycles_per_s'] = 1 / train['cycle_s']
            train['images_per_s'] = batch_size / train['cycle_s']
            train['ratio_to_fp32'] = (base['train']['cycle_s'] /
                                      train['cycle_s'])
            train['mfu'] = (flops['total'] / train['cycle_s'] /
                            (peak * 1e12) if peak else None)
        largest = str(max(args.infer_batch_sizes))
        inf = result['inference'][largest]
        result['inference_ratio_to_fp32'] = (
            inf['images_per_s'] /
            base['inference'][largest]['images_per_s'])
        result['inference_mfu'] = (
            inference_flops * inf['images_per_s'] / (peak * 1e12)
            if peak else None)

    measured = {
        k: v
        for k, v in report['options'].items()
        if 'error' not in v and v['train'] is not None
    }
    fastest = min(measured, key=lambda k: measured[k]['train']['cycle_s'])
    # At the config's batch size (the rate in images/s is taken to carry
    # over from the measured batch size: true on CPU, optimistic on a GPU
    # for a smaller measured batch).
    config_batch = cfg.train_dataloader.batch_size
    cycle_s = config_batch / measured[fastest]['train']['images_per_s']
    cycles = int(cfg.train_cfg.max_iters)
    report['fastest_option'] = fastest
    report['schedule'] = [
        schedule(cycles, cycle_s, args.gpu_hour_price),
        schedule(cycles, cycle_s, args.gpu_hour_price, devices=8,
                 efficiency=args.scaling_efficiency),
    ]
    report['schedule_note'] = (
        f'{cycles} cycles of batch {config_batch} at the images/s measured '
        f'for {fastest!r} at batch {batch_size}; the 8-device row divides '
        f'the same work (8x fewer '
        f'cycles at 8x the global batch, or the same samples) over 8 '
        f'devices at an assumed {args.scaling_efficiency:.0%} scaling '
        f'efficiency; cost at {args.gpu_hour_price}/device-hour (assumed).')
    report['flop_estimates'] = flop_estimates(
        flops['total'] / batch_size * config_batch, inference_flops, cycles,
        args.assumed_mfu)

    if args.data_samples > 0:
        synthetic_root = osp.join(tempfile.gettempdir(), 'ratenet_benchmark')
        data = measure_data_pipeline(cfg, args.data_samples,
                                     args.loader_batches, synthetic_root)
        required = measured[fastest]['train']['images_per_s']
        data['required_samples_per_s'] = required
        data['workers_needed'] = required / data['samples_per_s_per_worker']
        report['data_pipeline'] = data

    report['environment']['load_after'] = ' '.join(
        f'{x:.2f}' for x in os.getloadavg())
    print_report(report)
    out = args.out or osp.join(
        'work_dirs', 'benchmark',
        f'{osp.splitext(osp.basename(args.config))[0]}_{device}.json')
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    with open(out, 'w') as file:
        json.dump(report, file, indent=2)
    print(f'\nJSON: {out}')
    return report


if __name__ == '__main__':
    main()
