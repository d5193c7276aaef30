# Evaluation protocol of ratenet-plugin (docs/evaluation.md explains each
# choice). Result keys are '<images>/<metric>': images 'final' (the output
# I_t~, `pred_img`) or 'coarse' (the pose-transfer output I_co~, `coarse_img`,
# the paper's "Ours Coarse" row); metrics:
#   SSIM         MMagic's SSIM at native size (256x176): 11x11 Gaussian window,
#                sigma 1.5, data range 255, mean over RGB channels.
#   SSIM-padded  the same after padding both images with white to 256x256
#                (PATN's protocol, which the paper's Table 1 numbers follow).
#   LPIPS        lpips v0.1, AlexNet backbone.
#   FID          pytorch-fid Inception (MMagic's 'PyTorch' style), pool3
#                features; reference = ground truth of the evaluated pairs
#                (real_stats=None) or fixed statistics from an .npz file.
#   IS / IS-padded  torchvision Inception-v3 (MMagic's 'PyTorch' style),
#                10 splits; IS-padded pads to 256x256 with white first (PATN).
# Weight-free (need no downloaded network; ratenet_plugin/evaluation/
# piq_metrics.py):
#   MS-SSIM      piq's multi-scale SSIM, 5 scales, 11x11 window (>= 161 px).
#   GMSD         piq's gradient magnitude similarity deviation (lower better).
#   HaarPSI      piq's Haar wavelet perceptual similarity (higher better).
# Synthetic set only (`synthetic_metrics`; needs its garment label images):
#   garment_colour / garment_texture  GarmentFidelity: mean-colour error and
#                band-energy distance inside the ground truth's garments.
# Pretrained files: `backbone_path` / `inception_path` = None looks in
# $TORCH_HOME/hub/checkpoints (docs/evaluation.md lists the files); a missing
# file raises an error naming it. Nothing is downloaded.
# fake_nums=-1 scores every sample of the evaluation set (never more than it).

final_metrics = [
    dict(type='SSIM', prefix='final', gt_key='gt_img', pred_key='pred_img'),
    dict(
        type='PaddedSSIM',
        prefix='final',
        gt_key='gt_img',
        pred_key='pred_img'),
    dict(
        type='LPIPS',
        prefix='final',
        gt_key='gt_img',
        pred_key='pred_img',
        net='alex',
        backbone_path=None),
    dict(
        type='PoseTransferFID',
        prefix='final',
        fake_nums=-1,
        fake_key='pred_img',
        real_key='gt_img',
        real_stats=None,
        inception_style='PyTorch',
        inception_path=None),
    dict(
        type='PoseTransferIS',
        prefix='final',
        fake_nums=-1,
        fake_key='pred_img',
        splits=10,
        pad_to_square=False,
        inception_style='PyTorch',
        inception_path=None),
    dict(
        type='PoseTransferIS',
        prefix='final',
        fake_nums=-1,
        fake_key='pred_img',
        splits=10,
        pad_to_square=True,
        inception_style='PyTorch',
        inception_path=None),
]

coarse_metrics = [
    dict(type='SSIM', prefix='coarse', gt_key='gt_img', pred_key='coarse_img'),
    dict(
        type='PaddedSSIM',
        prefix='coarse',
        gt_key='gt_img',
        pred_key='coarse_img'),
    dict(
        type='LPIPS',
        prefix='coarse',
        gt_key='gt_img',
        pred_key='coarse_img',
        net='alex',
        backbone_path=None),
    dict(
        type='PoseTransferFID',
        prefix='coarse',
        fake_nums=-1,
        fake_key='coarse_img',
        real_key='gt_img',
        real_stats=None,
        inception_style='PyTorch',
        inception_path=None),
    dict(
        type='PoseTransferIS',
        prefix='coarse',
        fake_nums=-1,
        fake_key='coarse_img',
        splits=10,
        pad_to_square=False,
        inception_style='PyTorch',
        inception_path=None),
    dict(
        type='PoseTransferIS',
        prefix='coarse',
        fake_nums=-1,
        fake_key='coarse_img',
        splits=10,
        pad_to_square=True,
        inception_style='PyTorch',
        inception_path=None),
]

def _weight_free(prefix, key):
    return [
        dict(type='PairedMSSSIM', prefix=prefix, gt_key='gt_img',
             pred_key=key, num_scales=5),
        dict(type='GMSD', prefix=prefix, gt_key='gt_img', pred_key=key),
        dict(type='HaarPSI', prefix=prefix, gt_key='gt_img', pred_key=key),
    ]


weight_free_metrics = _weight_free('final', 'pred_img') + _weight_free(
    'coarse', 'coarse_img')
# For the synthetic set (its generator writes the garment labels).
synthetic_metrics = [
    dict(type='GarmentFidelity', prefix=prefix, gt_key='gt_img',
         pred_key=key)
    for prefix, key in (('final', 'pred_img'), ('coarse', 'coarse_img'))
]

# Validation during training: the four numbers on the final image, one pass
# over the val set; IS in one split so that any val set size works.
val_evaluator = dict(
    type='Evaluator',
    metrics=[
        dict(
            type='SSIM', prefix='final', gt_key='gt_img', pred_key='pred_img'),
        dict(
            type='LPIPS',
            prefix='final',
            gt_key='gt_img',
            pred_key='pred_img',
            net='alex',
            backbone_path=None),
        dict(
            type='PoseTransferFID',
            prefix='final',
            fake_nums=-1,
            fake_key='pred_img',
            real_key='gt_img',
            real_stats=None,
            inception_style='PyTorch',
            inception_path=None),
        dict(
            type='PoseTransferIS',
            prefix='final',
            fake_nums=-1,
            fake_key='pred_img',
            splits=1,
            pad_to_square=False,
            inception_style='PyTorch',
            inception_path=None),
    ])

# Testing: every number for the final and the coarse image (the test set
# needs at least `splits`=10 samples).
test_evaluator = dict(
    type='Evaluator',
    metrics=final_metrics + coarse_metrics + weight_free_metrics)
