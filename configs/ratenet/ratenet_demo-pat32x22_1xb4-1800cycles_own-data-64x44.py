# The main job's model and recipe (recipe N,
# ratenet_demo-pat32x22_1xb4-1800cycles_synthetic-64x44.py) on your own data
# in PATN's format (docs/inference.md, training on your photos): images and keypoints of
# image_size (H, W) under data_root, nothing generated. Without the synthetic
# set's garment labels, the garment colour and texture figures are left out
# of the evaluation and of the curves. Point it elsewhere with
#   --cfg-options data_root=data/my_people "image_size=(128,88)"
_base_ = ['ratenet_demo-pat32x22_1xb4-1800cycles_synthetic-64x44.py']

data_root = 'data/own_people'
synthetic = None
_datasets = dict(dataset=dict(data_root=data_root, synthetic=synthetic))
train_dataloader = _datasets
val_dataloader = _datasets
test_dataloader = _datasets

_images = (('final', 'pred_img'), ('coarse', 'coarse_img'))
_metrics = [
    dict(type=metric, prefix=prefix, gt_key='gt_img', pred_key=key)
    for metric in ('SSIM', 'PSNR', 'MAE', 'GMSD', 'HaarPSI')
    for prefix, key in _images
] + [
    dict(type='PairedMSSSIM', prefix=prefix, gt_key='gt_img', pred_key=key,
         num_scales=None) for prefix, key in _images
]
val_evaluator = dict(type='Evaluator', metrics=_metrics)
test_evaluator = val_evaluator

val_interval = 600
custom_hooks = [
    dict(type='RandomStateHook'),
    dict(type='AdaptiveCPUThreadsHook'),
    dict(
        type='PoseTransferVisualizationHook',
        interval=val_interval,
        num_samples=6),
    dict(
        type='TrainingCurvesHook',
        interval=50,
        metric_keys=[
            'final/SSIM', 'coarse/SSIM', 'final/PSNR', 'final/HaarPSI',
            'final/GMSD'
        ]),
]
