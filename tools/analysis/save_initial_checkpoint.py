"""Save a config's freshly initialised model as a checkpoint.

The "before training" baseline of a learning check: the Runner builds and
initialises the model exactly as ``tools/train.py`` does (same seed), and
``tools/test.py CONFIG OUT`` then scores it.

    python tools/analysis/save_initial_checkpoint.py configs/ratenet/ratenet_demo_1xb4-1600cycles_synthetic-64x44.py init.pth
"""
import argparse
import os.path as osp
import sys
import tempfile

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmengine.runner import Runner  # noqa: E402

from ratenet_plugin.fileio.checkpoint_file import \
    write_checkpoint  # noqa: E402
from ratenet_plugin.utils.cli import run_tool  # noqa: E402
from ratenet_plugin.utils.config import (import_plugin,  # noqa: E402
                                         read_config)
from ratenet_plugin.utils.config_errors import (  # noqa: E402
    naming_config_keys)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('out', help='checkpoint file to write')
    args = parser.parse_args(argv)
    cfg = read_config(args.config)
    cfg.work_dir = tempfile.mkdtemp(prefix='initial_checkpoint_')
    import_plugin(cfg)
    with naming_config_keys(cfg):
        runner = Runner.from_cfg(cfg)
        runner._init_model_weights()
    write_checkpoint(
        dict(meta=dict(iter=0), state_dict=runner.model.state_dict()),
        args.out)
    print(f'initial weights of {args.config} saved to {args.out}')


if __name__ == '__main__':
    run_tool(main)
