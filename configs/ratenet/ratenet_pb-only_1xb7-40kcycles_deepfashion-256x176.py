# Table 2, "PB Only": no texture enhancing module; G_P is trained end to end
# with L2 (reconstruction, perceptual, style and adversarial losses) computed
# on its coarse output, then the discriminators K=3 times.
_base_ = './ratenet_full_1xb7-40kcycles_deepfashion-256x176.py'

model = dict(generator=dict(texture_enhancer=None))
train_cfg = dict(cycle=[('joint', 1), ('discriminator', 3)])
