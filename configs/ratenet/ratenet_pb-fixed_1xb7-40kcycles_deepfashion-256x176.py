# Table 2, "PB Fix": "we initialize the parameters of the pose-transfer
# module using pretrained models in [3] (PATN), and keep it fixed during
# training"; only G_t and the discriminators learn, so L2 cannot reach G_P.
# G_P is therefore PATN's DeepFashion generator, layer for layer (2
# down-samplings, ReLU), loaded strictly from PATN's released weights, with
# PATN's uint8 heatmaps: everything of ratenet_patn-init_...py but G_P frozen.
#   python tools/convert_patn_checkpoint.py latest_net_netG.pth \
#       checkpoints/patn_deepfashion_converted.pth
# (docs/patn.md). A file that does not fit G_P stops the run before training.
_base_ = './ratenet_patn-init_1xb7-40kcycles_deepfashion-256x176.py'

model = dict(generator=dict(freeze_pose_transfer=True))
# No pose-transfer update: the joint update trains G_t only.
train_cfg = dict(cycle=[('joint', 1), ('discriminator', 3)])
