"""Pose-pair transforms (registered in MMagic's ``TRANSFORMS``)."""
from .formatting import PackPoseInputs
from .geometric import PoseAwareFlip, ResizePadPose
from .loading import LoadPosePairFromFile
from .pipeline_errors import PosePipelineError
from .pose_condition import ConcatPoseCondition
from .pose_heatmap import (GeneratePoseHeatmap, keypoints_to_heatmaps,
                           keypoints_to_patn_heatmaps)

__all__ = [
    'ConcatPoseCondition', 'GeneratePoseHeatmap', 'LoadPosePairFromFile',
    'PackPoseInputs', 'PoseAwareFlip', 'PosePipelineError', 'ResizePadPose',
    'keypoints_to_heatmaps', 'keypoints_to_patn_heatmaps'
]
