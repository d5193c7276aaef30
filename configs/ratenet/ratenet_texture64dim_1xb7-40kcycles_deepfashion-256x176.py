# Table 2, "Texture64dim": texture code z_t of 64 dimensions instead of 128.
_base_ = './ratenet_full_1xb7-40kcycles_deepfashion-256x176.py'

model = dict(generator=dict(texture_enhancer=dict(texture_dim=64)))
