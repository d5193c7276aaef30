"""Inference-side APIs: pose extraction for custom photos, person cropping,
the RATE-Net inferencer (see docs/inference.md) and the adapters that combine
our parts with MMagic's models.

The keypoint JSON reader and writer and the image reader are re-exported
from :mod:`ratenet_plugin.fileio` (their home), since inference users need
them next to the inferencer.
"""
from ratenet_plugin.fileio.image_file import (ImageFileError, list_images,
                                              read_image)
from ratenet_plugin.fileio.keypoint_json import (EmptyPoseError,
                                                 KeypointFormatError,
                                                 PoseKeypoints,
                                                 keypoints_from_dict,
                                                 keypoints_to_coco18,
                                                 keypoints_to_openpose,
                                                 read_keypoint_json,
                                                 write_keypoint_json)
from .inferencer import PairInput, RATENetInferencer
from .mmagic_adapters import ConcatConditionDiscriminator, ConcatPoseCondition
from .person_crop import FrameCrop, full_crop, person_crop
from .pose_annotation import annotate_images
from .pose_drawing import draw_pose, make_panel
from .pose_extraction import (NoPersonError, PoseExtractor,
                              extract_keypoints, has_person)

__all__ = [
    'ConcatConditionDiscriminator', 'ConcatPoseCondition', 'EmptyPoseError',
    'FrameCrop', 'ImageFileError', 'KeypointFormatError', 'NoPersonError',
    'PairInput', 'PoseExtractor', 'PoseKeypoints', 'RATENetInferencer',
    'annotate_images', 'draw_pose', 'extract_keypoints', 'full_crop',
    'has_person', 'keypoints_from_dict', 'keypoints_to_coco18',
    'keypoints_to_openpose', 'list_images', 'make_panel', 'person_crop',
    'read_image', 'read_keypoint_json', 'write_keypoint_json'
]
