"""Models of the plugin, one folder per algorithm (as in MMagic)."""
from .ratenet import (AppearanceDiscriminator, PATNResDiscriminator,
                      PoseShapeDiscriminator, PoseTransferModule,
                      RATEGenerator, RATENet, TextureEnhancingModule)

__all__ = [
    'AppearanceDiscriminator', 'PATNResDiscriminator',
    'PoseShapeDiscriminator', 'PoseTransferModule', 'RATEGenerator', 'RATENet',
    'TextureEnhancingModule'
]
