# RATE-Net as in the paper (sections 3 and 4.2). Where the paper is silent the
# values follow PATN (its pose-transfer backbone): InstanceNorm, dropout 0.5 in
# the PAT blocks and discriminators, N(0, 0.02) init, LSGAN, 64 base channels.
norm_cfg = dict(type='IN')
# bf16 autocast and channels_last weights, chosen by tools/train.py for the
# machine it starts on ('auto': channels_last on CPUs, bf16 on CPUs with
# native bf16 (AVX512-BF16, AMX); on GPUs bf16 where they have it and the
# default layout, as measured on an H200; docs/benchmarks.md); True/False
# force them, as do --amp/--no-amp and
# --channels-last/--no-channels-last.
fast_paths = dict(amp='auto', channels_last='auto')
act_cfg = dict(type='LeakyReLU', negative_slope=0.2)  # "LeakyReLU ... 0.2 slope"

model = dict(
    type='RATENet',
    # Batches come from pinned memory (pin_memory=True in the data configs):
    # copy them to the GPU without waiting. A no-op on CPU.
    data_preprocessor=dict(type='PoseDataPreprocessor', non_blocking=True),
    generator=dict(
        type='RATEGenerator',
        # G_P: two-stream encoder (I_s; P_s + P_t), 3 down-sampling layers,
        # 9 cascaded pose-attentional transfer blocks, up-sampling to I_co.
        pose_transfer=dict(
            type='PoseTransferModule',
            base_channels=64,
            num_downsamples=3,
            num_blocks=9,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg,
            dropout=0.5),
        # G_t: texture encoder over I_s (strided convs, residual blocks,
        # global average pooling) -> z_t of 128 dims; AdaIN decoder from F_t
        # -> residual R_t. I_t = I_co + R_t. (pose_channels=18 would feed
        # the source pose heatmaps to the encoder too; docs/model.md.)
        texture_enhancer=dict(
            type='TextureEnhancingModule',
            base_channels=64,
            num_downsamples=3,
            texture_dim=128,
            act_cfg=act_cfg)),
    # D_S(I, P_t) and D_A(I, I_s): PATN's residual discriminators, trained
    # separately (not multiplied as in PATN).
    shape_discriminator=dict(
        type='PoseShapeDiscriminator',
        base_channels=64,
        num_downsamples=2,
        num_res_blocks=3,
        norm_cfg=norm_cfg,
        act_cfg=act_cfg),
    appearance_discriminator=dict(
        type='AppearanceDiscriminator',
        base_channels=64,
        num_downsamples=2,
        num_res_blocks=3,
        norm_cfg=norm_cfg,
        act_cfg=act_cfg),
    # L_per: weighted multi-layer VGG19 features; L_sty: their Gram matrices.
    # Needs ImageNet VGG19 weights: put vgg19-dcbb9e9d.pth in
    # $TORCH_HOME/hub/checkpoints/ or set pretrained='/path/to/vgg19.pth'.
    perceptual_loss=dict(
        type='VGG19PerceptualLoss',
        layer_weights=dict(
            relu1_1=1 / 32, relu2_1=1 / 16, relu3_1=1 / 8, relu4_1=1 / 4,
            relu5_1=1.0),
        layer_weights_style=dict(
            relu1_1=1.0, relu2_1=1.0, relu3_1=1.0, relu4_1=1.0),
        pretrained='torchvision://vgg19'),
    gan_type='lsgan',
    # "The weight lambda_recon is set to 10 and other weights are set to 5."
    lambda_recon=10.0,
    lambda_per=5.0,
    lambda_sty=5.0,
    lambda_gan=5.0,
    # Inference and validation on CPU (eval mode, float32, no gradients)
    # compute the 3x3 convolutions with >= 256 channels by Winograd's
    # F(2x2, 3x3): the same function, 2.25x fewer FLOPs (the paper
    # generator's forward 1.7x faster on a 2-core Xeon, docs/benchmarks.md).
    # Training mode, GPUs and autocast are unaffected; tools/train.py
    # --compile turns it off (compiled graphs compute the convolutions).
    winograd=True)
