"""PoseShapeDiscriminator (D_S), AppearanceDiscriminator (D_A) and
ConcatConditionDiscriminator (an MMagic discriminator as D_S or D_A)."""
import pytest
import torch
from mmengine.registry import init_default_scope

from ratenet_plugin.models import (AppearanceDiscriminator,
                                   ConcatConditionDiscriminator,
                                   PoseShapeDiscriminator)
from ratenet_plugin.registry import MODELS


@pytest.mark.parametrize('size', [(256, 176), (32, 22)])
def test_shape_discriminator_reads_image_and_target_pose(size):
    disc = PoseShapeDiscriminator(base_channels=4, num_res_blocks=1)
    assert disc.body[0].conv.in_channels == 21
    h, w = size
    score = disc(torch.randn(2, 3, h, w), torch.rand(2, 18, h, w))
    # PATN: no final 1-channel conv; 2 down-samplings, 4 -> 16 channels.
    assert score.shape == (2, 16, (h + 3) // 4, (w + 3) // 4)


def test_appearance_discriminator_reads_image_and_source():
    disc = AppearanceDiscriminator(base_channels=4, num_res_blocks=2)
    assert disc.body[0].conv.in_channels == 6
    score = disc(torch.randn(2, 3, 32, 22), torch.randn(2, 3, 32, 22))
    assert score.shape == (2, 16, 8, 6)


def test_condition_matters():
    disc = PoseShapeDiscriminator(base_channels=4, dropout=0.)
    disc.init_weights()
    img = torch.randn(1, 3, 32, 22)
    assert not torch.allclose(
        disc(img, torch.zeros(1, 18, 32, 22)),
        disc(img, torch.ones(1, 18, 32, 22)))


def test_concat_condition_discriminator_matches_wrapped_network():
    init_default_scope('mmagic')
    wrapper = MODELS.build(
        dict(type='ConcatConditionDiscriminator',
             discriminator=dict(type='PatchDiscriminator', in_channels=21,
                                base_channels=8, num_conv=2)))
    assert isinstance(wrapper, ConcatConditionDiscriminator)
    wrapper.eval()
    img, pose = torch.randn(2, 3, 32, 32), torch.rand(2, 18, 32, 32)
    score = wrapper(img, pose)
    torch.testing.assert_close(
        score, wrapper.discriminator(torch.cat([img, pose], dim=1)))
    assert score.shape[:2] == (2, 1)
