"""Models of the plugin, one folder per algorithm (as in MMagic)."""
from .pose_pix2pix import PosePix2Pix
from .ratenet import (AppearanceDiscriminator, ConcatConditionDiscriminator,
                      PATNResDiscriminator, PoseShapeDiscriminator,
                      PoseTransferModule, RATEGenerator, RATENet,
                      TextureEnhancingModule)

__all__ = [
    'AppearanceDiscriminator', 'ConcatConditionDiscriminator',
    'PATNResDiscriminator', 'PosePix2Pix', 'PoseShapeDiscriminator',
    'PoseTransferModule', 'RATEGenerator', 'RATENet', 'TextureEnhancingModule'
]
