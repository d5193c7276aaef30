# RATE-Net, full model ("Ours Full", Tables 1-2) on DeepFashion 256x176:
# 40K 1-1-3 cycles (200K updates), RAdam lr 1e-4, constant for 10K cycles then
# linear to 0; evaluated with SSIM, FID, IS and LPIPS (docs/evaluation.md).
_base_ = [
    '_base_/models/ratenet.py',
    '_base_/datasets/deepfashion_256x176.py',
    '_base_/schedules/radam_40k-cycles.py',
    '_base_/evaluation.py',
    '_base_/default_runtime.py',
]

custom_hooks = [
    dict(type='RandomStateHook'),
    dict(type='AdaptiveCPUThreadsHook'),
    dict(type='PoseTransferVisualizationHook', interval=1000, num_samples=4),
]
