"""RATE-Net models; importing this registers them in MMagic's ``MODELS``.

Registered: ``RATENet``, ``RATEGenerator``, ``PoseTransferModule``,
``TextureEnhancingModule``, ``PoseShapeDiscriminator``,
``AppearanceDiscriminator``, ``ConcatConditionDiscriminator``,
``PosePix2Pix``, ``PoseDataPreprocessor``, ``VGG19PerceptualLoss``; and the
weight initializer ``StrictPretrained`` in MMEngine's
``WEIGHT_INITIALIZERS``.
"""
from .data_preprocessors import PoseDataPreprocessor
from .editors import (AppearanceDiscriminator, ConcatConditionDiscriminator,
                      PosePix2Pix, PoseShapeDiscriminator, PoseTransferModule,
                      RATEGenerator, RATENet, TextureEnhancingModule)
from .losses import VGG19PerceptualLoss
from .weight_init import StrictPretrainedInit

__all__ = [
    'AppearanceDiscriminator', 'ConcatConditionDiscriminator',
    'PoseDataPreprocessor', 'PosePix2Pix', 'PoseShapeDiscriminator',
    'PoseTransferModule', 'RATEGenerator', 'RATENet', 'StrictPretrainedInit',
    'TextureEnhancingModule', 'VGG19PerceptualLoss'
]
