"""RATE-Net models; importing this registers them in MMagic's ``MODELS``.

Registered: ``RATENet``, ``RATEGenerator``, ``PoseTransferModule``,
``TextureEnhancingModule``, ``PoseShapeDiscriminator``,
``AppearanceDiscriminator``, ``ConcatConditionDiscriminator``,
``PosePix2Pix``, ``PoseDataPreprocessor``, ``VGG19PerceptualLoss``; and the
weight initializer ``StrictPretrained`` in MMEngine's
``WEIGHT_INITIALIZERS``.

``PosePix2Pix`` and ``VGG19PerceptualLoss`` subclass MMagic's ``Pix2Pix`` and
``PerceptualVGG``, whose packages import MMagic's whole model zoo (seconds):
they are imported, and registered, when MMagic's ``MODELS`` is first
searched or when they are first named here, so that building a generator
for inference does not pay for them.
"""
from ratenet_plugin.registry import MODELS, register_lazily
from ratenet_plugin.utils.lazy import lazy_attributes
from .data_preprocessors import PoseDataPreprocessor
from .editors import (AppearanceDiscriminator, ConcatConditionDiscriminator,
                      PoseShapeDiscriminator, PoseTransferModule,
                      RATEGenerator, RATENet, TextureEnhancingModule)
from .weight_init import StrictPretrainedInit

register_lazily(MODELS, 'ratenet_plugin.models.editors.pose_pix2pix')
register_lazily(MODELS, 'ratenet_plugin.models.losses')

__getattr__, __dir__ = lazy_attributes(__name__, globals(), {
    'PosePix2Pix': '.editors.pose_pix2pix',
    'VGG19PerceptualLoss': '.losses',
    'losses': '.losses',
})

__all__ = [
    'AppearanceDiscriminator', 'ConcatConditionDiscriminator',
    'PoseDataPreprocessor', 'PosePix2Pix', 'PoseShapeDiscriminator',
    'PoseTransferModule', 'RATEGenerator', 'RATENet', 'StrictPretrainedInit',
    'TextureEnhancingModule', 'VGG19PerceptualLoss'
]
