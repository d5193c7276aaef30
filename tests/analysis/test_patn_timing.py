"""PATN timed as the benchmark's reference model."""
import torch

from ratenet_plugin.analysis import BenchmarkSettings
from ratenet_plugin.analysis.patn_timing import PATNReference, patn_fits


def test_patn_reference_times_a_training_iteration_and_a_forward():
    settings = BenchmarkSettings(
        device='cpu', train_warmup=0, train_repeats=1,
        infer_batch_sizes=[1], infer_warmup=0, infer_repeats=1).resolved()
    times = PATNReference().measure(1, 32, 24, settings)
    assert set(times) == {'cycle_s', 'inference_s'}
    assert times['cycle_s'] > times['inference_s'] > 0


def test_patn_reference_runs_under_bf16_autocast():
    settings = BenchmarkSettings(
        device='cpu', train_warmup=0, train_repeats=1,
        infer_batch_sizes=[1], infer_warmup=0, infer_repeats=1).resolved()
    times = PATNReference().measure(1, 32, 24, settings, torch.bfloat16)
    assert times['cycle_s'] > times['inference_s'] > 0


def test_patn_needs_sides_divisible_by_4():
    assert patn_fits(256, 176) and not patn_fits(32, 22)
