"""Score a folder of generated images (any method's) under our protocol.

    python tools/score_folder.py GEN_DIR GT_DIR [--pairs PAIRS_CSV]
        [--layout auto|single|patn|side-by-side|square] [--panel N]
        [--eval-config CONFIG] [--metrics SSIM PSNR ...] [--out x.json]

Generated images are paired with ground truth by file name (``B.png``,
``A___B_vis.jpg``, ``A_2_B_vis.png``; A = source, B = target, as in the pairs
CSV), the generated panel is cut out of strips (PATN's 5 panels, side-by-side
images: the last panel), and the pairs are scored by MMagic's evaluator with
the metric configs of ``configs/ratenet/_base_/evaluation.py``'s
``final_metrics`` (the paper's protocol) or, with ``--eval-config`` a model
config (e.g. the demo's), its ``test_evaluator``'s metrics of the final
image, the weight-free ones included: the numbers ``tools/test.py`` reports
for our model with that config.

FID's reference set: by default the ground truth of the scored pairs; with
``--fid-real-dir DIR`` the images in DIR (e.g. the training set, as
GFLA/CFLD-style papers do), saved with ``--save-fid-stats x.npz`` and reused
with ``--fid-real-stats x.npz``. See docs/evaluation.md.
"""
import argparse
import logging
import os.path as osp
import sys
import tempfile
from typing import List, Optional

from mmengine.logging import print_log

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from ratenet_plugin.evaluation import (  # noqa: E402
    LAYOUTS,
    RESULT_NAMES,
    match_generated,
    reference_statistics,
    report_results,
    result_name,
    save_fid_stats,
    score_pairs)
from ratenet_plugin.fileio.errors import UserInputError  # noqa: E402
from ratenet_plugin.fileio.image_file import list_images  # noqa: E402
from ratenet_plugin.utils.arguments import (file_to_write,  # noqa: E402
                                            int_at_least, torch_device)
from ratenet_plugin.utils.cli import run_tool  # noqa: E402
from ratenet_plugin.utils.config import read_config  # noqa: E402

DEFAULT_EVAL_CONFIG = osp.join(
    osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs', 'ratenet',
    '_base_', 'evaluation.py')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Score generated images against ground truth')
    parser.add_argument('gen_dir', help='folder of generated images/strips')
    parser.add_argument('gt_dir', help='folder of real (target) images')
    parser.add_argument(
        '--pairs',
        help='pairs CSV (from,to; read as the dataset reads it): score '
        'only these pairs '
        'and report the ones without a generated image')
    parser.add_argument(
        '--layout',
        choices=LAYOUTS,
        default='auto',
        help='how generated images are stored (default: auto)')
    parser.add_argument(
        '--panel',
        type=int_at_least(0),
        help='index of the generated panel in a strip '
        '(default: the last)')
    parser.add_argument(
        '--metrics',
        nargs='+',
        choices=RESULT_NAMES,
        help='which numbers (default: all of the config)')
    parser.add_argument(
        '--name', help='row name in the table (default: GEN_DIR basename)')
    parser.add_argument(
        '--eval-config',
        default=DEFAULT_EVAL_CONFIG,
        help="config whose `final_metrics` (the protocol file's) or else "
        "test_evaluator's metrics of the final image (prefix 'final') "
        'define the protocol (default: configs/ratenet/_base_/evaluation.py; '
        "a model config, e.g. the demo's, scores with its own test metrics)")
    parser.add_argument('--lpips-net', choices=('alex', 'vgg'))
    parser.add_argument('--lpips-backbone', help='LPIPS backbone weights')
    parser.add_argument(
        '--fid-inception',
        help='FID Inception weights '
        '(pt_inception-2015-12-05-6726825d.pth)')
    parser.add_argument(
        '--is-inception',
        help='IS Inception weights (inception_v3_google-0cc3c7bd.pth)')
    parser.add_argument('--is-splits', type=int_at_least(1), help='IS splits')
    reference = parser.add_mutually_exclusive_group()
    reference.add_argument(
        '--fid-real-stats', help='FID reference statistics (.npz, mu/sigma)')
    reference.add_argument(
        '--fid-real-dir', help='FID reference: all images in this folder')
    parser.add_argument(
        '--save-fid-stats', help='save the --fid-real-dir statistics (.npz)')
    parser.add_argument('--batch-size', type=int_at_least(1), default=8)
    parser.add_argument('--num-workers', type=int_at_least(0), default=0)
    parser.add_argument('--device', type=torch_device, default='cpu',
                        help='cpu, cuda or cuda:N (default: cpu)')
    parser.add_argument('--out', type=file_to_write,
                        help='JSON file for the results')
    args = parser.parse_args(argv)
    if args.save_fid_stats and not args.fid_real_dir:
        parser.error('--save-fid-stats needs --fid-real-dir')
    return args


def metric_configs(args: argparse.Namespace) -> List[dict]:
    """The config's test metrics of the final image, with the command
    line's choices."""
    cfg = read_config(args.eval_config)
    if 'final_metrics' in cfg:  # the protocol file, _base_/evaluation.py
        listed = cfg.final_metrics
    else:
        evaluator = cfg.get('test_evaluator') or {}
        listed = evaluator.get('metrics', []) \
            if isinstance(evaluator, dict) else evaluator
    final = [m for m in listed if m.get('prefix') == 'final']
    if not final:
        raise UserInputError(
            f'{args.eval_config} has no test_evaluator metric of the final '
            "image (prefix 'final'); give a model config or "
            'configs/ratenet/_base_/evaluation.py')
    offered = [result_name(m) for m in final]
    asked = [n for n in args.metrics or [] if n not in offered]
    if asked:
        raise UserInputError(
            f'--metrics {" ".join(asked)}: not among the test metrics of the '
            f'final image in {args.eval_config} ({", ".join(offered)}); pass '
            '--eval-config with a config that has them')
    name = args.name or osp.basename(osp.normpath(args.gen_dir))
    overrides = {
        'LPIPS':
        dict(net=args.lpips_net, backbone_path=args.lpips_backbone),
        'FID':
        dict(
            inception_path=args.fid_inception, real_stats=args.fid_real_stats),
        'IS':
        dict(inception_path=args.is_inception, splits=args.is_splits),
    }
    overrides['IS-padded'] = overrides['IS']
    metrics = []
    for metric in final:
        metric = metric.to_dict() if hasattr(metric, 'to_dict') \
            else dict(metric)
        result = result_name(metric)
        if args.metrics and result not in args.metrics:
            continue
        metric['prefix'] = name
        metric.update({
            k: v
            for k, v in overrides.get(result, {}).items() if v is not None
        })
        metrics.append(metric)
    return metrics


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    metrics = metric_configs(args)
    matched = match_generated(args.gen_dir, args.gt_dir, args.pairs)
    print_log(
        f'{len(matched.pairs)} generated images paired with ground truth; '
        f'{len(matched.unmatched)} unmatched, {len(matched.duplicates)} '
        f'duplicates, {len(matched.missing)} pairs without an image',
        logger='current')
    for label, items in (('unmatched', matched.unmatched),
                         ('duplicate', matched.duplicates),
                         ('missing pair', matched.missing)):
        for item in items[:5]:
            print_log(f'  {label}: {item}', logger='current')
    if matched.shared:
        stand_for = sum(count for _, count in matched.shared)
        print_log(
            f'warning: {len(matched.shared)} images named by their target '
            f'alone stand for {stand_for} pairs of {args.pairs} (a target of '
            'several pairs): each is scored once, so those pairs count once '
            'each; name the images by pair (A___B.png) to score every pair '
            f'(e.g. {matched.shared[0][0]}: {matched.shared[0][1]} pairs)',
            logger='current', level=logging.WARNING)
    with tempfile.TemporaryDirectory() as scratch:
        fid = [m for m in metrics if m['type'] == 'PoseTransferFID']
        if args.fid_real_dir and fid:
            stats_file = args.save_fid_stats or osp.join(scratch, 'real.npz')
            save_fid_stats(
                stats_file,
                *reference_statistics(
                    list_images(args.fid_real_dir),
                    fid[0],
                    batch_size=args.batch_size,
                    device=args.device))
            for metric in fid:
                metric['real_stats'] = stats_file
        results = score_pairs(
            matched.pairs,
            metrics,
            layout=args.layout,
            panel=args.panel,
            batch_size=args.batch_size,
            num_workers=args.num_workers,
            device=args.device)
    if any(
            key.endswith(('/SSIM', '/SSIM-padded')) and value > 0.999
            for key, value in results.items()):
        print_log(
            'SSIM is ~1: the scored panel looks like the ground truth '
            'itself; check --layout/--panel',
            logger='current')
    report_results(
        results,
        args.out,
        gen_dir=args.gen_dir,
        gt_dir=args.gt_dir,
        pairs=args.pairs,
        layout=args.layout,
        panel=args.panel,
        num_pairs=len(matched.pairs),
        unmatched=matched.unmatched,
        duplicates=matched.duplicates,
        missing_pairs=matched.missing,
        target_named_for_several_pairs=matched.shared,
        fid_real_dir=args.fid_real_dir,
        metric_configs=metrics)
    return results


if __name__ == '__main__':
    run_tool(main)
