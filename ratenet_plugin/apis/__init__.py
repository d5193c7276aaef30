"""Inference-side APIs: pose extraction for custom photos, person cropping,
the RATE-Net inferencer and animation along a pose sequence (see
docs/inference.md).

The keypoint JSON reader and writer, the image reader and the animation
writer are re-exported from :mod:`ratenet_plugin.fileio` (their home), since
inference users need them next to the inferencer.

MMagic's inference API (``mmagic.apis``) is joined in
:mod:`ratenet_plugin.apis.mmagic_inferencer`, imported on its own: importing
``mmagic.apis`` takes seconds.
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
from ratenet_plugin.fileio.video import write_animation
from .animation import (Animation, PoseSequence, PoseSequenceError, animate,
                        read_pose_sequence)
from .inferencer import PairInput, RATENetInferencer
from .person_crop import FrameCrop, full_crop, person_crop
from .pose_annotation import annotate_images
from .pose_drawing import draw_pose, make_panel
from .pose_extraction import NoPersonError, PoseExtractor, has_person
from .pose_retargeting import retarget_pose, retarget_sequence
from .pose_smoothing import OneEuroFilter, smooth_keypoints

__all__ = [
    'Animation', 'EmptyPoseError', 'FrameCrop', 'ImageFileError', 'KeypointFormatError',
    'NoPersonError', 'OneEuroFilter', 'PairInput', 'PoseExtractor',
    'PoseKeypoints', 'PoseSequence', 'PoseSequenceError', 'RATENetInferencer',
    'animate', 'annotate_images', 'draw_pose',
    'full_crop', 'has_person', 'keypoints_from_dict', 'keypoints_to_coco18',
    'keypoints_to_openpose', 'list_images', 'make_panel', 'person_crop',
    'read_image', 'read_keypoint_json', 'read_pose_sequence',
    'retarget_pose', 'retarget_sequence', 'smooth_keypoints',
    'write_animation', 'write_keypoint_json'
]
