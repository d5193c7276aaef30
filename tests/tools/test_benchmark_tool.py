"""tools/benchmark.py: the command line reaches the library and writes the
report (the figures themselves: tests/analysis/test_benchmark.py)."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_flags_reach_the_benchmark_and_json_is_written(tiny_config_file,
                                                       tmp_path):
    out = tmp_path / 'report.json'
    proc = subprocess.run([
        sys.executable,
        str(ROOT / 'tools' / 'benchmark.py'),
        tiny_config_file(), '--device', 'cpu', '--options', 'fp32',
        '--batch-size', '1', '--train-warmup', '0', '--train-repeats', '1',
        '--infer-batch-sizes', '1', '--infer-warmup', '0', '--infer-repeats',
        '1', '--data-samples', '0', '--peak-tflops', '1', '--out',
        str(out)
    ],
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(out.read_text())
    assert list(report['options']) == ['fp32']
    assert report['train_setup']['batch_size'] == 1
    assert report['options']['fp32']['peak_source'] == \
        'given by --peak-tflops'
    assert 'data_pipeline' not in report
    # 32x22 does not fit PATN (sides divisible by 4): no PATN ratios.
    assert report['references'] == {}
    assert 'JSON: ' + str(out) in proc.stdout
    # The CPU named by its model, as every figure must be.
    from ratenet_plugin.utils.fast_paths import detect_machine
    assert report['environment']['device_name'].startswith(
        f'CPU ({detect_machine("cpu").cpu_model}, ')
