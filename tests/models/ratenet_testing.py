"""Tiny RATE-Net configurations, batches and optimiser wrappers for tests."""
from typing import Callable, Dict, Optional

import torch
from mmagic.structures import DataSample
from mmengine.optim import OptimWrapper, OptimWrapperDict

import ratenet_plugin  # noqa: F401  (registers the models)
from ratenet_plugin.registry import MODELS

OPTIM_KEYS = ('generator', 'shape_discriminator', 'appearance_discriminator')


def tiny_generator_cfg(*,
                       texture: bool = True,
                       texture_dim: int = 8,
                       dropout: float = 0.,
                       freeze_pose_transfer: bool = False,
                       pose_transfer_init_cfg: Optional[dict] = None) -> dict:
    """G_P (4 channels, 3 down-samplings, 2 PAT blocks) + optional G_t."""
    return dict(
        type='RATEGenerator',
        pose_transfer=dict(
            type='PoseTransferModule',
            base_channels=4,
            num_downsamples=3,
            num_blocks=2,
            dropout=dropout,
            init_cfg=pose_transfer_init_cfg),
        texture_enhancer=dict(
            type='TextureEnhancingModule',
            base_channels=4,
            num_downsamples=3,
            num_res_blocks=1,
            num_adain_blocks=1,
            texture_dim=texture_dim) if texture else None,
        freeze_pose_transfer=freeze_pose_transfer)


def tiny_model_cfg(*, loss_weights: Optional[dict] = None,
                   **generator_kwargs) -> dict:
    """A RATENet small enough for CPU tests, with a random VGG19;
    ``loss_weights`` are RATENet arguments (``lambda_per=...``)."""
    return dict(
        **(loss_weights or {}),
        type='RATENet',
        generator=tiny_generator_cfg(**generator_kwargs),
        shape_discriminator=dict(
            type='PoseShapeDiscriminator',
            base_channels=4,
            num_res_blocks=1,
            dropout=0.),
        appearance_discriminator=dict(
            type='AppearanceDiscriminator',
            base_channels=4,
            num_res_blocks=1,
            dropout=0.),
        perceptual_loss=dict(
            type='VGG19PerceptualLoss',
            layer_weights=dict(relu1_1=1 / 4, relu2_1=1 / 2, relu3_1=1.),
            pretrained=None))


def build_model(**kwargs):
    """Build and initialise a tiny RATENet (seeded); arguments as
    :func:`tiny_model_cfg`."""
    torch.manual_seed(0)
    model = MODELS.build(tiny_model_cfg(**kwargs))
    for name in OPTIM_KEYS:
        getattr(model, name).init_weights()
    return model


def raw_batch(num: int = 2, height: int = 32, width: int = 22,
              seed: int = 0) -> dict:
    """A collated batch as ``PackPoseInputs`` + ``pseudo_collate`` give it."""
    gen = torch.Generator().manual_seed(seed)
    inputs: Dict[str, list] = {key: [] for key in
                               ('src_img', 'tgt_img', 'src_pose', 'tgt_pose')}
    samples = []
    for index in range(num):
        for side in ('src', 'tgt'):
            inputs[f'{side}_img'].append(
                torch.randint(0, 256, (3, height, width), generator=gen,
                              dtype=torch.uint8))
            inputs[f'{side}_pose'].append(
                torch.rand(18, height, width, generator=gen))
        samples.append(
            DataSample(
                gt_img=inputs['tgt_img'][-1].clone(),
                metainfo=dict(
                    src_name=f'src{index}.jpg', tgt_name=f'tgt{index}.jpg')))
    return dict(inputs=inputs, data_samples=samples)


def optim_wrappers(model,
                   wrapper: Callable[..., OptimWrapper] = OptimWrapper,
                   **wrapper_kwargs) -> OptimWrapperDict:
    """One RAdam (lr 1e-4, as the paper) per top-level trainable module."""
    return OptimWrapperDict(
        **{
            key: wrapper(
                optimizer=torch.optim.RAdam(
                    getattr(model, key).parameters(), lr=1e-4),
                **wrapper_kwargs)
            for key in OPTIM_KEYS
        })
