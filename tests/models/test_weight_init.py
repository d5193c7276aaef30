"""StrictPretrained: MMEngine's pretrained init, failing on any mismatch;
MMEngine's lenient Pretrained refused."""
import pytest
import torch
from mmengine.model.weight_init import initialize

from ratenet_plugin.fileio.checkpoint_file import (CheckpointError,
                                                    CheckpointMismatchError)
from ratenet_plugin.fileio.errors import UserInputError
from ratenet_plugin.models import PoseTransferModule
from ratenet_plugin.registry import MODELS
from tests.models.ratenet_testing import tiny_model_cfg

PREFIX = 'generator.pose_transfer.'


def tiny_module(**kwargs) -> PoseTransferModule:
    return PoseTransferModule(base_channels=4, num_blocks=1, **kwargs)


@pytest.fixture
def saved(tmp_path):
    """A checkpoint in MMEngine's format holding a tiny G_P and other keys."""
    source = tiny_module()
    source.init_weights()
    state = {PREFIX + k: v for k, v in source.state_dict().items()}
    state['generator.texture_enhancer.head.conv.weight'] = torch.zeros(1)
    path = tmp_path / 'model.pth'
    torch.save(dict(meta={}, state_dict=state), path)
    return path, source, state


def test_loads_the_keys_under_the_prefix(saved):
    path, source, _ = saved
    target = tiny_module()
    initialize(target,
               dict(type='StrictPretrained', checkpoint=str(path),
                    prefix=PREFIX))
    for key, value in source.state_dict().items():
        assert torch.equal(target.state_dict()[key], value), key


def test_missing_key_names_the_file_and_the_key(saved, tmp_path):
    _, _, state = saved
    del state[PREFIX + 'head.conv.bias']
    path = tmp_path / 'missing.pth'
    torch.save(dict(state_dict=state), path)
    target = tiny_module(
        init_cfg=dict(type='StrictPretrained', checkpoint=str(path),
                      prefix=PREFIX))
    with pytest.raises(CheckpointMismatchError) as error:
        target.init_weights()
    message = str(error.value)
    assert str(path) in message and 'PoseTransferModule' in message
    assert '1 missing, 0 unexpected, 0 wrong shapes' in message
    assert 'missing: head.conv.bias' in message
    # Nothing was loaded: the weights are the random init's, not the file's.
    assert not torch.equal(target.state_dict()['head.conv.weight'],
                           state[PREFIX + 'head.conv.weight'])


def test_wrong_shape_and_unexpected_key(saved, tmp_path):
    _, _, state = saved
    state[PREFIX + 'head.conv.weight'] = torch.zeros(3, 5, 7, 7)
    state[PREFIX + 'extra.weight'] = torch.zeros(1)
    path = tmp_path / 'wrong.pth'
    torch.save(dict(state_dict=state), path)
    with pytest.raises(CheckpointMismatchError) as error:
        initialize(tiny_module(),
                   dict(type='StrictPretrained', checkpoint=str(path),
                        prefix=PREFIX))
    message = str(error.value)
    assert 'unexpected: extra.weight' in message
    assert 'head.conv.weight [3, 5, 7, 7] vs [3, 4, 7, 7]' in message


def test_absent_file_or_prefix(saved, tmp_path):
    path, _, _ = saved
    with pytest.raises(CheckpointError, match='nothing.pth not found'):
        initialize(tiny_module(),
                   dict(type='StrictPretrained',
                        checkpoint=str(tmp_path / 'nothing.pth')))
    # The config can say how the file is made (the PATN configs: convert
    # PATN's generator), for a missing file and a damaged one.
    remedy = 'convert it: python make.py {checkpoint}'
    with pytest.raises(CheckpointError, match=f'nothing.pth not found '
                       f'\\(init_cfg of PoseTransferModule\\): convert it: '
                       f'python make.py {tmp_path}/nothing.pth$'):
        initialize(tiny_module(),
                   dict(type='StrictPretrained', remedy=remedy,
                        checkpoint=str(tmp_path / 'nothing.pth')))
    cut = tmp_path / 'cut.pth'
    cut.write_bytes(path.read_bytes()[:100])
    with pytest.raises(CheckpointError, match=f'convert it: python make.py '
                       f'{cut}$'):
        initialize(tiny_module(),
                   dict(type='StrictPretrained', remedy=remedy,
                        checkpoint=str(cut), prefix=PREFIX))
    with pytest.raises(CheckpointError, match="no key under prefix 'g_p.'"):
        initialize(tiny_module(),
                   dict(type='StrictPretrained', checkpoint=str(path),
                        prefix='g_p.'))


@pytest.mark.parametrize('cfg', [
    dict(type='PoseTransferModule'),
    dict(type='TextureEnhancingModule', feature_channels=16),
    dict(type='PoseShapeDiscriminator'),
    dict(type='AppearanceDiscriminator'),
    dict(type='ConcatConditionDiscriminator', discriminator=dict(
        type='PatchDiscriminator', in_channels=21, base_channels=4,
        num_conv=1)),
    tiny_model_cfg(),
])
def test_lenient_pretrained_init_is_refused(cfg):
    """MMEngine's Pretrained would keep random weights on a mismatch: no
    network of ours takes it, alone or in a list."""
    for init_cfg in (dict(type='Pretrained', checkpoint='x.pth'),
                     [dict(type='Normal'),
                      dict(type='Pretrained', checkpoint='x.pth')]):
        with pytest.raises(UserInputError, match='StrictPretrained'):
            MODELS.build(dict(cfg, init_cfg=init_cfg))
