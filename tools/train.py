"""Train a model with MMEngine's Runner; the flags follow MMagic's tools/train.py.

    python tools/train.py configs/ratenet/ratenet_demo-pat32x22_1xb4-1800cycles_synthetic-64x44.py
    python tools/train.py CONFIG --work-dir work_dirs/x --resume [CHECKPOINT]
    bash tools/dist_train.sh CONFIG 8           # --launcher pytorch
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import _bootstrap  # noqa: E402  (repo on sys.path, OpenMP and malloc defaults)

with _bootstrap.heavy_imports():
    from mmengine.config import Config, DictAction
    from mmengine.runner import Runner

    from ratenet_plugin.engine import distributed_run
    from ratenet_plugin.utils.arguments import compile_mode, folder_to_write
    from ratenet_plugin.utils.cli import run_tool
    from ratenet_plugin.utils.config import (apply_fast_paths, compile_option,
                                             enable_auto_scale_lr,
                                             enable_fast_paths, import_plugin,
                                             load_config, set_resume)
    from ratenet_plugin.utils.config_errors import naming_config_keys


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', type=folder_to_write,
                        help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or, with no value, from the '
        'latest checkpoint in the work dir (an error if there is none)')
    parser.add_argument(
        '--amp',
        action=argparse.BooleanOptionalAction,
        default=None,
        help='automatic mixed precision (AnyDeviceAmpOptimWrapper: '
        'float16 or bfloat16 on a GPU, bfloat16 on CPU); --no-amp: float32. '
        "Default: the config's fast_paths (auto: bf16 on CPUs with native "
        'bf16, docs/benchmarks.md)')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the learning rates linearly to the total batch size '
        '(processes x batch size) from the one they were set for: the '
        "config's auto_scale_lr.base_batch_size, else its batch size")
    parser.add_argument(
        '--amp-dtype',
        choices=['float16', 'bfloat16'],
        default=None,
        help='autocast dtype for --amp (default: float16 with dynamic loss '
        'scaling on a GPU, bfloat16 on CPU)')
    parser.add_argument(
        '--channels-last',
        action=argparse.BooleanOptionalAction,
        default=None,
        help="channels_last weights (model.channels_last). Default: the "
        "config's fast_paths (auto: on for CPU runs)")
    parser.add_argument(
        '--compile',
        nargs='?',
        const='default',
        type=compile_mode,
        default=None,
        metavar='MODE',
        help='torch.compile the networks (model.torch_compile); MODE is a '
        'torch.compile mode, e.g. max-autotune-no-cudagraphs')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, key=value (e.g. '
        'train_cfg.max_iters=100)')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torch.distributed.launch passes --local-rank (torch >= 2.0) or
    # --local_rank (older); torchrun sets LOCAL_RANK instead.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def build_config(args: argparse.Namespace) -> Config:
    cfg = load_config(args.config, args.cfg_options, args.work_dir,
                      args.launcher, needs=('training', ))
    apply_fast_paths(
        cfg,
        amp=args.amp,
        channels_last=args.channels_last,
        amp_dtype=args.amp_dtype)
    enable_fast_paths(cfg, torch_compile=compile_option(args.compile))
    set_resume(cfg, args.resume)
    if args.auto_scale_lr:
        enable_auto_scale_lr(cfg, args.config)
    import_plugin(cfg)
    return cfg


def main(argv=None) -> None:
    args = parse_args(argv)
    cfg = build_config(args)
    # MMEngine's init_dist needs CUDA: on the CPU start the gloo group here;
    # every rank ends it once training is over.
    with distributed_run(cfg), naming_config_keys(cfg):
        runner = Runner.from_cfg(cfg)
        if __name__ == '__main__':  # the process's own script, not a test
            _bootstrap.freeze_long_lived()
        runner.train()


if __name__ == '__main__':
    run_tool(main)
