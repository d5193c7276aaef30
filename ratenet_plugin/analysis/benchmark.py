"""The benchmark of a RATE-Net config: every option in one run, as ratios to
eager float32 (the library behind ``tools/benchmark.py``).

For each *option* (see :mod:`.options`) it builds the config's model afresh
and measures

- training: cycles of the config's ``train_cfg.cycle`` on a synthetic
  batch of the config's batch size and image size, preprocessing included,
  through the same :func:`~ratenet_plugin.engine.rate_loop.run_cycle` as
  ``RATELoop``: cycles/s, images/s, the time of each update, peak memory
  (GPU: ``torch.cuda.max_memory_allocated``; CPU: the process's peak RSS so
  far, which only grows), model FLOP utilisation;
- inference: generator forwards (``model(inputs, mode='tensor')``, no grad)
  at several batch sizes: latency of one batch, images/s, MFU;

and reports every figure also as a ratio to the ``fp32`` option. FLOPs are
counted (:mod:`.flops`) over one whole cycle and one inference batch;
MFU = counted FLOPs x rate / peak (:mod:`.peaks`). The data pipeline is timed
by :mod:`.data_pipeline`. Weights do not change speed: the VGG19 of the
perceptual loss is random here (``pretrained=None``).
"""
import gc
import os
import os.path as osp
import platform
import tempfile
import time
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from typing import Dict, List, Optional, Protocol, Sequence

import torch
from mmengine.config import Config

from ratenet_plugin.utils.fast_paths import detect_machine
from .data_pipeline import measure_data_pipeline
from .flops import (count_cycle_flops, count_inference_flops,
                    fake_model_and_batch, shapes_only)
from .options import (DEFAULT_OPTIONS, GPU_ONLY, INFERENCE_ONLY, amp_dtype,
                      build_for, cudnn_benchmark, image_size,
                      parse_option)
from .peaks import ESTIMATE_DEVICES, Peaks
from .timing import (generated_images, measure_inference, measure_training,
                     pinned, synthetic_raw_batch)


# --------------------------------------------------------------- schedule
def schedule(cycles: int, cycle_s: float, gpu_hour_price: float,
             devices: int = 1, efficiency: float = 1.0) -> dict:
    """Hours and cost of ``cycles`` cycles of ``cycle_s`` seconds on
    ``devices`` devices at a data-parallel ``efficiency``."""
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
    """The report as tables on stdout."""
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
    statistic = 'mean over cycles (one synchronisation)' \
        if env['device'] == 'cuda' else 'median over cycles'
    print(f'\nTraining ({statistic}; update times in s, medians)')
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
    for name, ref in report.get('references', {}).items():
        print(f"\nRATE-Net fp32 vs {name} (same run, same batch): cycle time "
              f"x{ref['cycle_time_ratio']:.2f}, inference time "
              f"x{ref['inference_time_ratio']:.2f}")
        print(f'{name}: ' + ', '.join(
            f"{dtype} {t['cycle_s']:.3f} s/iteration, "
            f"{t['inference_s']:.4f} s/forward"
            for dtype, t in ref['by_dtype'].items()))
        print(f"{'option':<24} {'cycle / ' + name:>22} "
              f"{'inference / ' + name:>26}   (same precision; vs {name} "
              'float32)')
        for option, ratios in ref['by_option'].items():
            same, fp32 = ratios['same_precision'], ratios['versus_fp32']

            def show(key):
                return '-' if same[key] is None else \
                    f'x{same[key]:.2f} (x{fp32[key]:.2f})'

            print(f"{option:<24} {show('cycle_time_ratio'):>22} "
                  f"{show('inference_time_ratio'):>26}")
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


@dataclass
class BenchmarkSettings:
    """What to measure and how often (``tools/benchmark.py``'s flags).

    ``None`` means the device's default (:meth:`resolved`).

    Args:
        options (list[str], optional): Options to measure (see
            :mod:`.options`); fp32 is always measured first. Default: all
            that apply to the device.
        train_options (list[str], optional): Measure training only for
            these of ``options`` (fp32 always); None: all.
        device (str, optional): ``'cuda'`` or ``'cpu'``; None: CUDA if
            available.
        batch_size (int, optional): Training batch; None: the config's.
        train_warmup, train_repeats (int, optional): Cycles before and
            during timing.
        infer_batch_sizes (list[int], optional): Inference batch sizes.
        infer_warmup, infer_repeats (int, optional): Forwards before and
            during timing, per batch size.
        compile_mode (str, optional): ``torch.compile`` mode of the compile
            option; None: PyTorch's.
        data_samples (int): Samples timed through the pipeline (0: skip the
            data part).
        loader_batches (int): Batches drawn through a DataLoader with the
            config's workers (0: skip).
        peak_tflops (float, optional): Device peak for MFU; None: data
            sheet (GPU) or measured (CPU).
        gpu_hour_price (float): Price of one device-hour (assumed).
        assumed_mfu (list[float]): MFUs assumed for the estimates on
            unmeasured GPUs.
        scaling_efficiency (float): Assumed data-parallel efficiency of the
            8-device estimate.
    """
    options: Optional[List[str]] = None
    train_options: Optional[List[str]] = None
    device: Optional[str] = None
    batch_size: Optional[int] = None
    train_warmup: Optional[int] = None
    train_repeats: Optional[int] = None
    infer_batch_sizes: Optional[List[int]] = None
    infer_warmup: Optional[int] = None
    infer_repeats: Optional[int] = None
    compile_mode: Optional[str] = None
    data_samples: int = 64
    loader_batches: int = 20
    peak_tflops: Optional[float] = None
    gpu_hour_price: float = 3.0
    assumed_mfu: List[float] = field(default_factory=lambda: [0.3, 0.4])
    scaling_efficiency: float = 0.9

    def resolved(self) -> 'BenchmarkSettings':
        """A copy with every ``None`` replaced by the device's default."""
        device = self.device or ('cuda'
                                 if torch.cuda.is_available() else 'cpu')
        gpu = device == 'cuda'
        defaults = dict(
            train_warmup=3 if gpu else 1,
            train_repeats=10 if gpu else 2,
            infer_batch_sizes=[1, 8, 32, 64] if gpu else [1, 2],
            infer_warmup=3 if gpu else 1,
            infer_repeats=20 if gpu else 3)
        values = {
            key: value if getattr(self, key) is None else getattr(self, key)
            for key, value in defaults.items()
        }
        options = self.options or list(DEFAULT_OPTIONS[device])
        values['options'] = ['fp32'] + [o for o in options if o != 'fp32']
        if self.train_options is not None:
            values['train_options'] = ['fp32'] + list(self.train_options)
        return replace(self, device=device, **values)


class ReferenceModel(Protocol):
    """Another model timed in the same run, to which RATE-Net's times are
    reported as ratios (e.g. PATN, the paper's baseline).

    ``measure`` gets the benchmark's batch size, image size, device,
    settings and an autocast dtype (None: float32) and returns ``cycle_s``
    (one training iteration of the reference on that batch) and
    ``inference_s`` (latency of one generator forward of the largest
    inference batch size).
    """
    name: str

    def measure(self,
                batch_size: int,
                height: int,
                width: int,
                settings: BenchmarkSettings,
                dtype: Optional[torch.dtype] = None) -> Dict[str, float]:
        ...


def dtype_name(dtype: Optional[torch.dtype]) -> str:
    """``'float32'`` for None (no autocast), else e.g. ``'bfloat16'``."""
    return 'float32' if dtype is None else str(dtype).replace('torch.', '')


def reference_ratios(report: dict, reference: ReferenceModel,
                     batch_size: int, height: int, width: int,
                     settings: BenchmarkSettings) -> dict:
    """The reference's times in float32 and in the autocast dtype of every
    measured option, and RATE-Net's times as ratios to them.

    ``cycle_time_ratio`` / ``inference_time_ratio``: RATE-Net fp32 over the
    reference in float32. ``by_option[option]``: that option's times over
    the reference in the option's precision (``same_precision``: like with
    like) and in float32 (``versus_fp32``: against the reference as its own
    code runs).
    """
    largest = str(max(settings.infer_batch_sizes))
    options = {
        option: result
        for option, result in report['options'].items()
        if 'error' not in result
    }
    dtypes = {option: amp_dtype(parse_option(option)) for option in options}
    times = {
        dtype_name(dtype): reference.measure(batch_size, height, width,
                                             settings, dtype)
        for dtype in dict.fromkeys([None, *dtypes.values()])
    }
    by_option = {}
    for option, result in options.items():
        same = times[dtype_name(dtypes[option])]
        latency = result['inference'][largest]['latency_s']
        cycle = result['train']['cycle_s'] if result['train'] else None
        by_option[option] = {
            name: dict(
                cycle_time_ratio=cycle / ref['cycle_s'] if cycle else None,
                inference_time_ratio=latency / ref['inference_s'])
            for name, ref in (('same_precision', same),
                              ('versus_fp32', times['float32']))
        }
    fp32 = by_option['fp32']['versus_fp32']
    return dict(
        times['float32'],
        by_dtype=times,
        cycle_time_ratio=fp32['cycle_time_ratio'],
        inference_time_ratio=fp32['inference_time_ratio'],
        by_option=by_option)


def run_option(cfg: Config, option: str, settings: BenchmarkSettings, raw,
               cycle, size, peaks: Peaks, train: bool) -> dict:
    """Build the option's model afresh and time it (see the module
    docstring); ``images``: its final images before training, for the
    agreement with fp32."""
    device = settings.device
    parts = parse_option(option)
    if device != 'cuda' and any(p in GPU_ONLY for p in parts):
        return dict(error=f'skipped: {"/".join(GPU_ONLY)} need a GPU')
    # Training is that of the option without its inference-only paths.
    train = train and not any(p in INFERENCE_ONLY for p in parts)
    dtype = amp_dtype(parts)
    torch._dynamo.reset()
    bench_ctx = cudnn_benchmark('cudnn_benchmark' in parts) \
        if device == 'cuda' else nullcontext()
    with bench_ctx:
        model, wrappers = build_for(cfg, parts, device, settings.compile_mode)
        images = generated_images(model, min(settings.infer_batch_sizes),
                                  size[0], size[1], device, dtype)
        train = measure_training(model, wrappers, raw, cycle, device,
                                 settings.train_warmup,
                                 settings.train_repeats) if train else None
        # The optimiser states go before inference: its peak memory is
        # that of generating alone.
        del wrappers
        gc.collect()
        if device == 'cuda':
            torch.cuda.empty_cache()
        inference = measure_inference(model, settings.infer_batch_sizes,
                                      size[0], size[1], device, dtype,
                                      settings.infer_warmup,
                                      settings.infer_repeats)
    del model
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


def run_benchmark(cfg: Config,
                  settings: BenchmarkSettings,
                  *,
                  config_name: str = '',
                  references: Sequence[ReferenceModel] = (),
                  synthetic_root: Optional[str] = None) -> dict:
    """Benchmark the config (plugin imported, default scope set).

    Args:
        cfg (Config): A RATE-Net config.
        settings (BenchmarkSettings): What to measure.
        config_name (str): Recorded as ``report['config']``.
        references (Sequence[ReferenceModel]): Other models timed in the same
            run; ``report['references'][name]`` holds their times and
            RATE-Net's fp32 cycle and inference times as ratios to them.
        synthetic_root (str, optional): Where a synthetic data set is made
            when the config's data are absent; None: the temporary folder.

    Returns:
        dict: The report (JSON-serialisable), see docs/benchmarks.md.
    """
    from ratenet_plugin.engine.rate_loop import PAPER_CYCLE
    settings = settings.resolved()
    device = settings.device
    batch_size = settings.batch_size or cfg.train_dataloader.batch_size
    height, width = image_size(cfg)
    cycle = tuple(
        (name, int(repeats))
        for name, repeats in cfg.train_cfg.get('cycle', PAPER_CYCLE))
    if device == 'cuda':
        torch.backends.cudnn.benchmark = False  # the fp32 baseline's
    # Train graphs + one per inference batch size per compiled network.
    torch._dynamo.config.cache_size_limit = max(
        torch._dynamo.config.cache_size_limit, 32)
    # The CPU's model name (/proc/cpuinfo), as every figure must name it.
    device_name = torch.cuda.get_device_name() if device == 'cuda' else \
        f'CPU ({detect_machine("cpu").cpu_model or platform.machine()}, ' \
        f'{torch.get_num_threads()} threads)'
    report = dict(
        config=config_name,
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
        inference_batch_sizes=settings.infer_batch_sizes,
        options={})
    raw = synthetic_raw_batch(batch_size, height, width)
    if device == 'cuda':
        raw = pinned(raw)
    peaks = Peaks(device, settings.peak_tflops)

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
    for option in settings.options:
        train = settings.train_options is None \
            or option in settings.train_options
        try:
            result = run_option(cfg, option, settings, raw, cycle,
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
    largest = str(max(settings.infer_batch_sizes))
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
        inf = result['inference'][largest]
        result['inference_ratio_to_fp32'] = (
            inf['images_per_s'] /
            base['inference'][largest]['images_per_s'])
        result['inference_mfu'] = (
            inference_flops * inf['images_per_s'] / (peak * 1e12)
            if peak else None)

    report['references'] = {
        reference.name: reference_ratios(report, reference, batch_size,
                                          height, width, settings)
        for reference in references
    }

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
        schedule(cycles, cycle_s, settings.gpu_hour_price),
        schedule(cycles, cycle_s, settings.gpu_hour_price, devices=8,
                 efficiency=settings.scaling_efficiency),
    ]
    report['schedule_note'] = (
        f'{cycles} cycles of batch {config_batch} at the images/s measured '
        f'for {fastest!r} at batch {batch_size}; the 8-device row divides '
        f'the same work (8x fewer '
        f'cycles at 8x the global batch, or the same samples) over 8 '
        f'devices at an assumed {settings.scaling_efficiency:.0%} scaling '
        f'efficiency; cost at {settings.gpu_hour_price}/device-hour '
        '(assumed).')
    report['flop_estimates'] = flop_estimates(
        flops['total'] / batch_size * config_batch, inference_flops, cycles,
        settings.assumed_mfu)

    if settings.data_samples > 0:
        root = synthetic_root or osp.join(tempfile.gettempdir(),
                                          'ratenet_benchmark')
        data = measure_data_pipeline(cfg, settings.data_samples,
                                     settings.loader_batches, root)
        required = measured[fastest]['train']['images_per_s']
        data['required_samples_per_s'] = required
        data['workers_needed'] = required / data['samples_per_s_per_worker']
        report['data_pipeline'] = data

    report['environment']['load_after'] = ' '.join(
        f'{x:.2f}' for x in os.getloadavg())
    return report
