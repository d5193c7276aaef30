"""One config builds plugin and MMagic components side by side."""
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import ratenet_plugin  # noqa: F401
from ratenet_plugin.registry import LOOPS, METRICS, MODELS, TRANSFORMS

CONFIG_TEXT = '''
default_scope = 'mmagic'
custom_imports = dict(imports=['ratenet_plugin'], allow_failed_imports=False)
model = dict(
    type='RATENet',
    generator=dict(
        type='RATEGenerator',
        pose_transfer=dict(type='PoseTransferModule', base_channels=4,
                           num_blocks=1)),
    shape_discriminator=dict(type='PoseShapeDiscriminator',
                             base_channels=4, num_res_blocks=1),
    appearance_discriminator=dict(type='AppearanceDiscriminator',
                                  base_channels=4, num_res_blocks=1),
    # MMagic's PerceptualLoss class is not used (it downloads); ours is.
    perceptual_loss=dict(type='VGG19PerceptualLoss',
                         layer_weights=dict(relu1_1=1.0), pretrained=None))
# An MMagic network and loss next to ours.
discriminator = dict(type='PatchDiscriminator', in_channels=21,
                     base_channels=8, num_conv=2)
gan_loss = dict(type='GANLoss', gan_type='lsgan')
metrics = [dict(type='SSIM'), dict(type='PaddedSSIM')]
transforms = [dict(type='GeneratePoseHeatmap'), dict(type='PackInputs')]
'''


def test_plugin_and_mmagic_components_build_from_one_config(tmp_path):
    path = tmp_path / 'mixed.py'
    path.write_text(CONFIG_TEXT)
    cfg = Config.fromfile(str(path))
    init_default_scope(cfg.default_scope)

    model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'RATENet'
    assert type(model.shape_discriminator).__module__.startswith(
        'ratenet_plugin.')
    patch = MODELS.build(cfg.discriminator)
    gan_loss = MODELS.build(cfg.gan_loss)
    assert type(patch).__module__.startswith('mmagic.')
    assert type(gan_loss).__module__.startswith('mmagic.')
    score = patch(torch.zeros(1, 21, 32, 32))
    assert torch.isfinite(gan_loss(score, target_is_real=True))

    ssim, padded_ssim = (METRICS.build(m) for m in cfg.metrics)
    assert type(ssim).__module__.startswith('mmagic.')
    assert type(padded_ssim).__module__.startswith('ratenet_plugin.')
    heatmap, pack = (TRANSFORMS.build(t) for t in cfg.transforms)
    assert type(heatmap).__module__.startswith('ratenet_plugin.')
    assert type(pack).__module__.startswith('mmagic.')
    assert LOOPS.get('RATELoop').__module__.startswith('ratenet_plugin.')
