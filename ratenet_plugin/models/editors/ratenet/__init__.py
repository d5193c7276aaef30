"""RATE-Net: model, generator, its two modules and the discriminators."""
from .pose_transfer_module import PoseTransferModule
from .ratenet import RATENet
from .ratenet_discriminators import (AppearanceDiscriminator,
                                     PATNResDiscriminator,
                                     PoseShapeDiscriminator)
from .ratenet_generator import RATEGenerator
from .texture_enhancing_module import TextureEnhancingModule

__all__ = [
    'AppearanceDiscriminator', 'PATNResDiscriminator',
    'PoseShapeDiscriminator', 'PoseTransferModule', 'RATEGenerator', 'RATENet',
    'TextureEnhancingModule'
]
