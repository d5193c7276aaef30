"""Loading a source/target image pair."""
from typing import Optional

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine import fileio

from ratenet_plugin.registry import TRANSFORMS
from ..patn_format import PoseDataError


@TRANSFORMS.register_module()
class LoadPosePairFromFile(BaseTransform):
    """Load the source and target images of a pair as RGB uint8 arrays.

    Required keys: ``src_img_path``, ``tgt_img_path``; ``keypoint_frame``
    when ``check_frame``; ``pair_ref`` (optional, named in errors).

    Added keys: ``src_img``, ``tgt_img`` (np.uint8 ``(H, W, 3)``, RGB; a
    grey-scale file is expanded to three channels).

    Errors name the image and the pair: ``FileNotFoundError`` for a missing
    file, :class:`PoseDataError` for a file that cannot be decoded or whose
    size differs from ``keypoint_frame`` (the keypoints would then not fit it).

    Args:
        check_frame (bool): Check that each image is ``keypoint_frame`` in
            size. Defaults to True.
        imdecode_backend (str, optional): Backend of ``mmcv.imfrombytes``
            (``'cv2'``, ``'pillow'``, ...). Defaults to None (mmcv's default).
        backend_args (dict, optional): File backend arguments of
            ``mmengine.fileio.get``. Defaults to None (local files).
    """

    def __init__(self,
                 check_frame: bool = True,
                 imdecode_backend: Optional[str] = None,
                 backend_args: Optional[dict] = None) -> None:
        self.check_frame = check_frame
        self.imdecode_backend = imdecode_backend
        self.backend_args = None if backend_args is None else dict(
            backend_args)

    def _load(self, path: str, context: str) -> np.ndarray:
        try:
            content = fileio.get(path, backend_args=self.backend_args)
        except FileNotFoundError:
            raise FileNotFoundError(
                f'image file not found: {path}{context}') from None
        try:
            img = mmcv.imfrombytes(content, flag='color', channel_order='rgb',
                                   backend=self.imdecode_backend)
        except Exception as error:  # decoders raise many types
            raise PoseDataError(f'cannot decode image {path}{context}: '
                                f'{error}') from None
        if img is None or img.ndim != 3 or img.shape[2] != 3:
            raise PoseDataError(f'cannot decode image {path}{context}')
        return img

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
                        f'{frame[0]}x{frame[1]} images')
            results[f'{side}_img'] = img
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(check_frame={self.check_frame}, '
                f'imdecode_backend={self.imdecode_backend!r}, '
                f'backend_args={self.backend_args})')
