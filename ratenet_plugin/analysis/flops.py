"""Counted FLOPs of RATE-Net built from a config (``FlopCounterMode``:
one multiply-add = 2 FLOPs; convolutions, transposed convolutions and
matrix products; element-wise ops, norms and activations are not counted).
Counting runs on fake tensors (shapes only), so it costs no compute."""
from contextlib import contextmanager
from typing import Dict

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from torch.utils.flop_counter import FlopCounterMode

from .options import benchmark_model_cfg


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
        counter = FlopCounterMode(display=False)
        with counter:
            model.train_update(name, data, wrappers, repeats)
        per_update[name] = per_update.get(name, 0) + counter.get_total_flops()
    return dict(per_update=per_update, total=sum(per_update.values()))


def count_inference_flops(model, data: dict) -> float:
    """FLOPs of one generator forward per image (counted)."""
    model.eval()
    inputs = data['inputs']
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(inputs, mode='tensor')
    return float(counter.get_total_flops()) / inputs['src_img'].shape[0]


def count_params(module: nn.Module) -> int:
    """Number of parameters (trainable or not)."""
    return sum(p.numel() for p in module.parameters())


def generator_flops(generator: nn.Module, height: int,
                    width: int) -> Dict[str, float]:
    """FLOPs of one generator forward of batch 1 at ``height x width``:
    ``total``, ``pose_transfer`` (G_P) and ``texture_enhancer`` (G_t)."""
    src_img = torch.zeros(1, 3, height, width)
    poses = torch.zeros(1, 18, height, width)
    generator.eval()
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        generator(src_img, poses, poses)
    per_module = counter.get_flop_counts()
    prefix = type(generator).__name__
    return dict(
        total=counter.get_total_flops(),
        pose_transfer=sum(per_module.get(f'{prefix}.pose_transfer',
                                         {}).values()),
        texture_enhancer=sum(per_module.get(f'{prefix}.texture_enhancer',
                                            {}).values()))
