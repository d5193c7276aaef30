"""The benchmark library on a tiny config: what it reports and that the
figures are consistent with one another (no timing is asserted)."""
import json

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from ratenet_plugin.analysis import (BenchmarkSettings, print_report,
                                     run_benchmark)


class FixedTimes:
    """A reference model whose times are given (the benchmark's arithmetic
    with RATE-Net's measured times, without timing a second model)."""

    name = 'fixed'

    def measure(self, batch_size, height, width, settings, dtype=None):
        self.seen = (batch_size, height, width, settings.device)
        self.dtypes.append(dtype)
        if dtype is None:
            return dict(cycle_s=2.0, inference_s=0.5)
        return dict(cycle_s=1.0, inference_s=0.2)  # under autocast

    def __init__(self):
        self.dtypes = []


def test_cpu_run_reports_every_figure(tiny_config_file, tmp_path, capsys):
    cfg = Config.fromfile(tiny_config_file())
    init_default_scope('mmagic')
    reference = FixedTimes()
    settings = BenchmarkSettings(
        device='cpu',
        options=['bf16', 'channels_last', 'winograd', 'fp16'],
        train_warmup=1,
        train_repeats=1,
        infer_batch_sizes=[1, 2],
        infer_repeats=1,
        infer_warmup=0,
        data_samples=4,
        loader_batches=2)
    report = run_benchmark(
        cfg,
        settings,
        config_name='tiny',
        references=[reference],
        synthetic_root=str(tmp_path))
    assert json.loads(json.dumps(report)) == report
    print_report(report)
    printed = capsys.readouterr().out
    assert 'Training' in printed and 'Inference' in printed
    assert 'ASSUMED MFU' in printed and 'RATE-Net fp32 vs fixed' in printed

    options = report['options']
    assert list(options) == [
        'fp32', 'bf16', 'channels_last', 'winograd', 'fp16'
    ]
    assert 'need a GPU' in options['fp16']['error']
    # Inference-only fast paths are not timed in training.
    assert options['winograd']['train'] is None
    assert set(options['winograd']['inference']) == {'1', '2'}
    setup = report['train_setup']
    batch = setup['batch_size']
    assert batch == 2 and (setup['height'], setup['width']) == (32, 22)
    # FLOPs: counted per update of the 1-1-3 cycle, summed.
    per_update = setup['flops_per_update']
    assert set(per_update) == {'pose_transfer', 'joint', 'discriminator'}
    assert setup['flops_per_cycle'] == sum(per_update.values()) > 0
    assert options['fp32']['train']['ratio_to_fp32'] == 1
    for name in ('fp32', 'bf16', 'channels_last'):
        result = options[name]
        train = result['train']
        assert set(train['update_s']) == set(per_update)
        assert train['images_per_s'] == pytest.approx(batch /
                                                      train['cycle_s'])
        assert train['mfu'] == pytest.approx(
            setup['flops_per_cycle'] / train['cycle_s'] /
            (result['peak_tflops'] * 1e12))
        assert 'CPU, measured' in result['peak_source']
        assert train['peak_rss_mib'] > 0
        assert set(result['inference']) == {'1', '2'}
        assert 'images' not in result
        for size, inf in result['inference'].items():
            assert inf['images_per_s'] == pytest.approx(
                int(size) / inf['latency_s'])
    assert options['bf16']['peak_source'].startswith('CPU, measured bfloat16')
    # Same seed, same weights: channels_last gives fp32's images.
    assert options['fp32']['max_abs_diff_to_fp32'] == 0
    assert options['channels_last']['max_abs_diff_to_fp32'] < 1e-4
    assert options['bf16']['max_abs_diff_to_fp32'] > 0  # autocast was on

    data = report['data_pipeline']
    assert data['dataset']['synthetic']
    assert set(data['transform_s']) == {
        'LoadPosePairFromFile', 'PoseAwareFlip', 'GeneratePoseHeatmap',
        'PackPoseInputs'
    }
    assert data['samples_per_s_per_worker'] == pytest.approx(
        1 / data['sample_s'])
    # 2 images (3 x 32 x 22 uint8) + 2 heatmaps (18 x 32 x 22 float32).
    assert data['bytes_per_sample'] == 2 * 3 * 32 * 22 + 2 * 18 * 32 * 22 * 4
    assert data['dataloader']['samples_per_s'] > 0
    # The config's collate function (the demo's: MMEngine's default).
    assert data['dataloader']['collate_fn'] == 'pseudo_collate'
    assert set(data['main_process_s_per_batch']) == {
        'pseudo_collate', 'default_collate', 'default_collate_in_worker'
    }

    one, eight = report['schedule']
    fastest = options[report['fastest_option']]['train']
    assert one['hours'] == pytest.approx(
        one['cycles'] * batch / fastest['images_per_s'] / 3600)
    assert eight['devices'] == 8 and eight['hours'] < one['hours']
    for row in report['flop_estimates']:
        assert row['schedule_hours'] > 0 and row['assumed_mfu'] in (0.3, 0.4)

    # RATE-Net's fp32 times as ratios to the reference's, same batch.
    assert reference.seen == (batch, 32, 22, 'cpu')
    ratios = report['references']['fixed']
    assert ratios['cycle_time_ratio'] == pytest.approx(
        options['fp32']['train']['cycle_s'] / 2.0)
    assert ratios['inference_time_ratio'] == pytest.approx(
        options['fp32']['inference']['2']['latency_s'] / 0.5)
    # Measured once in float32 and once under bf16 autocast; every option
    # against the reference in its own precision and in float32.
    assert reference.dtypes == [None, torch.bfloat16]
    assert set(ratios['by_dtype']) == {'float32', 'bfloat16'}
    assert set(ratios['by_option']) == {
        'fp32', 'bf16', 'channels_last', 'winograd'
    }
    # An option timed for inference only has no cycle ratio.
    winograd = ratios['by_option']['winograd']['versus_fp32']
    assert winograd['cycle_time_ratio'] is None
    assert winograd['inference_time_ratio'] == pytest.approx(
        options['winograd']['inference']['2']['latency_s'] / 0.5)
    bf16 = ratios['by_option']['bf16']
    assert bf16['same_precision']['cycle_time_ratio'] == pytest.approx(
        options['bf16']['train']['cycle_s'] / 1.0)
    assert bf16['versus_fp32']['inference_time_ratio'] == pytest.approx(
        options['bf16']['inference']['2']['latency_s'] / 0.5)
    assert ratios['by_option']['channels_last']['same_precision'] == \
        ratios['by_option']['channels_last']['versus_fp32']
