# RATE-Net with MMagic's PatchDiscriminator (pix2pix's 70x70 PatchGAN, 64
# base channels) as the shape discriminator D_S: everything else as
# ratenet_full_1xb7-40kcycles_deepfashion-256x176.py. D_S scores cat(image, P_t);
# ConcatConditionDiscriminator gives MMagic's single-input discriminator
# RATE-Net's D(image, condition) call.
_base_ = ['ratenet_full_1xb7-40kcycles_deepfashion-256x176.py']

model = dict(
    shape_discriminator=dict(
        _delete_=True,
        type='ConcatConditionDiscriminator',
        discriminator=dict(
            type='PatchDiscriminator',
            in_channels=3 + 18,  # image + target pose heatmaps
            base_channels=64,
            num_conv=3,
            norm_cfg=dict(type='IN'),
            init_cfg=dict(type='normal', gain=0.02))))
