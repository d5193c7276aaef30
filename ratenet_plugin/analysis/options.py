"""Fast-path options of the benchmark and the model each one builds.

An *option* is a ``+``-joined set of fast paths (``'bf16+compile'``);
``'fp32'`` is the eager float32 baseline. ``bf16``/``fp16``: autocast through
``AnyDeviceAmpOptimWrapper`` (as ``tools/train.py --amp``; fp16 needs a GPU);
``channels_last``/``compile``: ``RATENet(channels_last=...,
torch_compile=...)`` (as ``--channels-last``/``--compile``);
``winograd``: ``RATENet(winograd=True)``, the generator's large 3x3
convolutions by Winograd's F(2x2, 3x3) in float32 CPU inference (training
is that of the option without it, so it is timed for inference only);
``cudnn_benchmark`` (GPU only).
"""
import argparse
import logging
from contextlib import contextmanager
from typing import Optional, Sequence, Tuple

import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

from ratenet_plugin.utils.config import enable_amp

FAST_PATHS = ('bf16', 'fp16', 'channels_last', 'compile', 'winograd',
              'cudnn_benchmark')
#: Fast paths that change inference only: not timed in training.
INFERENCE_ONLY = ('winograd', )
GPU_ONLY = ('fp16', 'cudnn_benchmark')
DEFAULT_OPTIONS = {
    'cuda': ('fp32', 'bf16', 'fp16', 'channels_last', 'compile',
             'cudnn_benchmark', 'bf16+channels_last+cudnn_benchmark',
             'bf16+compile', 'bf16+channels_last+compile+cudnn_benchmark'),
    'cpu': ('fp32', 'bf16', 'channels_last', 'channels_last+winograd',
            'compile'),
}


def parse_option(option: str) -> Tuple[str, ...]:
    """'bf16+compile' -> ('bf16', 'compile'); 'fp32' -> ()."""
    parts = tuple(p for p in option.split('+') if p and p != 'fp32')
    unknown = [p for p in parts if p not in FAST_PATHS]
    if unknown:
        raise ValueError(f'unknown fast path(s) {unknown} in {option!r}; '
                         f'known: fp32, {", ".join(FAST_PATHS)}')
    if 'bf16' in parts and 'fp16' in parts:
        raise ValueError(f'{option!r}: choose bf16 or fp16')
    if 'winograd' in parts and 'compile' in parts:
        raise ValueError(f'{option!r}: winograd and compile do not combine')
    return parts


def option_argument(text: str) -> str:
    """An argparse ``type`` for an option: ``text`` if :func:`parse_option`
    accepts it, else argparse's usage error with the reason, so that a typo
    stops the benchmark at once, not after minutes of float32 timing."""
    try:
        parse_option(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def training_option_argument(text: str) -> str:
    """:func:`option_argument` for tools that time training cycles: an
    inference-only fast path (``winograd``) is refused too."""
    parts = parse_option(option_argument(text))
    inference_only = [p for p in parts if p in INFERENCE_ONLY]
    if inference_only:
        raise argparse.ArgumentTypeError(
            f'{text!r}: {", ".join(inference_only)} is an inference-only '
            'fast path; this tool times training cycles')
    return text


def amp_dtype(parts: Sequence[str]) -> Optional[torch.dtype]:
    if 'bf16' in parts:
        return torch.bfloat16
    if 'fp16' in parts:
        return torch.float16
    return None


def image_size(cfg: Config) -> Tuple[int, int]:
    if 'image_size' in cfg:
        return tuple(cfg.image_size)
    return tuple(cfg.train_dataloader.dataset.keypoint_frame)


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
    model_cfg['winograd'] = 'winograd' in parts
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


@contextmanager
def cudnn_benchmark(enabled: bool):
    previous = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = enabled
    try:
        yield
    finally:
        torch.backends.cudnn.benchmark = previous
