"""Losses of the plugin."""
from .vgg19_perceptual_loss import (VGG19_LAYERS, VGG19_WEIGHTS_FILE,
                                    LocalPerceptualVGG, VGG19PerceptualLoss,
                                    resolve_vgg19_weights)

__all__ = [
    'LocalPerceptualVGG', 'VGG19PerceptualLoss', 'VGG19_LAYERS',
    'VGG19_WEIGHTS_FILE', 'resolve_vgg19_weights'
]
