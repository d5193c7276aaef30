# MMagic's Pix2Pix as an in-framework pose-transfer baseline on DeepFashion:
# source image + target pose -> target image. The generator reads one
# "condition" image: the source RGB stacked with the 18 target-pose heatmaps
# (ConcatPoseCondition); the PatchGAN discriminator reads condition + image.
# Architecture, losses (GAN + 100 x L1) and optimiser are MMagic's pix2pix
# (mmagic::_base_/models/base_pix2pix.py, facades settings); batch size and
# data as ratenet_full_1xb7-40kcycles_deepfashion-256x176.py. Images are padded with white from 256x176 to
# 256x256 because the U-Net down-samples 8 times; metrics are computed on the
# padded images (PATN's padded protocol; see docs/evaluation.md).
_base_ = [
    'mmagic::_base_/models/base_pix2pix.py',
    '../ratenet/_base_/evaluation.py',
    '../ratenet/_base_/default_runtime.py',
]

source_domain = 'condition'  # source RGB + target heatmaps: 3 + 18 channels
target_domain = 'person'
image_size = (256, 176)  # (H, W) of the data and its keypoints
input_size = (256, 256)  # the U-Net's input

model = dict(
    type='PosePix2Pix',
    data_preprocessor=dict(
        type='DataPreprocessor',
        data_keys=[f'img_{target_domain}', f'img_{source_domain}']),
    generator=dict(in_channels=3 + 18),
    discriminator=dict(in_channels=3 + 18 + 3),
    default_domain=target_domain,
    reachable_domains=[target_domain],
    related_domains=[target_domain, source_domain])

pipeline = [
    dict(type='LoadPosePairFromFile'),
    dict(type='ResizePadPose', scale=input_size, mode='pad'),
    dict(type='GeneratePoseHeatmap', sigma=6.0, keys=('tgt', )),
    dict(
        type='ConcatPoseCondition',
        condition_key=f'img_{source_domain}',
        target_key=f'img_{target_domain}'),
    dict(
        type='PackInputs',
        keys=[f'img_{target_domain}', f'img_{source_domain}'],
        data_keys=[f'img_{target_domain}', f'img_{source_domain}']),
]

data_root = 'data/deepfashion'
dataset = dict(
    type='DeepFashionPoseDataset',
    data_root=data_root,
    keypoint_frame=image_size,
    pipeline=pipeline)
train_dataloader = dict(
    batch_size=7,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        dataset,
        ann_file='fasion-resize-annotation-train.csv',
        pairs_file='fasion-resize-pairs-train.csv',
        data_prefix=dict(img='train')))
test_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        dataset,
        ann_file='fasion-resize-annotation-test.csv',
        pairs_file='fasion-resize-pairs-test.csv',
        data_prefix=dict(img='test'),
        test_mode=True))
val_dataloader = dict(
    test_dataloader, dataset=dict(test_dataloader['dataset'], indices=1000))

# MMagic's pix2pix optimisers; keys name Pix2Pix's ModuleDicts.
optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    generators=dict(
        type='OptimWrapper',
        optimizer=dict(type='Adam', lr=2e-4, betas=(0.5, 0.999))),
    discriminators=dict(
        type='OptimWrapper',
        optimizer=dict(type='Adam', lr=2e-4, betas=(0.5, 0.999))))
train_cfg = dict(by_epoch=False, max_iters=200000, val_interval=10000)
val_cfg = dict(type='MultiValLoop')
test_cfg = dict(type='MultiTestLoop')

# RATE-Net's metrics on the generated image (Pix2Pix has no coarse image).
test_evaluator = dict(type='Evaluator', metrics=_base_.final_metrics)
