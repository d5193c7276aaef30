import pytest
import torch
from torch import nn

from ratenet_plugin.fileio.checkpoint_file import (CheckpointError,
                                                   CheckpointMismatchError,
                                                   check_checkpoint_path,
                                                   compare_state_dicts,
                                                   load_state_dict_strictly,
                                                   mismatch_message,
                                                   model_state_dict,
                                                   read_checkpoint)
from ratenet_plugin.fileio.errors import UserInputError


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


def test_read_checkpoint_reads_a_valid_file(tmp_path):
    path = tmp_path / 'ok.pth'
    torch.save(dict(meta=dict(iter=3), state_dict=_net().state_dict()), path)
    loaded = read_checkpoint(str(path))
    assert loaded['meta'] == dict(iter=3)
    assert set(loaded['state_dict']) == set(_net().state_dict())


@pytest.mark.parametrize('kind, message', [
    ('truncated', r'checkpoint .*truncated\.pth is truncated \(\d+ bytes; '
     r'its end, the zip central directory, is missing\)'),
    ('empty', r'checkpoint .*empty\.pth is empty \(0 bytes\)'),
    ('foreign', r'checkpoint .*foreign\.pth is damaged or not a PyTorch '
     'checkpoint'),
    ('malicious', r'checkpoint .*malicious\.pth is not a weights-only '
     'checkpoint: it would call posix.system while loading, so it was '
     'refused for safety and nothing in it was run'),
])
def test_read_checkpoint_names_the_file_and_the_problem(
        bad_checkpoints, kind, message):
    with pytest.raises(CheckpointError, match=message) as info:
        read_checkpoint(str(bad_checkpoints[kind]))
    assert '\n' not in str(info.value)
    assert isinstance(info.value, UserInputError)
    assert not bad_checkpoints['marker'].exists()


def test_a_missing_path_or_a_folder_is_named(tmp_path):
    with pytest.raises(CheckpointError,
                       match='checkpoint not found: .*no.pth'):
        check_checkpoint_path(str(tmp_path / 'no.pth'))
    with pytest.raises(CheckpointError, match='is a folder, not a file'):
        read_checkpoint(str(tmp_path))


def test_model_state_dict_takes_the_weights_and_drops_a_wrapper_prefix():
    weight = torch.zeros(2)
    saved_wrapped = dict(meta=dict(iter=3),
                         state_dict={'module.generator.w': weight})
    assert model_state_dict(saved_wrapped) == {'generator.w': weight}
    # A bare state dict; 'module.' only counts as a leading prefix.
    bare = {'generator.w': weight, 'generator.module.w': weight}
    assert model_state_dict(bare) == bare


def _legacy_cut_off(path):
    torch.save(_net().state_dict(), path, _use_new_zipfile_serialization=False)
    data = path.read_bytes()
    path.write_bytes(data[:-20])


def _zip_not_pytorch(path):
    import zipfile
    with zipfile.ZipFile(path, 'w') as archive:
        archive.writestr('notes.txt', 'not a checkpoint')


def _other_pickle(path):
    import pickle
    path.write_bytes(pickle.dumps({'a': 1}, protocol=2))


def _zip_cut_where_torch_seeks_wrongly(path):
    """A zip checkpoint cut where torch.load fails with an OSError
    (Errno 22 from a seek; a few per cent of cut points) instead of its
    usual "central directory" error."""
    torch.manual_seed(0)
    torch.save({f'w{i}': torch.randn(64, 64) for i in range(8)}, path)
    data = path.read_bytes()
    for cut in range(100, len(data), 97):
        path.write_bytes(data[:cut])
        try:
            torch.load(path, weights_only=True)
        except OSError:
            return
        except Exception:  # the other ways a cut file fails
            pass
    raise AssertionError('no cut point raises an OSError any more')


@pytest.mark.parametrize('make', [_legacy_cut_off, _zip_not_pytorch,
                                  _other_pickle,
                                  _zip_cut_where_torch_seeks_wrongly])
def test_every_damaged_file_is_one_line_naming_it(tmp_path, make):
    """A legacy-format file cut off (as a partial download of PATN's
    generator is), a zip that is no PyTorch file, a pickle of another
    kind: each is the user's file to replace, not a traceback."""
    path = tmp_path / f'{make.__name__}.pth'
    make(path)
    with pytest.raises(CheckpointError,
                       match=f'checkpoint {path} is damaged or not a '
                       'PyTorch checkpoint'):
        read_checkpoint(str(path))


def test_a_file_holding_no_weights_is_named():
    for content in (torch.zeros(3), [1, 2], dict(state_dict=[1])):
        with pytest.raises(CheckpointError,
                           match='checkpoint x.pth holds a (Tensor|list), '
                           'not model weights'):
            model_state_dict(content, 'checkpoint x.pth')
