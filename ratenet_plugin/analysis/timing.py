"""Timing RATE-Net: training cycles and inference batches on a synthetic
batch (preprocessing included, as in ``RATELoop``)."""
import resource
import statistics
import time
from contextlib import contextmanager, nullcontext
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

from ratenet_plugin.engine.rate_loop import run_cycle


def synchronize(device: str) -> None:
    """Wait for the GPU's queued work (nothing to wait for on the CPU)."""
    if device == 'cuda':
        torch.cuda.synchronize()


def median(values: Sequence[float]) -> float:
    """The median as a float."""
    return float(statistics.median(values))


def peak_rss_mib() -> float:
    """The process's peak resident memory so far (Linux: KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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
    """The batch in page-locked memory (as ``pin_memory=True``)."""
    return dict(
        inputs={
            k: [t.pin_memory() for t in v]
            for k, v in raw['inputs'].items()
        },
        data_samples=None)


# --------------------------------------------------------------- training
def timed_cycle(model, wrappers, raw: dict, cycle, device: str,
                timings: Optional[Dict[str, List[float]]] = None,
                log_sync: bool = True) -> Dict[str, float]:
    """One ``RATELoop`` iteration (:func:`run_cycle`, the loop's own
    function) and the logged values read back as MMEngine's
    ``RuntimeInfoHook`` does (``log_sync``).

    With ``timings``, each entry of the cycle is timed between device
    synchronisations and the time of one update (the entry's time / its
    repeats) appended under the update's name.
    """

    @contextmanager
    def timer(name: str, repeats: int):
        synchronize(device)
        start = time.perf_counter()
        yield
        synchronize(device)
        timings.setdefault(name, []).append(
            (time.perf_counter() - start) / repeats)

    outputs = run_cycle(model, raw, wrappers, cycle,
                        around_update=timer if timings is not None else None)
    if log_sync:
        return {key: float(value.item()) for key, value in outputs.items()}
    return {}


def measure_training(model, wrappers, raw, cycle, device: str, warmup: int,
                     repeats: int) -> dict:
    """Time ``repeats`` cycles after ``warmup`` ones: ``cycle_s`` (GPU:
    without a synchronisation per update, as a Runner runs it), the time of
    one update of each name (``update_s``), peak memory."""
    model.train()
    start = time.perf_counter()
    for _ in range(warmup):
        timed_cycle(model, wrappers, raw, cycle, device)
    synchronize(device)
    warmup_s = time.perf_counter() - start
    if device == 'cuda':
        torch.cuda.reset_peak_memory_stats()
    timings: Dict[str, List[float]] = {}
    cycle_times = []
    for _ in range(repeats):
        synchronize(device)
        start = time.perf_counter()
        timed_cycle(model, wrappers, raw, cycle, device, timings)
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
                timed_cycle(model, wrappers, raw, cycle, device,
                            log_sync=log_sync)
            synchronize(device)
            key = 'cycle_s' if log_sync else 'cycle_s_without_log_sync'
            result[key] = (time.perf_counter() - start) / repeats
        result['peak_memory_mib'] = torch.cuda.max_memory_allocated() / 2**20
    else:
        result['cycle_s'] = result['instrumented_cycle_s']
        result['peak_rss_mib'] = peak_rss_mib()
    return result


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
    """Median latency of one generator forward (no grad) and images/s per
    batch size."""
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
