"""FLOPs counted with fake tensors equal a real count."""
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from torch.utils.flop_counter import FlopCounterMode

from ratenet_plugin.analysis.flops import (count_cycle_flops,
                                           count_inference_flops,
                                           fake_model_and_batch,
                                           generator_flops, shapes_only)
from ratenet_plugin.analysis.options import build_for
from ratenet_plugin.analysis.timing import synthetic_raw_batch


def test_flops_counted_with_fake_tensors_equal_a_real_count(
        tiny_config_file):
    """The benchmark counts with fake tensors (no compute); a real cycle
    and a real generator forward count the same."""
    cfg = Config.fromfile(tiny_config_file())
    init_default_scope('mmagic')
    cycle = (('pose_transfer', 1), ('joint', 1), ('discriminator', 3))
    with shapes_only():
        fake_model, fake_wrappers, fake_data = fake_model_and_batch(
            cfg, 2, 32, 22)
        fake = count_cycle_flops(fake_model, fake_wrappers, fake_data, cycle)
        fake_inference = count_inference_flops(fake_model, fake_data)
    model, wrappers = build_for(cfg, (), 'cpu', None)
    data = model.data_preprocessor(synthetic_raw_batch(2, 32, 22), True)
    real = count_cycle_flops(model, wrappers, data, cycle)
    assert fake == real and real['total'] > 0
    assert set(real['per_update']) == {'pose_transfer', 'joint',
                                       'discriminator'}
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model.generator(data['inputs']['src_img'], data['inputs']['src_pose'],
                        data['inputs']['tgt_pose'])
    assert fake_inference == counter.get_total_flops() / 2
    # Per network: G_P and G_t add up to the whole generator.
    flops = generator_flops(model.generator, 32, 22)
    assert flops['total'] == counter.get_total_flops() / 2
    assert flops['pose_transfer'] + flops['texture_enhancer'] == \
        flops['total']
