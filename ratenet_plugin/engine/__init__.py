from .distributed import (RATESeparateDistributedDataParallel,
                          init_cpu_distributed)
from .hooks import RandomStateHook
from .rate_loop import PAPER_CYCLE, RATELoop
from .visualization_hook import PoseTransferVisualizationHook

__all__ = [
    'PAPER_CYCLE', 'PoseTransferVisualizationHook', 'RATELoop',
    'RATESeparateDistributedDataParallel', 'RandomStateHook',
    'init_cpu_distributed'
]
