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



def _metrics(prefix, image_key, padded=True, is_splits=10):
    """The metrics of one image: prefix 'final' (image_key 'pred_img') or
    'coarse' ('coarse_img'); `padded` adds SSIM-padded and IS-padded."""
    return [
        dict(type=ssim, prefix=prefix, gt_key='gt_img', pred_key=image_key)
        for ssim in (('SSIM', 'PaddedSSIM') if padded else ('SSIM', ))
    ] + [
        dict(
            type='LPIPS',
            prefix=prefix,
            gt_key='gt_img',
            pred_key=image_key,
            net='alex',
            backbone_path=None),
        dict(
            type='PoseTransferFID',
            prefix=prefix,
            fake_nums=-1,
            fake_key=image_key,
            real_key='gt_img',
            real_stats=None,
            inception_style='PyTorch',
            inception_path=None),
    ] + [
        dict(
            type='PoseTransferIS',
            prefix=prefix,
            fake_nums=-1,
            fake_key=image_key,
            splits=is_splits,
            pad_to_square=pad,
            inception_style='PyTorch',
            inception_path=None)
        for pad in ((False, True) if padded else (False, ))
    ]


final_metrics = _metrics('final', 'pred_img')
coarse_metrics = _metrics('coarse', 'coarse_img')

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
    metrics=_metrics('final', 'pred_img', padded=False, is_splits=1))

# Testing: every number for the final and the coarse image (the test set
# needs at least `splits`=10 samples).
test_evaluator = dict(
    type='Evaluator',
    metrics=final_metrics + coarse_metrics + weight_free_metrics)
