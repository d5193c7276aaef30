import pytest
import torch
from torch import nn

from ratenet_plugin.fileio.checkpoint_file import (CheckpointMismatchError,
                                                   compare_state_dicts,
                                                   load_state_dict_strictly,
                                                   mismatch_message)


def _net():
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.Conv2d(4, 2, 1))


def test_matching_state_dict_loads_every_tensor():
    source, target = _net(), _net()
    load_state_dict_strictly(target, source.state_dict(), 'a.pth', 'the net')
    for key, value in source.state_dict().items():
        assert torch.equal(target.state_dict()[key], value)


def test_mismatch_names_file_counts_and_keys_and_loads_nothing():
    target = _net()
    before = {k: v.clone() for k, v in target.state_dict().items()}
    state = _net().state_dict()
    del state['0.bias']
    state['2.weight'] = torch.zeros(1)
    state['1.weight'] = torch.zeros(2, 4, 3, 3)
    with pytest.raises(CheckpointMismatchError) as info:
        load_state_dict_strictly(target, state, 'bad.pth', 'G_P')
    message = str(info.value)
    assert message.startswith('bad.pth does not match G_P: 1 missing, '
                              '1 unexpected, 1 wrong shapes')
    assert 'missing: 0.bias' in message
    assert 'unexpected: 2.weight' in message
    assert '1.weight [2, 4, 3, 3] vs [2, 4, 1, 1]' in message
    for key, value in target.state_dict().items():
        assert torch.equal(value, before[key])


def test_long_key_lists_are_shortened():
    expected = {f'k{i}': torch.zeros(1) for i in range(8)}
    mismatch = compare_state_dicts(expected, {})
    assert len(mismatch.missing) == 8 and not mismatch.unexpected
    assert '(3 more)' in mismatch_message('f', 'w', mismatch)
