"""Measuring RATE-Net, not used by training or inference: speed, counted
FLOPs and the data pipeline of a config (the library behind
``tools/benchmark.py`` and ``tools/analysis/count_flops.py``; see
docs/benchmarks.md), reference implementations for comparison
(``patn_reference``) and the synthetic ablation (``ablation``), the last two
imported by name."""
from .benchmark import (BenchmarkSettings, ReferenceModel, print_report,
                        run_benchmark)
from .flops import (count_cycle_flops, count_inference_flops, count_params,
                    generator_flops)
from .options import parse_option

__all__ = [
    'BenchmarkSettings', 'ReferenceModel', 'count_cycle_flops',
    'count_inference_flops', 'count_params', 'generator_flops',
    'parse_option', 'print_report', 'run_benchmark'
]
