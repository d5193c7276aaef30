"""Speed of a RATE-Net config: training cycles, inference, data pipeline.

    python tools/benchmark.py configs/ratenet/ratenet_full_1xb7-40kcycles_deepfashion-256x176.py
    python tools/benchmark.py CONFIG --options fp32 bf16 channels_last \\
        compile bf16+channels_last+compile --infer-batch-sizes 1 8 32
    python tools/benchmark.py CONFIG --device cpu --batch-size 1 \\
        --train-repeats 2 --out work_dirs/benchmark/paper_cpu.json

Every option (fast paths joined by ``+``; ``fp32`` the eager float32
baseline) is built afresh and timed in one run: training cycles through the
same function as ``RATELoop``, inference batches, counted FLOPs and MFU, the
data pipeline, the schedule's time and cost; every figure is also reported
as a ratio to ``fp32``. The measuring code is ``ratenet_plugin.analysis``
(see its ``benchmark`` module and docs/benchmarks.md); this script parses
the flags, prints the tables and writes the JSON (``--out``).
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import _bootstrap  # noqa: E402,F401  (repo on sys.path, OpenMP, malloc)

from mmengine.config import DictAction  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402

from ratenet_plugin.analysis import (BenchmarkSettings,  # noqa: E402
                                     print_report, run_benchmark)
from ratenet_plugin.analysis.options import (image_size,  # noqa: E402
                                             option_argument)
from ratenet_plugin.analysis.patn_timing import (PATNReference,  # noqa: E402
                                                 patn_fits)
from ratenet_plugin.fileio.json_file import write_json  # noqa: E402
from ratenet_plugin.utils.arguments import (compile_mode,  # noqa: E402
                                            file_to_write, int_at_least,
                                            number_in, torch_device)
from ratenet_plugin.utils.cli import run_tool  # noqa: E402
from ratenet_plugin.utils.config import (import_plugin,  # noqa: E402
                                         read_config)
from ratenet_plugin.utils.config_errors import (  # noqa: E402
    naming_config_keys)

#: Flags that are not benchmark settings.
NOT_SETTINGS = ('config', 'out', 'cfg_options', 'no_patn')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Benchmark a RATE-Net config (training, inference, data)')
    parser.add_argument('config')
    parser.add_argument(
        '--options',
        nargs='+',
        type=option_argument,
        default=None,
        help='options to measure, fast paths joined by "+" (fp32, bf16, '
        'fp16, channels_last, compile, cudnn_benchmark, winograd: '
        'inference only); fp32 is always measured first. Default: all that '
        'apply to the device')
    parser.add_argument(
        '--train-options',
        nargs='+',
        type=option_argument,
        default=None,
        help='measure training only for these of --options (default: all; '
        'fp32 always); the others get inference figures only')
    parser.add_argument('--device', type=torch_device, default=None,
                        help='cpu or cuda (default: cuda if there is one, '
                        'else cpu; CUDA_VISIBLE_DEVICES picks the GPU)')
    parser.add_argument(
        '--batch-size',
        type=int_at_least(1),
        default=None,
        help='training batch (default: the config\'s)')
    parser.add_argument('--train-warmup', type=int_at_least(0), default=None)
    parser.add_argument(
        '--train-repeats', type=int_at_least(1), default=None)
    parser.add_argument(
        '--infer-batch-sizes', type=int_at_least(1), nargs='+', default=None)
    parser.add_argument('--infer-warmup', type=int_at_least(0), default=None)
    parser.add_argument(
        '--infer-repeats', type=int_at_least(1), default=None)
    parser.add_argument(
        '--compile-mode',
        type=compile_mode,
        default=None,
        help='torch.compile mode for the compile option (default: '
        'PyTorch\'s)')
    parser.add_argument(
        '--data-samples',
        type=int_at_least(0),
        default=64,
        help='samples timed through the pipeline (0: skip the data part)')
    parser.add_argument(
        '--loader-batches',
        type=int_at_least(0),
        default=20,
        help='batches drawn through a DataLoader with the config\'s '
        'workers (0: skip)')
    parser.add_argument(
        '--peak-tflops',
        type=number_in(0, low_open=True),
        default=None,
        help='override the device peak used for MFU')
    parser.add_argument(
        '--gpu-hour-price',
        type=number_in(0),
        default=3.0,
        help='price of one GPU-hour for the cost figures (default 3.0, an '
        'assumed on-demand H100 price)')
    parser.add_argument(
        '--assumed-mfu',
        type=number_in(0, 1, low_open=True),
        nargs='+',
        default=[0.3, 0.4],
        help='MFUs assumed for the FLOP-based estimates on unmeasured GPUs')
    parser.add_argument(
        '--scaling-efficiency',
        type=number_in(0, 1, low_open=True),
        default=0.9,
        help='assumed data-parallel efficiency for the 8-GPU estimate')
    parser.add_argument(
        '--no-patn',
        action='store_true',
        help='do not time PATN in the same run (by default RATE-Net\'s fp32 '
        'cycle and inference times are also reported as ratios to PATN\'s, '
        'when the image sides are multiples of 4)')
    parser.add_argument('--out', type=file_to_write, default=None,
                        help='JSON output file')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, default=None)
    args = parser.parse_args(argv)
    unmeasured = [o for o in args.train_options or []
                  if o != 'fp32' and args.options and o not in args.options]
    if unmeasured:
        parser.error(f'--train-options {" ".join(unmeasured)}: not among '
                     '--options, so never measured; add them there')
    if args.device is not None and ':' in args.device:
        # Its options, defaults and synchronisation go by the device type.
        parser.error(f'--device {args.device}: the benchmark takes cpu or '
                     'cuda; choose the GPU with CUDA_VISIBLE_DEVICES=N')
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    cfg = read_config(args.config, args.cfg_options)
    import_plugin(cfg)
    init_default_scope(cfg.get('default_scope', 'mmagic'))
    settings = BenchmarkSettings(**{
        key: value
        for key, value in vars(args).items() if key not in NOT_SETTINGS
    })
    references = [] if args.no_patn or not patn_fits(*image_size(cfg)) \
        else [PATNReference()]
    with naming_config_keys(cfg):
        report = run_benchmark(
            cfg, settings, config_name=args.config, references=references)
    print_report(report)
    device = report['environment']['device']
    out = args.out or osp.join(
        'work_dirs', 'benchmark',
        f'{osp.splitext(osp.basename(args.config))[0]}_{device}.json')
    write_json(out, report)
    print(f'\nJSON: {out}')
    return report


if __name__ == '__main__':
    run_tool(main)
