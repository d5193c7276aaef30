"""DeepFashion pose data: dataset, pose transforms, synthetic data.

Importing this package registers ``DeepFashionPoseDataset`` in MMagic's
``DATASETS``, the pose transforms in its ``TRANSFORMS`` and
``ResumableInfiniteSampler`` in its ``DATA_SAMPLERS``. The file formats
live in :mod:`ratenet_plugin.fileio`; ``PoseDataError`` (defined in
:mod:`ratenet_plugin.fileio.patn_csv`) is re-exported here because the
dataset raises it.
"""
from .deepfashion_pose_dataset import DeepFashionPoseDataset
from ratenet_plugin.fileio.patn_csv import PoseDataError
from .keypoints import (COCO18_FLIP_INDEX, COCO18_LIMBS, COCO18_NAMES,
                        NUM_KEYPOINTS, flip_keypoints_horizontal, to_coco18)
from .resumable_infinite_sampler import ResumableInfiniteSampler
from .synthetic import (ensure_synthetic_deepfashion,
                        generate_synthetic_deepfashion)
from .transforms import (GeneratePoseHeatmap, LoadPosePairFromFile,
                         PackPoseInputs, PoseAwareFlip, ResizePadPose,
                         keypoints_to_heatmaps, keypoints_to_patn_heatmaps)

__all__ = [
    'COCO18_FLIP_INDEX', 'COCO18_LIMBS', 'COCO18_NAMES', 'NUM_KEYPOINTS',
    'DeepFashionPoseDataset', 'GeneratePoseHeatmap', 'LoadPosePairFromFile',
    'PackPoseInputs', 'PoseAwareFlip', 'PoseDataError', 'ResizePadPose',
    'ResumableInfiniteSampler', 'ensure_synthetic_deepfashion',
    'flip_keypoints_horizontal', 'generate_synthetic_deepfashion',
    'keypoints_to_heatmaps', 'keypoints_to_patn_heatmaps', 'to_coco18'
]
