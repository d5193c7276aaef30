# Old name of ratenet_texture64dim_1xb7-40kcycles_deepfashion-256x176.py (MMagic's naming scheme); kept as an alias.
_base_ = './ratenet_texture64dim_1xb7-40kcycles_deepfashion-256x176.py'
