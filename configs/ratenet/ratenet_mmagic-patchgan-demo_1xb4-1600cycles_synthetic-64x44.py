# RATE-Net with MMagic's PatchDiscriminator (pix2pix's PatchGAN) as the shape
# discriminator D_S, on the demo data: everything else as ratenet_demo_1xb4-1600cycles_synthetic-64x44.py.
# D_S scores cat(image, P_t); ConcatConditionDiscriminator gives MMagic's
# single-input discriminator RATE-Net's D(image, condition) call.
_base_ = ['ratenet_demo_1xb4-1600cycles_synthetic-64x44.py']

model = dict(
    shape_discriminator=dict(
        _delete_=True,
        type='ConcatConditionDiscriminator',
        discriminator=dict(
            type='PatchDiscriminator',
            in_channels=3 + 18,  # image + target pose heatmaps
            base_channels=16,
            num_conv=3,
            norm_cfg=dict(type='IN'),
            init_cfg=dict(type='normal', gain=0.02))))
