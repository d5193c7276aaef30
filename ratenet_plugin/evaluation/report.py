"""A results table and a JSON file for tools/test.py and tools/score_folder.py.

Metric keys are ``<prefix>/<name>`` (``final/SSIM``, ``coarse/LPIPS``); the
table has one row per prefix (which images were scored) and one column per
metric name (which number, under which protocol).

MMagic's ``MultiTestLoop.run`` returns nothing (``runner.test()`` gives
``None``); the metrics reach hooks only, so :class:`ResultsReportHook` catches
them in ``after_test_epoch``.
"""
import os.path as osp
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence, Union

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import Runner

from ratenet_plugin.fileio.json_file import write_json
from ratenet_plugin.registry import HOOKS

# Column order; names not listed follow in the order first seen.
_COLUMNS = ('SSIM', 'SSIM-padded', 'IS', 'IS-padded', 'FID', 'LPIPS', 'IS_std',
            'IS-padded_std')
_HIGHER_IS_BETTER = {
    'SSIM': True,
    'SSIM-padded': True,
    'IS': True,
    'IS-padded': True,
    'FID': False,
    'LPIPS': False,
    'PSNR': True,
    'MAE': False,
    'MS-SSIM': True,
    'GMSD': False,
    'HaarPSI': True,
    **{
        f'garment_{kind}{part}': False
        for kind in ('colour', 'texture') for part in ('', '_upper', '_lower')
    },
}


def metrics_table(metrics: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    """Split ``{'<prefix>/<name>': value}`` into ``{prefix: {name: value}}``.

    Keys without a prefix go to the row ``''``.
    """
    table: Dict[str, Dict[str, Any]] = OrderedDict()
    for key, value in metrics.items():
        row, _, name = key.rpartition('/')
        table.setdefault(row, OrderedDict())[name] = value
    return table


def format_table(metrics: Dict[str, Any]) -> str:
    """A Markdown table of the metrics, one row per prefix.

    Args:
        metrics (dict): ``{'<prefix>/<name>': value}`` as MMagic's evaluator
            returns them.

    Returns:
        str: The table; an arrow after each column name says which way is
        better.
    """
    table = metrics_table(metrics)
    names = [c for c in _COLUMNS if any(c in row for row in table.values())]
    for row in table.values():
        names += [n for n in row if n not in names]
    header = ['images'] + [
        name + {
            True: ' ↑',
            False: ' ↓'
        }.get(_HIGHER_IS_BETTER.get(name), '') for name in names
    ]
    lines = [header, ['---'] * len(header)]
    for row_name, row in table.items():
        lines.append([row_name or '-'] +
                     [_format_value(row.get(name)) for name in names])
    return '\n'.join('| ' + ' | '.join(cells) + ' |' for cells in lines)


def _format_value(value: Any) -> str:
    if value is None:
        return ''
    # Some MMagic metrics (MAE, MSE) return 0-d tensors or NumPy scalars.
    if hasattr(value, 'item') and getattr(value, 'ndim', 0) == 0:
        value = value.item()
    if isinstance(value, float):
        return f'{value:.4f}'
    return str(value)


def report_results(metrics: Dict[str, Any],
                   out_file: Optional[Union[str, Sequence[str]]] = None,
                   **meta: Any) -> str:
    """Log the results table and write the results as JSON (rank 0 only).

    Args:
        metrics (dict): ``{'<prefix>/<name>': value}``.
        out_file (str | list[str], optional): JSON path (or several, each
            written alike); its directory is created.
        **meta: Extra JSON fields, e.g. ``config=``, ``checkpoint=``,
            ``evaluator=`` (the metric configs: the protocol).

    Returns:
        str: The table.

    The JSON holds ``metrics`` (flat, as the evaluator returned them),
    ``table`` (``{prefix: {name: value}}``) and ``meta``.
    """
    text = format_table(metrics)
    if not is_main_process():
        return text
    print_log('Results\n' + text, logger='current')
    payload = dict(
        metrics=dict(metrics), table=metrics_table(metrics), meta=meta)
    for path in ([out_file] if isinstance(out_file, str) else out_file or []):
        write_json(path, payload)
        print_log(f'Results written to {path}', logger='current')
    return text


@HOOKS.register_module()
class ResultsReportHook(Hook):
    """After testing, log the results table and write the results as JSON.

    Args:
        out_file (str, optional): JSON path; ``None`` =
            ``<work_dir>/test_results.json`` (the latest test of the work
            dir), with a copy in the run's own
            ``<work_dir>/<timestamp>/test_results.json``, so that testing
            another checkpoint in the same work dir loses nothing.
        **meta: Extra JSON fields (e.g. ``checkpoint=``). The runner's
            ``test_evaluator`` config is added as ``evaluator``, which states
            the protocol of every number.

    Attributes:
        metrics (dict): The last test's ``{'<prefix>/<name>': value}``.
    """

    priority = 'LOW'

    def __init__(self, out_file: Optional[str] = None, **meta: Any) -> None:
        self.out_file = out_file
        self.meta = meta
        self.metrics: Dict[str, Any] = {}

    def after_test_epoch(self,
                         runner,
                         metrics: Optional[Dict[str, Any]] = None) -> None:
        self.metrics = dict(metrics or {})
        out_files = [self.out_file] if self.out_file else [
            osp.join(runner.work_dir, 'test_results.json'),
            osp.join(runner.log_dir, 'test_results.json')
        ]
        meta = dict(self.meta)
        meta.setdefault('evaluator', runner.cfg.get('test_evaluator'))
        meta.setdefault('data', tested_data(runner.test_loop))
        report_results(self.metrics, out_files, **meta)


def tested_data(loop) -> List[Dict[str, Any]]:
    """What a test loop scored, per dataloader: the dataset's type, files
    and number of samples (a set that lost pairs when it was prepared, or
    the dataset's own drops, shows here, not only in a log that scrolled
    by)."""
    loaders = getattr(loop, 'dataloaders', None) or [loop.dataloader]
    described = []
    for loader in loaders:
        dataset = loader.dataset
        described.append(dict(
            dataset=type(dataset).__name__,
            data_root=getattr(dataset, 'data_root', None),
            ann_file=getattr(dataset, 'ann_file', None),
            pairs_file=getattr(dataset, 'pairs_file', None),
            samples=len(dataset)))
    return described


def run_test_with_report(runner: Runner,
                         out_file: Optional[str] = None,
                         **meta: Any) -> Dict[str, Any]:
    """``runner.test()`` with a :class:`ResultsReportHook`; returns metrics.

    Uses the config's ``ResultsReportHook`` if it has one, else registers one
    with ``out_file`` and ``meta``.
    """
    hooks = [h for h in runner.hooks if isinstance(h, ResultsReportHook)]
    if not hooks:
        hooks = [ResultsReportHook(out_file, **meta)]
        runner.register_hook(hooks[0])
    runner.test()
    return hooks[0].metrics
