"""Loading a source/target image pair."""
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmengine import fileio

from ratenet_plugin.fileio.image_file import (ImageFileError,
                                              ImageNotFoundError, decode_image)
from ratenet_plugin.fileio.patn_csv import PoseDataError
from ratenet_plugin.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadPosePairFromFile(BaseTransform):
    """Load the source and target images of a pair as RGB uint8 arrays.

    Images are decoded by the plugin's one image reader
    (:func:`ratenet_plugin.fileio.image_file.decode_image`: empty and
    truncated files are refused, grey files expanded to three channels).

    Required keys: ``src_img_path``, ``tgt_img_path``; ``keypoint_frame``
    when ``check_frame``; ``pair_ref`` (optional, named in errors).

    Added keys: ``src_img``, ``tgt_img`` (np.uint8 ``(H, W, 3)``, RGB).

    Errors name the image and the pair: ``ImageNotFoundError`` (a
    ``FileNotFoundError``) for a missing file, ``ImageFileError`` for an
    empty, truncated or undecodable one, :class:`PoseDataError` for an image
    whose size differs from ``keypoint_frame`` (the keypoints would then not
    fit it).

    Args:
        check_frame (bool): Check that each image is ``keypoint_frame`` in
            size. Defaults to True.
        backend_args (dict, optional): File backend arguments of
            ``mmengine.fileio.get``. Defaults to None (local files).
    """

    def __init__(self,
                 check_frame: bool = True,
                 backend_args: Optional[dict] = None) -> None:
        self.check_frame = check_frame
        self.backend_args = None if backend_args is None else dict(
            backend_args)

    def _load(self, path: str, context: str) -> np.ndarray:
        try:
            content = fileio.get(path, backend_args=self.backend_args)
        except FileNotFoundError:
            raise ImageNotFoundError(
                f'image file not found: {path}{context}') from None
        try:
            return decode_image(content, path)
        except ImageFileError as error:
            raise ImageFileError(f'{error}{context}') from None

    def transform(self, results: dict) -> dict:
        """Load ``src_img`` and ``tgt_img``."""
        context = f" (pair {results['pair_ref']})" \
            if 'pair_ref' in results else ''
        for side in ('src', 'tgt'):
            path = results[f'{side}_img_path']
            img = self._load(path, context)
            if self.check_frame:
                frame = tuple(results['keypoint_frame'])
                if img.shape[:2] != frame:
                    raise PoseDataError(
                        f'image {path}{context} is {img.shape[0]}x'
                        f'{img.shape[1]} (HxW) but its keypoints are for '
                        f'{frame[0]}x{frame[1]} images: prepare the images '
                        f'at that size (tools/prepare_deepfashion.py --size '
                        f'{frame[0]} {frame[1]}), or set the dataset\'s '
                        'keypoint_frame to the annotation\'s frame if it is '
                        'theirs')
            results[f'{side}_img'] = img
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(check_frame={self.check_frame}, '
                f'backend_args={self.backend_args})')
