"""Importing ratenet_plugin registers the models in MMagic's MODELS."""
import pytest
from mmengine.registry import DefaultScope

import ratenet_plugin.models as models
from ratenet_plugin.registry import MODELS

REGISTERED = ('RATENet', 'RATEGenerator', 'PoseTransferModule',
              'TextureEnhancingModule', 'PoseShapeDiscriminator',
              'AppearanceDiscriminator', 'ConcatConditionDiscriminator',
              'PosePix2Pix', 'PoseDataPreprocessor', 'VGG19PerceptualLoss')


@pytest.mark.parametrize('name', REGISTERED)
def test_names_resolve_to_our_classes_in_mmagic_scope(name):
    with DefaultScope.overwrite_default_scope('mmagic'):
        assert MODELS.get(name) is getattr(models, name)


def test_internal_blocks_are_not_registered():
    for name in ('PATBlock', 'AdaINResBlock', 'AdaIN', 'PATNResDiscriminator'):
        assert MODELS.get(name) is None
