"""Analysis tools: measurements and reference implementations used by
benchmarks and tests, not by training or inference; the synthetic ablation
(ablation.py)."""
