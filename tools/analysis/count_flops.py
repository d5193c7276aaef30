"""Parameter counts of a RATE-Net config's networks and FLOPs of one
generator forward.

The model is built from the config (random weights: the counts do not depend
on them; the VGG19 file is not read). FLOPs are counted with
``torch.utils.flop_counter.FlopCounterMode`` (``ratenet_plugin.analysis``).

Usage::

    python tools/analysis/count_flops.py                 # the paper's model
    python tools/analysis/count_flops.py CONFIG --height 256 --width 256
    python tools/analysis/count_flops.py --texture-dim 64
    python tools/analysis/count_flops.py --no-texture --max-channels 256
    python tools/analysis/count_flops.py CONFIG --cfg-options KEY=VALUE
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))

from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402

from ratenet_plugin.analysis import count_params, generator_flops  # noqa: E402
from ratenet_plugin.analysis.options import image_size  # noqa: E402
from ratenet_plugin.fileio.errors import UserInputError  # noqa: E402
from ratenet_plugin.utils.arguments import int_at_least  # noqa: E402
from ratenet_plugin.utils.cli import run_tool  # noqa: E402
from ratenet_plugin.utils.config import (import_plugin,  # noqa: E402
                                         read_config)
from ratenet_plugin.utils.config_errors import (  # noqa: E402
    naming_config_keys)

PAPER_CONFIG = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs',
    'ratenet', 'ratenet_full_1xb7-40kcycles_deepfashion-256x176.py')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=' '.join(__doc__.split('\n\n')[0].split()))
    parser.add_argument(
        'config',
        nargs='?',
        default=PAPER_CONFIG,
        help='RATE-Net config (default: the paper\'s model)')
    parser.add_argument(
        '--height', type=int_at_least(1), default=None,
        help='image height (default: the config\'s)')
    parser.add_argument(
        '--width', type=int_at_least(1), default=None,
        help='image width (default: the config\'s)')
    parser.add_argument(
        '--texture-dim',
        type=int_at_least(1),
        default=None,
        help='shorthand for model.generator.texture_enhancer.texture_dim')
    parser.add_argument(
        '--max-channels',
        type=int_at_least(1),
        default=None,
        help='shorthand for max_channels of G_P and G_t (256 keeps PATN\'s '
        'bottleneck width)')
    parser.add_argument(
        '--no-texture',
        action='store_true',
        help='shorthand for model.generator.texture_enhancer=None (PB Only)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, default=None)
    return parser.parse_args(argv)


def model_cfg(args: argparse.Namespace) -> Config:
    """The config with the command line's overrides."""
    cfg = read_config(args.config, args.cfg_options)
    generator = cfg.model.generator
    if args.max_channels is not None:
        generator.pose_transfer.max_channels = args.max_channels
        if generator.texture_enhancer is not None:
            generator.texture_enhancer.max_channels = args.max_channels
    if args.texture_dim is not None:
        if args.no_texture:
            raise UserInputError('--texture-dim and --no-texture contradict '
                                 'each other: choose one')
        if generator.get('texture_enhancer') is None:
            raise UserInputError(
                f'--texture-dim: {args.config} has no texture enhancing '
                'module G_t (texture_enhancer=None, PB Only)')
        generator.texture_enhancer.texture_dim = args.texture_dim
    if args.no_texture:
        generator.texture_enhancer = None
    cfg.model.perceptual_loss.pretrained = None
    # The direct convolutions are counted: Winograd's matrix products (the
    # configs' CPU inference path, taken in eval mode) compute the same
    # function with about half the multiplications.
    cfg.model.winograd = False
    return cfg


def main(argv=None) -> dict:
    args = parse_args(argv)
    cfg = model_cfg(args)
    import_plugin(cfg)
    init_default_scope(cfg.get('default_scope', 'mmagic'))
    from ratenet_plugin.registry import MODELS
    with naming_config_keys(cfg):
        model = MODELS.build(cfg.model)
    generator = model.generator
    rows = [('generator (G_P + G_t)', generator),
            ('  pose_transfer (G_P)', generator.pose_transfer)]
    if generator.texture_enhancer is not None:
        rows.append(('  texture_enhancer (G_t)', generator.texture_enhancer))
    rows += [('shape_discriminator (D_S)', model.shape_discriminator),
             ('appearance_discriminator (D_A)',
              model.appearance_discriminator)]
    print(f'{args.config}\nParameters')
    params = {}
    for name, module in rows:
        params[name.strip()] = count_params(module)
        print(f'  {name:32s} {params[name.strip()]:>12,d}')

    height, width = image_size(cfg)
    height, width = args.height or height, args.width or width
    flops = generator_flops(generator, height, width)
    print(f'FLOPs of one generator forward, batch 1, {height}x{width} '
          '(FlopCounterMode)')
    for key in ('total', 'pose_transfer', 'texture_enhancer'):
        print(f'  {key:32s} {flops[key] / 1e9:>10.1f} GFLOPs')
    return dict(params=params, flops=flops, height=height, width=width)


if __name__ == '__main__':
    run_tool(main)
