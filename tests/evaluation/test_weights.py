"""Pretrained networks load from local files or the cache, never download."""
import pytest
import torch
import torchvision

from ratenet_plugin.evaluation import (LPIPS, MissingWeightsError,
                                       PoseTransferFID, PoseTransferIS)
from ratenet_plugin.evaluation.weights import (FID_INCEPTION, IS_INCEPTION,
                                               LPIPS_BACKBONES,
                                               build_fid_inception,
                                               build_is_inception, build_lpips)
from ratenet_plugin.fileio.checkpoint_file import (CheckpointError,
                                                   CheckpointMismatchError)


def test_missing_lpips_backbone_names_file_cache_path_and_config_key(
        isolated_torch_home):
    with pytest.raises(MissingWeightsError) as info:
        LPIPS(prefix='final')
    message = str(info.value)
    expected = isolated_torch_home / 'hub' / 'checkpoints' / \
        'alexnet-owt-7be5be79.pth'
    assert str(expected) in message
    assert LPIPS_BACKBONES['alex'].url in message
    assert '`backbone_path`' in message
    assert 'TORCH_HOME' in message


def test_missing_fid_inception_names_file_and_config_key(isolated_torch_home):
    with pytest.raises(MissingWeightsError) as info:
        PoseTransferFID(prefix='final')
    message = str(info.value)
    assert 'pt_inception-2015-12-05-6726825d.pth' in message
    assert str(isolated_torch_home / 'hub' / 'checkpoints') in message
    assert '`inception_path`' in message


def test_missing_is_inception_names_file_and_config_key(isolated_torch_home):
    with pytest.raises(MissingWeightsError) as info:
        PoseTransferIS(prefix='final')
    message = str(info.value)
    assert 'inception_v3_google-0cc3c7bd.pth' in message
    assert IS_INCEPTION.url in message
    assert '`inception_path`' in message


def test_stylegan_inception_is_never_downloaded(tmp_path):
    missing = tmp_path / 'inception-2015-12-05.pt'
    with pytest.raises(MissingWeightsError, match='inception-2015-12-05.pt'):
        PoseTransferFID(inception_style='StyleGAN', inception_path=missing)


def test_explicit_path_that_does_not_exist_is_named(tmp_path):
    missing = tmp_path / 'nowhere' / 'alexnet.pth'
    with pytest.raises(MissingWeightsError) as info:
        build_lpips('alex', backbone_path=str(missing))
    assert str(missing) in str(info.value)
    assert '`backbone_path`' in str(info.value)


def test_missing_weights_error_is_a_file_not_found_error():
    assert issubclass(MissingWeightsError, FileNotFoundError)


def test_lpips_backbone_from_cache_holds_the_saved_weights(
        hub_cache, alexnet_file):
    hub_cache(alexnet_file)
    model = build_lpips('alex')
    saved = torch.load(alexnet_file, weights_only=True)
    torch.testing.assert_close(model.net.slice1[0].weight,
                               saved['features.0.weight'])
    torch.testing.assert_close(
        getattr(model.net.slice5, '10').bias, saved['features.10.bias'])
    assert not any(p.requires_grad for p in model.parameters())
    assert not model.training


def test_lpips_linear_layers_come_from_the_lpips_package(alexnet_file):
    import lpips
    shipped = torch.load(
        f'{lpips.__path__[0]}/weights/v0.1/alex.pth',
        map_location='cpu',
        weights_only=True)
    model = build_lpips('alex', backbone_path=str(alexnet_file))
    torch.testing.assert_close(model.lin0.model[1].weight,
                               shipped['lin0.model.1.weight'])


def test_backbone_file_of_another_network_is_rejected(vgg16_file):
    with pytest.raises(CheckpointMismatchError) as info:
        build_lpips('alex', backbone_path=str(vgg16_file))
    assert str(info.value).startswith(f'{vgg16_file} does not match the '
                                      'LPIPS alex backbone (layer features.')


def test_unknown_lpips_net_is_rejected(alexnet_file):
    with pytest.raises(ValueError, match="'alex', 'vgg'"):
        build_lpips('resnet', backbone_path=str(alexnet_file))


def test_fid_inception_from_explicit_path_holds_the_saved_weights(
        fid_inception_file):
    model, style = build_fid_inception('PyTorch', str(fid_inception_file))
    saved = torch.load(fid_inception_file, weights_only=True)
    assert style == 'PyTorch'
    torch.testing.assert_close(model.blocks[0][0].conv.weight,
                               saved['Conv2d_1a_3x3.conv.weight'])
    torch.testing.assert_close(model.blocks[3][2].branch_pool.bn.running_var,
                               saved['Mixed_7c.branch_pool.bn.running_var'])
    features = model(torch.zeros(1, 3, 40, 30))[0]
    assert features.shape == (1, 2048, 1, 1)


def test_is_inception_from_cache_is_torchvision_inception(
        hub_cache, is_inception_file):
    hub_cache(is_inception_file)
    model, style = build_is_inception('PyTorch')
    saved = torch.load(is_inception_file, weights_only=True)
    assert style == 'PyTorch'
    assert isinstance(model, torchvision.models.Inception3)
    assert not model.transform_input
    torch.testing.assert_close(model.fc.weight, saved['fc.weight'])


def test_unknown_inception_style_is_rejected(fid_inception_file):
    with pytest.raises(ValueError, match='inception_style'):
        build_fid_inception('TF', str(fid_inception_file))


def test_cache_paths_follow_torch_home(isolated_torch_home):
    assert FID_INCEPTION.cache_path() == str(
        isolated_torch_home / 'hub' / 'checkpoints' / FID_INCEPTION.filename)


def test_damaged_weight_file_says_where_to_download_it(tmp_path):
    """Read by the one checkpoint reader: a CheckpointError (one error
    line in the tools) naming the file and the download, not a traceback."""
    damaged = tmp_path / LPIPS_BACKBONES['alex'].filename
    damaged.write_text('not a checkpoint')
    with pytest.raises(CheckpointError) as info:
        build_lpips('alex', backbone_path=str(damaged))
    assert str(info.value).startswith(f'checkpoint {damaged} is damaged')
    assert str(info.value).endswith(
        f"download {LPIPS_BACKBONES['alex'].url} again")
