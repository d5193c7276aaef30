"""Peak FLOP/s for model FLOP utilisation (MFU = counted FLOPs x rate / peak).

GPU peaks are the vendor's dense figures for the dtype (float32 options count
against the TF32 peak when cuDNN may use TF32, PyTorch's default); the CPU
"peak" is measured here from a large matrix product and model-shaped
convolutions in the same dtype (a practical peak, not the hardware's), and is
labelled so.
"""
import time
from typing import Dict, Optional, Tuple

import torch

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
