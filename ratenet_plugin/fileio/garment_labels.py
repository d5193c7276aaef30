"""Garment label images of the synthetic set: one PNG per image.

The synthetic generator (``ratenet_plugin/datasets/synthetic.py``) knows which
pixel belongs to which garment and writes it next to the images, in a sibling
folder so that the image folders keep the PATN layout::

    <root>/train/<stem>.png          (or .jpg) the image
    <root>/train_labels/<stem>.png   its labels

A label image is a single-channel 8-bit PNG of the image's size whose values
are :data:`BACKGROUND`, :data:`BODY` (skin, hair, shoes), :data:`UPPER`
(upper garment, sleeves included) and :data:`LOWER` (trousers, shorts or
skirt). The garment-fidelity metric reads the labels of each ground-truth
target through :func:`read_labels`.
"""
import os
import os.path as osp

import cv2
import numpy as np

from .errors import UserInputError

BACKGROUND, BODY, UPPER, LOWER = 0, 1, 2, 3
LABEL_NAMES = {BACKGROUND: 'background', BODY: 'body', UPPER: 'upper',
               LOWER: 'lower'}
LABELS_SUFFIX = '_labels'


class MissingLabelsError(UserInputError):
    """A ground-truth image has no garment label image."""


def labels_folder(image_folder: str) -> str:
    """The folder of the label images of the images in ``image_folder``:
    ``<dir>`` -> ``<dir>_labels``."""
    return osp.abspath(image_folder) + LABELS_SUFFIX


def label_path(image_path: str) -> str:
    """Path of the label image of ``image_path``.

    ``<dir>/<stem>.<ext>`` -> ``<dir>_labels/<stem>.png``.
    """
    folder, name = osp.split(osp.abspath(image_path))
    stem = osp.splitext(name)[0]
    return osp.join(labels_folder(folder), stem + '.png')


def write_labels(image_path: str, labels: np.ndarray) -> str:
    """Write the labels of the image at ``image_path``; returns their path.

    Args:
        image_path (str): The image the labels describe (need not exist yet).
        labels (np.ndarray): (H, W) integer array of values in
            ``LABEL_NAMES``.
    """
    labels = np.asarray(labels)
    if labels.ndim != 2 or not np.isin(labels, list(LABEL_NAMES)).all():
        raise ValueError('labels must be an (H, W) array of values in '
                         f'{sorted(LABEL_NAMES)}, got shape {labels.shape}')
    path = label_path(image_path)
    os.makedirs(osp.dirname(path), exist_ok=True)
    if not cv2.imwrite(path, labels.astype(np.uint8)):
        raise OSError(f'could not write {path}')
    return path


def read_labels(image_path: str) -> np.ndarray:
    """Read the labels of the image at ``image_path``.

    Returns:
        np.ndarray: (H, W) uint8 of values in ``LABEL_NAMES``.

    Raises:
        MissingLabelsError: The label image does not exist (a set generated
            before labels were written, or not a synthetic set).
    """
    path = label_path(image_path)
    labels = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if labels is None and not osp.isdir(osp.dirname(path)):
        raise MissingLabelsError(
            f'no garment labels for {image_path} (no folder '
            f'{osp.dirname(path)}): GarmentFidelity scores the synthetic '
            'sets only, whose generator writes a label image per picture; '
            'for other data (DeepFashion) leave GarmentFidelity out of '
            'val_evaluator and test_evaluator')
    if labels is None:
        raise MissingLabelsError(
            f'no garment label image {path} for {image_path}: garment labels '
            'exist only for synthetic sets written by ratenet_plugin >= '
            'generator version 2; delete the data folder to regenerate it, '
            'or leave GarmentFidelity out of the evaluator')
    if labels.ndim != 2 or labels.max(initial=0) > max(LABEL_NAMES):
        raise MissingLabelsError(
            f'{path} is not a garment label image (expected one channel of '
            f'values {sorted(LABEL_NAMES)}); regenerate the synthetic set')
    return labels
