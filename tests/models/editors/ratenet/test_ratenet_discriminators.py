"""PoseShapeDiscriminator (D_S), AppearanceDiscriminator (D_A) and
ConcatConditionDiscriminator (an MMagic discriminator as D_S or D_A)."""
import pytest
import torch
from mmengine.registry import init_default_scope

from ratenet_plugin.models import (AppearanceDiscriminator,
                                   ConcatConditionDiscriminator,
                                   PoseShapeDiscriminator)
from ratenet_plugin.fileio.errors import UserInputError
from ratenet_plugin.registry import MODELS
from tests.models.ratenet_testing import tiny_model_cfg


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


@pytest.mark.parametrize('discriminator, message', [
    (dict(type='PatchDiscriminator', in_channels=6, base_channels=8,
          num_conv=2),
     'config key model.appearance_discriminator: PatchDiscriminator scores '
     'one tensor, and RATENet gives a discriminator the image and its '
     "condition: wrap it, dict(type='ConcatConditionDiscriminator'"),
    (dict(type='ConcatConditionDiscriminator',
          discriminator=dict(type='PatchDiscriminator', in_channels=21,
                             base_channels=8, num_conv=2)),
     'config key model.appearance_discriminator: its first convolution '
     'reads 21 channels, and it is given the image and its condition '
     'concatenated, 3 + 3 = 6: set in_channels=6'),
])
def test_an_mmagic_discriminator_plugged_in_wrongly_is_named(
        discriminator, message):
    """Bare, MMagic's init_weights raised UnboundLocalError; with the wrong
    channels the first joint update failed in a convolution."""
    init_default_scope('mmagic')
    with pytest.raises(UserInputError) as info:
        MODELS.build(dict(tiny_model_cfg(),
                          appearance_discriminator=discriminator))
    assert str(info.value).startswith(message)
    wrapped = dict(type='ConcatConditionDiscriminator',
                   discriminator=dict(discriminator.get(
                       'discriminator', discriminator), in_channels=6))
    MODELS.build(dict(tiny_model_cfg(), appearance_discriminator=wrapped))
