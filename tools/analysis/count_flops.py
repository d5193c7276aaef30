"""Parameter counts of RATE-Net's modules and FLOPs of one generator forward.

FLOPs are measured with ``torch.utils.flop_counter.FlopCounterMode`` (one
multiply-add = 2 FLOPs; convolutions, transposed convolutions, matrix
products; element-wise ops, norms and activations are not counted). Weights
are random: the counts do not depend on them.

Usage::

    python tools/analysis/count_flops.py                 # paper's model
    python tools/analysis/count_flops.py --height 256 --width 256
    python tools/analysis/count_flops.py --texture-dim 64
    python tools/analysis/count_flops.py --no-texture --max-channels 256
"""
import argparse
from typing import Dict, Optional

import torch
import torch.nn as nn
from torch.utils.flop_counter import FlopCounterMode

from ratenet_plugin.registry import MODELS


def paper_model_cfg(texture_dim: int = 128,
                    with_texture: bool = True,
                    max_channels: Optional[int] = None) -> dict:
    """RATENet config with the paper's architecture (section 4.2)."""
    return dict(
        type='RATENet',
        generator=dict(
            type='RATEGenerator',
            pose_transfer=dict(
                type='PoseTransferModule',
                base_channels=64,
                num_downsamples=3,
                num_blocks=9,
                max_channels=max_channels),
            texture_enhancer=dict(
                type='TextureEnhancingModule',
                base_channels=64,
                num_downsamples=3,
                texture_dim=texture_dim,
                max_channels=max_channels) if with_texture else None),
        shape_discriminator=dict(type='PoseShapeDiscriminator'),
        appearance_discriminator=dict(type='AppearanceDiscriminator'),
        perceptual_loss=dict(
            type='VGG19PerceptualLoss',
            layer_weights=dict(relu1_1=1.0),
            pretrained=None))


def count_params(module: nn.Module) -> int:
    """Number of parameters (trainable or not)."""
    return sum(p.numel() for p in module.parameters())


def generator_flops(generator: nn.Module, height: int, width: int) -> Dict:
    """FLOPs of one forward of batch 1, total and per submodule."""
    src_img = torch.zeros(1, 3, height, width)
    poses = torch.zeros(1, 18, height, width)
    generator.eval()
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        generator(src_img, poses, poses)
    per_module = counter.get_flop_counts()
    prefix = type(generator).__name__
    return dict(
        total=counter.get_total_flops(),
        pose_transfer=sum(per_module.get(f'{prefix}.pose_transfer',
                                         {}).values()),
        texture_enhancer=sum(per_module.get(f'{prefix}.texture_enhancer',
                                            {}).values()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--height', type=int, default=256)
    parser.add_argument('--width', type=int, default=176)
    parser.add_argument('--texture-dim', type=int, default=128)
    parser.add_argument(
        '--max-channels',
        type=int,
        default=None,
        help='cap on channel counts (256 keeps PATN\'s bottleneck width)')
    parser.add_argument(
        '--no-texture', action='store_true', help='PB Only (no G_t)')
    args = parser.parse_args()

    model = MODELS.build(
        paper_model_cfg(args.texture_dim, not args.no_texture,
                        args.max_channels))
    generator = model.generator
    rows = [('generator (G_P + G_t)', generator),
            ('  pose_transfer (G_P)', generator.pose_transfer)]
    if generator.texture_enhancer is not None:
        rows.append(('  texture_enhancer (G_t)', generator.texture_enhancer))
    rows += [('shape_discriminator (D_S)', model.shape_discriminator),
             ('appearance_discriminator (D_A)',
              model.appearance_discriminator)]
    print('Parameters')
    for name, module in rows:
        print(f'  {name:32s} {count_params(module):>12,d}')

    flops = generator_flops(generator, args.height, args.width)
    print(f'FLOPs of one generator forward, batch 1, '
          f'{args.height}x{args.width} (FlopCounterMode)')
    for key in ('total', 'pose_transfer', 'texture_enhancer'):
        print(f'  {key:32s} {flops[key] / 1e9:>10.1f} GFLOPs')


if __name__ == '__main__':
    main()
