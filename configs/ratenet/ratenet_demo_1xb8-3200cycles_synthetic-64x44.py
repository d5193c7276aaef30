# Recipe J: RATE-Net trained on 2 CPU cores on the synthetic
# DeepFashion-format set (generated into data/synthetic_deepfashion_64x44_200x6
# on first use), with the scaled-down architecture, losses, 1-1-3 cycle and
# optimiser of ratenet_demo_1xb4-1600cycles_synthetic-64x44.py. It is recipe
# K's model (ratenet_demo_1xb8-1200cycles_synthetic-64x44.py, the base of the
# main job: batches of 8, I_t squashed by tanh, L_per/L_sty on relu1_1,
# 2 down-samplings) with the paper's adversarial weight (recipe I) trained
# for longer, measured in docs/training.md (recipe J): 3,200 cycles, the
# learning rate at 1e-3 for the first half, then linear to 0. The held-out
# garment colours need the length: at 1,200 cycles (recipe K) the lower
# garments are still mostly wrong; this run takes about 2.5x recipe K's
# time (36 minutes on the slower of this project's Intel Xeons).
_base_ = ['ratenet_demo_1xb8-1200cycles_synthetic-64x44.py']

# As measured for recipe J: the paper's adversarial weight (the main job
# lowered it to 1 afterwards, recipe K; not trained for 3,200 cycles).
model = dict(lambda_gan=5.0)

num_cycles = 3200
train_cfg = dict(max_iters=num_cycles, val_interval=800)
param_scheduler = [
    dict(type='ConstantLR', factor=1.0, begin=0, end=1600, by_epoch=False),
    dict(
        type='LinearLR',
        start_factor=1.0,
        end_factor=0.0,
        begin=1600,
        end=num_cycles,
        by_epoch=False),
]

default_hooks = dict(checkpoint=dict(interval=800, max_keep_ckpts=2))
custom_hooks = [
    dict(type='RandomStateHook'),
    dict(type='AdaptiveCPUThreadsHook'),
    dict(type='PoseTransferVisualizationHook', interval=800, num_samples=6),
    # Next to the last grid: losses and held-out metrics over the cycles.
    dict(
        type='TrainingCurvesHook',
        interval=50,
        metric_keys=[
            'final/SSIM', 'coarse/SSIM', 'final/garment_colour',
            'final/garment_texture', 'final/HaarPSI', 'final/GMSD'
        ]),
]
