"""Inference-side APIs: keypoint I/O, pose extraction for custom photos,
person cropping, the RATE-Net inferencer (see docs/inference.md) and the
adapters that combine our parts with MMagic's models."""
from .inferencer import PairInput, RATENetInferencer
from .keypoint_io import (KeypointFormatError, PoseKeypoints,
                          format_patn_row, keypoints_from_dict,
                          keypoints_to_coco18, keypoints_to_openpose,
                          load_keypoints_json, parse_patn_row,
                          read_patn_annotation, save_keypoints_json)
from .mmagic_adapters import ConcatConditionDiscriminator, ConcatPoseCondition
from .person_crop import FrameCrop, full_crop, person_crop
from .pose_annotation import annotate_images, list_images
from .pose_drawing import draw_pose, make_panel
from .pose_extraction import (NoPersonError, PoseExtractor,
                              extract_keypoints, has_person, read_rgb)

__all__ = [
    'ConcatConditionDiscriminator', 'ConcatPoseCondition', 'FrameCrop',
    'KeypointFormatError', 'NoPersonError', 'PairInput', 'PoseExtractor',
    'PoseKeypoints', 'RATENetInferencer', 'annotate_images', 'draw_pose',
    'extract_keypoints', 'format_patn_row', 'full_crop', 'has_person',
    'keypoints_from_dict', 'keypoints_to_coco18', 'keypoints_to_openpose',
    'list_images', 'load_keypoints_json', 'make_panel', 'parse_patn_row',
    'person_crop', 'read_patn_annotation', 'read_rgb', 'save_keypoints_json'
]
