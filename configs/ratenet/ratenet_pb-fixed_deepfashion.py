# Table 2, "PB Fixed": G_P is initialised from a pretrained pose-transfer model
# and kept frozen; only G_t and the discriminators learn, so L2 cannot reach
# G_P. Set `pose_transfer_checkpoint` to a checkpoint holding G_P's weights
# (a RATE-Net checkpoint, or a converted PATN generator) before training.
_base_ = './ratenet_deepfashion.py'

pose_transfer_checkpoint = 'checkpoints/pose_transfer_pretrained.pth'

model = dict(
    generator=dict(
        freeze_pose_transfer=True,
        pose_transfer=dict(
            init_cfg=dict(
                type='Pretrained',
                checkpoint=pose_transfer_checkpoint,
                prefix='generator.pose_transfer.'))))
# No pose-transfer update: the joint update trains G_t only.
train_cfg = dict(cycle=[('joint', 1), ('discriminator', 3)])
