# Table 2, "PB Fix": "we initialize the parameters of the pose-transfer
# module using pretrained models in [3] (PATN), and keep it fixed during
# training"; only G_t and the discriminators learn, so L2 cannot reach G_P.
# G_P is therefore PATN's DeepFashion generator, layer for layer (2
# down-samplings, ReLU), loaded strictly from PATN's released weights:
#   python tools/convert_patn_checkpoint.py latest_net_netG.pth \
#       checkpoints/patn_deepfashion_converted.pth
# (docs/patn.md). A file that does not fit G_P stops the run before training.
_base_ = './ratenet_full_1xb7-40kcycles_deepfashion-256x176.py'

pose_transfer_checkpoint = 'checkpoints/patn_deepfashion_converted.pth'

model = dict(
    generator=dict(
        freeze_pose_transfer=True,
        # PATN_DEEPFASHION_LAYOUT (pose_transfer_module.py).
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
                prefix='generator.pose_transfer.')),
        # G_t as in the paper (3 down-samplings in its texture encoder); its
        # decoder up-samples PATN's F_t, at 1/4 resolution, twice.
        texture_enhancer=dict(num_upsamples=2)))
# No pose-transfer update: the joint update trains G_t only.
train_cfg = dict(cycle=[('joint', 1), ('discriminator', 3)])

# PATN's G_P was trained on PATN's uint8-truncated heatmaps (docs/data.md).
pipeline = [
    dict(type='LoadPosePairFromFile'),
    dict(type='GeneratePoseHeatmap', sigma=6.0, encoding='patn_uint8'),
    dict(type='PackPoseInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=pipeline))
val_dataloader = dict(dataset=dict(pipeline=pipeline))
test_dataloader = dict(dataset=dict(pipeline=pipeline))
