"""Models of the plugin, one folder per algorithm (as in MMagic).

``PosePix2Pix`` (MMagic's ``Pix2Pix``, whose package imports MMagic's whole
model zoo) is imported when first named (see :mod:`ratenet_plugin.models`).
"""
from ratenet_plugin.utils.lazy import lazy_attributes
from .ratenet import (AppearanceDiscriminator, ConcatConditionDiscriminator,
                      PATNResDiscriminator, PoseShapeDiscriminator,
                      PoseTransferModule, RATEGenerator, RATENet,
                      TextureEnhancingModule)

__getattr__, __dir__ = lazy_attributes(__name__, globals(), {
    'PosePix2Pix': '.pose_pix2pix',
    'pose_pix2pix': '.pose_pix2pix',
})

__all__ = [
    'AppearanceDiscriminator', 'ConcatConditionDiscriminator',
    'PATNResDiscriminator', 'PosePix2Pix', 'PoseShapeDiscriminator',
    'PoseTransferModule', 'RATEGenerator', 'RATENet', 'TextureEnhancingModule'
]
