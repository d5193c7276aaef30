"""RATE-Net models; importing this registers them in MMagic's ``MODELS``.

Registered: ``RATENet``, ``RATEGenerator``, ``PoseTransferModule``,
``TextureEnhancingModule``, ``PoseShapeDiscriminator``,
``AppearanceDiscriminator``, ``PoseDataPreprocessor``, ``VGG19PerceptualLoss``.
"""
from .data_preprocessors import PoseDataPreprocessor
from .editors import (AppearanceDiscriminator, PoseShapeDiscriminator,
                      PoseTransferModule, RATEGenerator, RATENet,
                      TextureEnhancingModule)
from .losses import VGG19PerceptualLoss

__all__ = [
    'AppearanceDiscriminator', 'PoseDataPreprocessor',
    'PoseShapeDiscriminator', 'PoseTransferModule', 'RATEGenerator', 'RATENet',
    'TextureEnhancingModule', 'VGG19PerceptualLoss'
]
