"""tools/benchmark.py on a tiny config: what it reports and that the figures
are consistent with one another (no timing is asserted)."""
import importlib.util
import json
from pathlib import Path

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

REPO_ROOT = Path(__file__).resolve().parents[2]


def load_benchmark_tool():
    spec = importlib.util.spec_from_file_location(
        'benchmark_tool', REPO_ROOT / 'tools' / 'benchmark.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def tool():
    return load_benchmark_tool()


def test_option_names(tool):
    assert tool.parse_option('fp32') == ()
    assert tool.parse_option('bf16+channels_last') == ('bf16',
                                                       'channels_last')
    with pytest.raises(ValueError, match='unknown'):
        tool.parse_option('bf16+fast')
    with pytest.raises(ValueError, match='bf16 or fp16'):
        tool.parse_option('bf16+fp16')


def test_cpu_run_reports_every_figure(tool, tiny_config_file, tmp_path,
                                      capsys):
    out = tmp_path / 'bench.json'
    report = tool.main([
        tiny_config_file(), '--device', 'cpu', '--options', 'bf16',
        'channels_last', 'fp16', '--train-warmup', '1', '--train-repeats',
        '1', '--infer-batch-sizes', '1', '2', '--infer-repeats', '1',
        '--infer-warmup', '0', '--data-samples', '4', '--loader-batches', '2',
        '--out',
        str(out)
    ])
    assert json.loads(out.read_text()) == json.loads(json.dumps(report))
    printed = capsys.readouterr().out
    assert 'Training' in printed and 'Inference' in printed
    assert 'ASSUMED MFU' in printed

    options = report['options']
    assert list(options) == ['fp32', 'bf16', 'channels_last', 'fp16']
    assert 'need a GPU' in options['fp16']['error']
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


def test_flops_counted_with_fake_tensors_equal_a_real_count(
        tool, tiny_config_file):
    """The benchmark counts with fake tensors (no compute); a real cycle
    and a real generator forward count the same."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    cfg = Config.fromfile(tiny_config_file())
    tool.import_plugin(cfg)
    init_default_scope('mmagic')
    cycle = (('pose_transfer', 1), ('joint', 1), ('discriminator', 3))
    with tool.shapes_only():
        fake_model, fake_wrappers, fake_data = tool.fake_model_and_batch(
            cfg, 2, 32, 22)
        fake = tool.count_cycle_flops(fake_model, fake_wrappers, fake_data,
                                      cycle)
        fake_inference = tool.count_inference_flops(fake_model, fake_data)
    model, wrappers = tool.build_for(cfg, (), 'cpu', None)
    data = model.data_preprocessor(tool.synthetic_raw_batch(2, 32, 22), True)
    real = tool.count_cycle_flops(model, wrappers, data, cycle)
    assert fake == real and real['total'] > 0
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model.generator(data['inputs']['src_img'], data['inputs']['src_pose'],
                        data['inputs']['tgt_pose'])
    assert fake_inference == counter.get_total_flops() / 2
