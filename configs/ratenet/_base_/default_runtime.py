# Runtime shared by every RATE-Net config: MMagic's scope, our plugin, hooks,
# logging and environment.
default_scope = 'mmagic'
custom_imports = dict(imports=['ratenet_plugin'], allow_failed_imports=False)

# Iterations count RATELoop cycles (one batch, 1-1-3 updates each).
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=False)
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook',
        interval=5000,
        by_epoch=False,
        max_keep_ckpts=5,
        save_optimizer=True,
        save_last=True),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)
custom_hooks = [
    # Random generators go into checkpoints so that --resume is exact.
    dict(type='RandomStateHook'),
    # CPU runs: one thread while other processes keep the cores busy
    # (libgomp's spinning wait makes two threads 10-20x slower then;
    # docs/environment.md).
    dict(type='AdaptiveCPUThreadsHook'),
]

# Multi-GPU: one DDP each for G_P, G_t, D_S and D_A, so that every update of
# the 1-1-3 cycle all-reduces exactly the gradients it computes, without
# find_unused_parameters (docs/distributed.md).
model_wrapper_cfg = dict(
    type='RATESeparateDistributedDataParallel',
    broadcast_buffers=False,
    find_unused_parameters=False)

env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=2020, deterministic=False)
