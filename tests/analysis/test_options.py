"""Benchmark options: names and the model each builds."""
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from ratenet_plugin.analysis.options import (amp_dtype, build_for,
                                             parse_option)
from ratenet_plugin.utils.fast_paths import is_channels_last


def test_option_names():
    assert parse_option('fp32') == ()
    assert parse_option('bf16+channels_last') == ('bf16', 'channels_last')
    assert amp_dtype(parse_option('bf16+compile')) == torch.bfloat16
    assert amp_dtype(parse_option('fp32')) is None
    with pytest.raises(ValueError, match='unknown'):
        parse_option('bf16+fast')
    with pytest.raises(ValueError, match='bf16 or fp16'):
        parse_option('bf16+fp16')
    assert parse_option('channels_last+winograd') == ('channels_last',
                                                      'winograd')
    with pytest.raises(ValueError, match='do not combine'):
        parse_option('winograd+compile')


def test_each_option_builds_its_fast_path(tiny_config_file):
    cfg = Config.fromfile(tiny_config_file())
    init_default_scope('mmagic')
    model, wrappers = build_for(cfg, ('bf16', 'channels_last'), 'cpu', None)
    assert is_channels_last(model.generator)
    assert type(wrappers['generator']).__name__ == 'AnyDeviceAmpOptimWrapper'
    # No weight file is read: the VGG19 is random.
    assert model.perceptual_loss.pretrained is None
    assert model.winograd_layers == 0
    model, _ = build_for(cfg, ('winograd', ), 'cpu', None)
    # The tiny config's layers have fewer channels than the default 256.
    assert model.winograd_layers == 0
    cfg.model.winograd_min_channels = 1
    model, _ = build_for(cfg, ('winograd', ), 'cpu', None)
    assert model.winograd_layers > 0
