# Old name of ratenet_mmagic-patchgan_1xb7-40kcycles_deepfashion-256x176.py (MMagic's naming scheme); kept as an alias.
_base_ = './ratenet_mmagic-patchgan_1xb7-40kcycles_deepfashion-256x176.py'
