"""Evaluate a checkpoint with the config's test dataloader and evaluator.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out results.json]
    python tools/test.py CONFIG CHECKPOINT --grid grid.png   # + the grid the
        # training's visualisation hook draws, on the test set's samples
    bash tools/dist_test.sh CONFIG CHECKPOINT 8      # --launcher pytorch
"""
import argparse
import os
from datetime import datetime, timezone
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import _bootstrap  # noqa: E402  (repo on sys.path, OpenMP and malloc defaults)

with _bootstrap.heavy_imports():
    from mmengine.config import Config, DictAction
    from mmengine.dist import is_main_process
    from mmengine.runner import Runner

    from ratenet_plugin.engine import distributed_run
    from ratenet_plugin.engine.visualization_hook import (render_grid,
                                                          select_batch)
    from ratenet_plugin.evaluation import run_test_with_report
    from ratenet_plugin.fileio.checkpoint_file import check_checkpoint_path
    from ratenet_plugin.fileio.image_file import IMAGE_EXTENSIONS, write_image
    from ratenet_plugin.utils.arguments import (file_to_write,
                                                folder_to_write, int_at_least,
                                                path_ending_in)
    from ratenet_plugin.utils.cli import run_tool
    from ratenet_plugin.utils.config import import_plugin, load_config
    from ratenet_plugin.utils.config_errors import naming_config_keys


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (and eval) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir', type=folder_to_write,
        help='the directory to save evaluation results and logs')
    parser.add_argument(
        '--out',
        type=file_to_write,
        help='JSON file for the metrics (default: <work_dir>/test_results.json)')
    parser.add_argument(
        '--grid',
        type=path_ending_in(IMAGE_EXTENSIONS),
        help='also write the pose-transfer grid (source | target pose | '
        'coarse | residual | final | ground truth) of test samples spread '
        'over the test set to this PNG')
    parser.add_argument(
        '--grid-rows', type=int_at_least(1), default=6, help='rows of --grid')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, key=value')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def build_config(args: argparse.Namespace) -> Config:
    # ~ expanded, for MMEngine's load_from and the results' file identity.
    args.checkpoint = check_checkpoint_path(args.checkpoint)
    cfg = load_config(args.config, args.cfg_options, args.work_dir,
                      args.launcher, needs=('testing', ))
    cfg.load_from = args.checkpoint
    import_plugin(cfg)
    return cfg


def main(argv=None) -> dict:
    args = parse_args(argv)
    cfg = build_config(args)
    # MMEngine's init_dist needs CUDA: on the CPU start the gloo group here;
    # every rank ends it once testing is over.
    with distributed_run(cfg), naming_config_keys(cfg):
        runner = Runner.from_cfg(cfg)
        # MultiTestLoop returns no metrics; a hook logs the table and writes
        # JSON.
        # Which file was scored, so that a results file is not read as the
        # scores of a checkpoint written later at the same path.
        stat = os.stat(args.checkpoint)
        metrics = run_test_with_report(
            runner, args.out, config=args.config, checkpoint=args.checkpoint,
            checkpoint_bytes=stat.st_size,
            checkpoint_modified=datetime.fromtimestamp(
                stat.st_mtime, timezone.utc).isoformat(timespec='seconds'))
        if args.grid and is_main_process():  # one writer (dist_test.sh)
            grid = render_grid(
                runner.model,
                select_batch(runner.test_dataloader, args.grid_rows))
            os.makedirs(osp.dirname(osp.abspath(args.grid)), exist_ok=True)
            write_image(args.grid, grid)
            print(f'grid written to {args.grid}')
    return metrics


if __name__ == '__main__':
    run_tool(main)
