from .distributed import (RATESeparateDistributedDataParallel,
                          distributed_run, init_cpu_distributed)
from .cpu_threads_hook import AdaptiveCPUThreadsHook
from .curves_hook import TrainingCurvesHook, plot_curves
from .checkpoint_hooks import RandomStateHook, StrictCheckpointLoadHook
from .optim_wrappers import AnyDeviceAmpOptimWrapper
from .rate_loop import PAPER_CYCLE, RATELoop, TrainingDivergedError
from .visualization_hook import PoseTransferVisualizationHook

__all__ = [
    'AdaptiveCPUThreadsHook', 'AnyDeviceAmpOptimWrapper', 'PAPER_CYCLE',
    'PoseTransferVisualizationHook', 'RATELoop',
    'RATESeparateDistributedDataParallel', 'RandomStateHook',
    'StrictCheckpointLoadHook', 'TrainingCurvesHook', 'TrainingDivergedError',
    'distributed_run', 'init_cpu_distributed', 'plot_curves'
]
