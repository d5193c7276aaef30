"""TextureEnhancingModule (G_t): texture code, residual, AdaIN guidance."""
import pytest
import torch

from ratenet_plugin.models import TextureEnhancingModule


def _module(**kwargs):
    module = TextureEnhancingModule(
        feature_channels=32,
        base_channels=4,
        num_res_blocks=1,
        num_adain_blocks=1,
        **kwargs)
    module.init_weights()
    return module


@pytest.mark.parametrize('texture_dim', [128, 64, 8])
def test_texture_code_dimension_follows_config(texture_dim):
    module = _module(texture_dim=texture_dim)
    out = module(torch.rand(2, 3, 32, 22) * 2 - 1, torch.randn(2, 32, 4, 3))
    assert out['texture_code'].shape == (2, texture_dim)
    assert module.to_code.out_features == texture_dim


@pytest.mark.parametrize('size', [(256, 176), (256, 256)])
def test_residual_shape_and_range(size):
    module = _module()
    h, w = size
    out = module(
        torch.rand(1, 3, h, w) * 2 - 1, torch.randn(1, 32, h // 8, w // 8))
    assert out['residual'].shape == (1, 3, h, w)
    assert out['residual'].abs().max() <= 1


def test_source_texture_drives_the_residual():
    module = _module()
    feature = torch.randn(1, 32, 4, 3)
    src_a, src_b = torch.rand(2, 1, 3, 32, 22) * 2 - 1
    out_a, out_b = module(src_a, feature), module(src_b, feature)
    assert not torch.allclose(out_a['texture_code'], out_b['texture_code'])
    assert not torch.allclose(out_a['residual'], out_b['residual'])
    # The code depends on the source image only.
    assert torch.equal(
        module(src_a, torch.randn(1, 32, 4, 3))['texture_code'],
        out_a['texture_code'])


def test_encoder_has_no_normalisation_by_default():
    module = _module()
    assert not any(
        isinstance(m, torch.nn.modules.batchnorm._NormBase)
        for m in module.texture_encoder.modules())


def test_feature_size_mismatch_raises():
    module = _module()
    with pytest.raises(ValueError, match='F_t has spatial size'):
        module(torch.rand(1, 3, 32, 22), torch.randn(1, 32, 8, 6))


def test_source_pose_reaches_the_code_only_with_pose_channels():
    feature = torch.randn(1, 32, 4, 3)
    src = torch.rand(1, 3, 32, 22) * 2 - 1
    pose_a, pose_b = torch.rand(2, 1, 18, 32, 22)
    with_pose = _module(pose_channels=18)
    assert with_pose.texture_encoder[0].conv.in_channels == 21
    code_a = with_pose(src, feature, src_pose=pose_a)['texture_code']
    code_b = with_pose(src, feature, src_pose=pose_b)['texture_code']
    assert not torch.allclose(code_a, code_b)
    # Without pose channels (the default) the pose is not read.
    image_only = _module()
    assert torch.equal(
        image_only(src, feature, src_pose=pose_a)['texture_code'],
        image_only(src, feature, src_pose=pose_b)['texture_code'])


@pytest.mark.parametrize('pose', [None, torch.rand(1, 17, 32, 22)])
def test_missing_or_wrong_source_pose_raises(pose):
    module = _module(pose_channels=18)
    with pytest.raises(ValueError, match='18 source pose channels'):
        module(torch.rand(1, 3, 32, 22), torch.randn(1, 32, 4, 3),
               src_pose=pose)
