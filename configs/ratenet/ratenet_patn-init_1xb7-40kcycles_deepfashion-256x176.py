# RATE-Net whose G_P starts from PATN's released DeepFashion generator (not in
# the paper): the cheap path to a model on real data. G_P has PATN's layout
# (2 down-samplings, ReLU) and is trained, unlike PB Fixed; the schedule is
# the full model's 1-1-3 cycle. Convert PATN's file first (docs/patn.md):
#   python tools/convert_patn_checkpoint.py latest_net_netG.pth \
#       checkpoints/patn_deepfashion_converted.pth
_base_ = './ratenet_full_1xb7-40kcycles_deepfashion-256x176.py'

pose_transfer_checkpoint = 'checkpoints/patn_deepfashion_converted.pth'

model = dict(
    generator=dict(
        # PATN_DEEPFASHION_LAYOUT (pose_transfer_module.py), loaded strictly.
        pose_transfer=dict(
            _delete_=True,
            type='PoseTransferModule',
            base_channels=64,
            num_downsamples=2,
            num_blocks=9,
            max_channels=None,
            norm_cfg=dict(type='IN'),
            act_cfg=dict(type='ReLU'),
            downsample_padding='zeros',
            dropout=0.5,
            init_cfg=dict(
                type='StrictPretrained',
                checkpoint=pose_transfer_checkpoint,
                prefix='generator.pose_transfer.',
                remedy='convert PATN\'s generator to it: python '
                'tools/convert_patn_checkpoint.py latest_net_netG.pth '
                '{checkpoint} (docs/patn.md), or set '
                'model.generator.pose_transfer.init_cfg.checkpoint')),
        # G_t's decoder up-samples PATN's F_t (1/4 resolution) twice.
        texture_enhancer=dict(num_upsamples=2)))

# PATN's G_P was trained on PATN's uint8-truncated heatmaps (docs/data.md).
pipeline = [
    dict(type='LoadPosePairFromFile'),
    dict(type='GeneratePoseHeatmap', sigma=6.0, encoding='patn_uint8'),
    dict(type='PackPoseInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=pipeline))
val_dataloader = dict(dataset=dict(pipeline=pipeline))
test_dataloader = dict(dataset=dict(pipeline=pipeline))
