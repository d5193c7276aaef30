# MMagic's Pix2Pix on the data of the RATE-Net demos (the main job's
# synthetic DeepFashion-format set of 200 people x 6 poses, 8 held out; 64x44,
# padded to 64x64): the in-framework baseline at demo scale, batch 8 for
# 2,000 iterations at lr 1e-3, with MMagic's pix2pix losses. See
# pix2pix_vanilla-unet-bn_1xb7-200kiters_deepfashion-pose.py for the design.
_base_ = [
    'mmagic::_base_/models/base_pix2pix.py',
    '../ratenet/_base_/default_runtime.py',
]

source_domain = 'condition'  # source RGB + target heatmaps: 3 + 18 channels
target_domain = 'person'
image_size = (64, 44)
input_size = (64, 64)  # a U-Net with 6 down-samplings needs 64 | H, W

model = dict(
    type='PosePix2Pix',
    data_preprocessor=dict(
        type='DataPreprocessor',
        data_keys=[f'img_{target_domain}', f'img_{source_domain}']),
    generator=dict(in_channels=3 + 18, num_down=6, base_channels=16),
    discriminator=dict(in_channels=3 + 18 + 3, base_channels=16),
    default_domain=target_domain,
    reachable_domains=[target_domain],
    related_domains=[target_domain, source_domain])


def _pipeline(flip):
    return [dict(type='LoadPosePairFromFile')] + (
        [dict(type='PoseAwareFlip', prob=0.5)] if flip else []) + [
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


# The RATE-Net demos' data set (same folder and generator settings; until
# 2026-12-05 this config kept the older 30 x 8 set, on which a model learns
# the training people's garments by heart, docs/training.md).
data_root = 'data/synthetic_deepfashion_64x44_200x6'
synthetic = dict(
    num_identities=200,
    poses_per_identity=6,
    num_test_identities=8,
    seed=0,
    image_format='png')


def _dataset(split, flip, **kwargs):
    return dict(
        type='DeepFashionPoseDataset',
        data_root=data_root,
        ann_file=f'fasion-resize-annotation-{split}.csv',
        pairs_file=f'fasion-resize-pairs-{split}.csv',
        data_prefix=dict(img=split),
        keypoint_frame=image_size,
        synthetic=synthetic,
        pipeline=_pipeline(flip),
        **kwargs)


train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=_dataset('train', flip=True))
val_dataloader = dict(
    batch_size=16,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=_dataset('test', flip=False, test_mode=True))
test_dataloader = val_dataloader

optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    generators=dict(
        type='OptimWrapper',
        optimizer=dict(type='Adam', lr=1e-3, betas=(0.5, 0.999))),
    discriminators=dict(
        type='OptimWrapper',
        optimizer=dict(type='Adam', lr=1e-3, betas=(0.5, 0.999))))
train_cfg = dict(by_epoch=False, max_iters=2000, val_interval=2000)
val_cfg = dict(type='MultiValLoop')
test_cfg = dict(type='MultiTestLoop')

# As ratenet_demo_1xb4-1600cycles_synthetic-64x44.py: metrics that need no pretrained network.
val_evaluator = dict(
    type='Evaluator',
    metrics=[
        dict(type=metric, prefix='final', gt_key='gt_img',
             pred_key='pred_img') for metric in ('SSIM', 'PSNR', 'MAE')
    ])
test_evaluator = val_evaluator

default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=500, max_keep_ckpts=2))
env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo'))
