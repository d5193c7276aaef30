# The previous demo recipe, now the base of the main job (through recipe K,
# ratenet_demo_1xb8-1200cycles_synthetic-64x44.py), of the ablation and of the
# tests' tiny configs: a small RATE-Net trained on 2 CPU cores in 8-15 minutes
# (docs/training.md) on a synthetic DeepFashion-format data set (generated into
# data/synthetic_deepfashion_64x44_200x6 on first use;
# tools/generate_synthetic_deepfashion.py writes the same set by hand). Same
# architecture, losses, 1-1-3 cycle and optimiser as
# ratenet_full_1xb7-40kcycles_deepfashion-256x176.py, scaled down: 64x44
# images, 16 base channels, 3 PAT blocks, a 32-d texture code, a randomly
# initialised VGG19 for the perceptual/style losses (no ImageNet weights here),
# and a short schedule.
_base_ = [
    '_base_/models/ratenet.py',
    '_base_/schedules/radam_40k-cycles.py',
    '_base_/default_runtime.py',
]

image_size = (64, 44)  # (H, W): 256x176 scaled by 1/4
# Many people in few poses: with 26 people the model learnt their garments by
# heart and gave held-out people wrong colours; 192 training people (5,760
# pairs) make it copy them from the source (docs/training.md). 8 held-out
# people (240 pairs) for the metrics and the grid.
data_root = 'data/synthetic_deepfashion_64x44_200x6'
synthetic = dict(
    num_identities=200,
    poses_per_identity=6,
    num_test_identities=8,
    seed=0,
    image_format='png')

model = dict(
    generator=dict(
        pose_transfer=dict(base_channels=16, num_blocks=3, dropout=0.0),
        texture_enhancer=dict(base_channels=16, texture_dim=32)),
    shape_discriminator=dict(base_channels=16, num_res_blocks=1, dropout=0.0),
    appearance_discriminator=dict(
        base_channels=16, num_res_blocks=1, dropout=0.0),
    # Random VGG19 (no ImageNet weights here), only its first two blocks: the
    # deeper layers would cost most of a CPU cycle and carry no more signal
    # without pretraining.
    perceptual_loss=dict(
        _delete_=True,
        type='VGG19PerceptualLoss',
        layer_weights=dict(relu1_1=0.5, relu2_1=1.0),
        layer_weights_style=dict(relu1_1=1.0, relu2_1=1.0),
        pretrained=None))

# Short schedule with the paper's shape: constant LR for the first quarter,
# then linear to 0. Held-out metrics every 400 cycles (for the curves plot).
num_cycles = 1600
train_cfg = dict(max_iters=num_cycles, val_interval=400)
param_scheduler = [
    dict(type='ConstantLR', factor=1.0, begin=0, end=400, by_epoch=False),
    dict(
        type='LinearLR',
        start_factor=1.0,
        end_factor=0.0,
        begin=400,
        end=num_cycles,
        by_epoch=False),
]
optim_wrapper = dict(
    generator=dict(optimizer=dict(lr=1e-3)),
    shape_discriminator=dict(optimizer=dict(lr=1e-3)),
    appearance_discriminator=dict(optimizer=dict(lr=1e-3)))

pipeline = [
    dict(type='LoadPosePairFromFile'),
    dict(type='PoseAwareFlip', prob=0.5),
    dict(type='GeneratePoseHeatmap', sigma=6.0),
    dict(type='PackPoseInputs'),
]
test_pipeline = [
    dict(type='LoadPosePairFromFile'),
    dict(type='GeneratePoseHeatmap', sigma=6.0),
    dict(type='PackPoseInputs'),
]


def _dataset(split, pipeline, **kwargs):
    return dict(
        type='DeepFashionPoseDataset',
        data_root=data_root,
        ann_file=f'fasion-resize-annotation-{split}.csv',
        pairs_file=f'fasion-resize-pairs-{split}.csv',
        data_prefix=dict(img=split),
        keypoint_frame=image_size,
        synthetic=synthetic,
        pipeline=pipeline,
        **kwargs)


train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    sampler=dict(type='ResumableInfiniteSampler', shuffle=True),
    dataset=_dataset('train', pipeline))
val_dataloader = dict(
    batch_size=16,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=_dataset('test', test_pipeline, test_mode=True))
test_dataloader = val_dataloader

# Metrics that need no pretrained network, for the final and the coarse
# image: SSIM, PSNR, L1 as MAE; piq's MS-SSIM (as many scales as the images
# allow: 3 at 64x44), GMSD and HaarPSI; and the garment colour error and texture
# distance of the synthetic set (docs/evaluation.md; FID/IS/LPIPS need
# ImageNet weights).
_images = (('final', 'pred_img'), ('coarse', 'coarse_img'))
_metrics = [
    dict(type=metric, prefix=prefix, gt_key='gt_img', pred_key=key)
    for metric in ('SSIM', 'PSNR', 'MAE', 'GMSD', 'HaarPSI',
                   'GarmentFidelity') for prefix, key in _images
] + [
    dict(type='PairedMSSSIM', prefix=prefix, gt_key='gt_img', pred_key=key,
         num_scales=None) for prefix, key in _images
]
val_evaluator = dict(type='Evaluator', metrics=_metrics)
test_evaluator = val_evaluator

default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=400, max_keep_ckpts=2))
custom_hooks = [
    dict(type='RandomStateHook'),
    dict(type='AdaptiveCPUThreadsHook'),
    dict(type='PoseTransferVisualizationHook', interval=400, num_samples=6),
    # Next to the last grid: losses and held-out metrics over the cycles.
    dict(
        type='TrainingCurvesHook',
        interval=50,
        metric_keys=[
            'final/SSIM', 'coarse/SSIM', 'final/garment_colour',
            'final/garment_texture', 'final/HaarPSI', 'final/GMSD'
        ]),
]
env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo'))
