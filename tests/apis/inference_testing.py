"""Tiny RATE-Net inference set-ups shared by the tests of
ratenet_plugin.apis."""
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from ratenet_plugin.registry import MODELS

FRAME = (64, 44)  # the data set's keypoint frame (H, W)
OUT_SIZE = (64, 64)  # the test pipeline pads it to the model's input


def tiny_config() -> Config:
    """A RATE-Net with 8-channel layers and a 64x64 test pipeline."""
    return Config(dict(
        default_scope='mmagic',
        custom_imports=dict(imports=['ratenet_plugin'],
                            allow_failed_imports=False),
        model=dict(
            type='RATENet',
            generator=dict(
                type='RATEGenerator',
                pose_transfer=dict(type='PoseTransferModule',
                                   base_channels=8, num_downsamples=2,
                                   num_blocks=1),
                texture_enhancer=dict(type='TextureEnhancingModule',
                                      base_channels=8, num_downsamples=2,
                                      texture_dim=16, num_res_blocks=1,
                                      num_adain_blocks=1)),
            shape_discriminator=dict(type='PoseShapeDiscriminator',
                                     base_channels=8, num_res_blocks=1),
            appearance_discriminator=dict(type='AppearanceDiscriminator',
                                          base_channels=8, num_res_blocks=1),
            perceptual_loss=dict(type='VGG19PerceptualLoss',
                                 layer_weights={'relu1_1': 1.0},
                                 pretrained=None)),
        test_dataloader=dict(dataset=dict(
            type='DeepFashionPoseDataset',
            keypoint_frame=FRAME,
            pipeline=[
                dict(type='LoadPosePairFromFile'),
                dict(type='ResizePadPose', scale=OUT_SIZE, mode='pad'),
                dict(type='GeneratePoseHeatmap'),
                dict(type='PackPoseInputs'),
            ]))))


def save_random_checkpoint(config: Config, path: str, seed: int = 0) -> str:
    """Build ``config.model`` with seeded random weights and save it as
    MMEngine does; returns ``path``."""
    init_default_scope('mmagic')
    torch.manual_seed(seed)
    model = MODELS.build(config.model)
    model.init_weights()
    torch.save(dict(meta=dict(), state_dict=model.state_dict()), path)
    return path
