"""RATE-Net: model, generator, its two modules and the discriminators."""
from .pose_transfer_module import PoseTransferModule
from .ratenet import RATENet
from .ratenet_discriminators import (AppearanceDiscriminator,
                                     ConcatConditionDiscriminator,
                                     PATNResDiscriminator,
                                     PoseShapeDiscriminator)
from .ratenet_generator import RATEGenerator
from .texture_enhancing_module import TextureEnhancingModule

__all__ = [
    'AppearanceDiscriminator', 'ConcatConditionDiscriminator',
    'PATNResDiscriminator',
    'PoseShapeDiscriminator', 'PoseTransferModule', 'RATEGenerator', 'RATENet',
    'TextureEnhancingModule'
]
