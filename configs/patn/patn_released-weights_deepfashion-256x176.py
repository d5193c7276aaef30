# PATN (Zhu et al., CVPR 2019), its released DeepFashion generator scored by
# tools/test.py under this plugin's protocol (the "PATN" baseline row of
# Table 1) and usable by tools/infer.py. Nothing trains: the model has no
# discriminators or losses, and the converted file holds G_P only.
#   python tools/convert_patn_checkpoint.py latest_net_netG.pth \
#       checkpoints/patn_deepfashion_converted.pth
#   python tools/test.py \
#       configs/patn/patn_released-weights_deepfashion-256x176.py \
#       checkpoints/patn_deepfashion_converted.pth
# (docs/patn.md). Data: PATN's split, as the RATE-Net configs.
_base_ = [
    '../ratenet/_base_/datasets/deepfashion_256x176.py',
    '../ratenet/_base_/evaluation.py',
    '../ratenet/_base_/default_runtime.py',
]

model = dict(
    type='RATENet',
    data_preprocessor=dict(type='PoseDataPreprocessor', non_blocking=True),
    generator=dict(
        type='RATEGenerator',
        # PATN's generator layer for layer (--which_model_netG PATN --norm
        # instance): PATN_DEEPFASHION_LAYOUT in pose_transfer_module.py.
        pose_transfer=dict(
            type='PoseTransferModule',
            base_channels=64,
            num_downsamples=2,
            num_blocks=9,
            max_channels=None,
            norm_cfg=dict(type='IN'),
            act_cfg=dict(type='ReLU'),
            downsample_padding='zeros',
            dropout=0.5),
        # PATN's output is its coarse image: no texture enhancing module.
        texture_enhancer=None),
    shape_discriminator=None,
    appearance_discriminator=None,
    perceptual_loss=None,
    # The 3x3 convolutions with >= 256 channels (36 layers) by Winograd's
    # F(2x2, 3x3) on CPU: the same images within 7e-6, 1.2x faster
    # (docs/patn.md).
    winograd=True)

# PATN's weights were trained on its uint8-truncated heatmaps (single-pixel
# peaks, docs/data.md): give them what they saw.
test_pipeline = [
    dict(type='LoadPosePairFromFile'),
    dict(type='GeneratePoseHeatmap', sigma=6.0, encoding='patn_uint8'),
    dict(type='PackPoseInputs'),
]
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_cfg = dict(type='MultiTestLoop')
# Testing and inference only.
train_dataloader = None
val_dataloader = None
val_evaluator = None
