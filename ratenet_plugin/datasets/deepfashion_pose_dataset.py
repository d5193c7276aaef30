"""DeepFashion pose-transfer pairs in the PATN format."""
import logging
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from ratenet_plugin.fileio.errors import listing
from ratenet_plugin.fileio.image_file import (ImageFileError,
                                              check_image_file)
from ratenet_plugin.fileio.patn_csv import (OUTSIDE_TOLERANCE, AnnotationRow,
                                            PoseDataError, flatten_name_at,
                                            read_annotations, read_pairs_csv)
from ratenet_plugin.registry import DATASETS
from ratenet_plugin.utils.arguments import ConfigValueError
from .keypoints import COCO18_FLIP_INDEX, COCO18_NAMES, missing_mask
from .synthetic import ensure_synthetic_deepfashion

@DATASETS.register_module()
class DeepFashionPoseDataset(BaseDataset):
    """Source/target pairs of DeepFashion In-shop images with COCO-18 poses.

    Reads a PATN annotation CSV (``name:keypoints_y:keypoints_x``), a PATN
    pairs CSV (``from,to``) and an image folder (see
    :mod:`ratenet_plugin.fileio.patn_csv` for the accepted file quirks).
    Indexing reads the CSVs and checks that every image exists and is
    complete (:func:`~ratenet_plugin.fileio.image_file.check_image_file`: not
    empty, not truncated); the ``pipeline`` (e.g. ``LoadPosePairFromFile``,
    ``GeneratePoseHeatmap``, ``PackPoseInputs``) loads and transforms them.

    Each ``data_list`` entry holds:

    - ``src_img_path``, ``tgt_img_path`` (str): absolute image paths.
    - ``src_name``, ``tgt_name`` (str): names as in the annotation CSV.
    - ``src_keypoints``, ``tgt_keypoints`` (np.ndarray): float32 ``(18, 2)``
      ``(x, y)`` pixels in the keypoint frame, COCO-18 order, ``-1`` missing.
    - ``keypoint_frame`` (tuple): ``(H, W)`` of the annotation's images.
    - ``pair_ref`` (str): ``'<pairs file>:<line>'``, for error messages.

    Policies (also in docs/data.md):

    - Names are matched in PATN's flattened form, so annotation and pairs
      files may mix flattened and path-style names. An image is looked up as
      ``<img prefix>/<flattened name>``, then, for a path-style name, as
      ``<img prefix>/<name as written>``.
    - A joint at most ``outside_tolerance`` px outside the keypoint frame is
      clipped onto it; one farther out is marked missing. Both are counted in
      the log.
    - A pair whose source or target has every joint missing is dropped, with
      a count in the log.
    - A pair whose source and target are the same image is dropped, with a
      count in the log (it would teach the identity, and it inflates
      test scores).
    - Errors (:class:`PoseDataError`, ``FileNotFoundError`` or
      :class:`~ratenet_plugin.fileio.image_file.ImageFileError`, naming the
      file and line): a malformed annotation or pairs row, the same image
      annotated twice, a pair naming an image without an annotation row, a
      pair naming an image file that does not exist, is empty (0 bytes) or
      truncated, no pairs left.

    Args:
        ann_file (str): Annotation CSV, relative to ``data_root`` or absolute.
        pairs_file (str): Pairs CSV, relative to ``data_root`` or absolute.
        data_root (str): Root of the data. Defaults to ''.
        data_prefix (dict, optional): ``dict(img=<image folder>)``, relative
            to ``data_root`` or absolute. Defaults to ``dict(img='')``.
        keypoint_frame (Sequence[int]): ``(H, W)`` of the images the
            annotation refers to. Defaults to ``(256, 176)`` (PATN).
        outside_tolerance (float): Pixels a joint may lie outside the frame and
            still be clipped onto it. Defaults to 10.
        synthetic (dict, optional): If given, generate the synthetic set of
            :func:`~.synthetic.generate_synthetic_deepfashion` at
            ``data_root`` when it is absent (safe under concurrent calls),
            with these keyword arguments (``num_identities``,
            ``poses_per_identity``, ``num_test_identities``, ``seed``,
            ``image_format``); ``height`` and ``width`` default to
            ``keypoint_frame`` and must agree with it. Defaults to None.
        pipeline (Sequence[dict | Callable], optional): Transforms.
        test_mode (bool): Passed to ``BaseDataset``. Defaults to False.
        indices (int | Sequence[int], optional): Use a subset (see
            ``BaseDataset``).
        serialize_data (bool): See ``BaseDataset``. Defaults to True.
        lazy_init (bool): See ``BaseDataset``. Defaults to False.
        max_refetch (int): See ``BaseDataset``. Defaults to 1000.
        metainfo (dict, optional): Extra meta information.
    """

    METAINFO = dict(
        dataset_name='DeepFashion In-shop (PATN format)',
        keypoint_names=COCO18_NAMES,
        flip_index=COCO18_FLIP_INDEX)

    def __init__(self,
                 ann_file: str,
                 pairs_file: str,
                 *,
                 data_root: str = '',
                 data_prefix: Optional[Dict[str, str]] = None,
                 keypoint_frame: Sequence[int] = (256, 176),
                 outside_tolerance: float = OUTSIDE_TOLERANCE,
                 synthetic: Optional[dict] = None,
                 pipeline: Optional[Sequence[Union[dict, Callable]]] = None,
                 test_mode: bool = False,
                 indices: Optional[Union[int, Sequence[int]]] = None,
                 serialize_data: bool = True,
                 lazy_init: bool = False,
                 max_refetch: int = 1000,
                 metainfo: Optional[dict] = None) -> None:
        if len(keypoint_frame) != 2 or min(keypoint_frame) <= 0:
            raise ValueError(
                f'keypoint_frame must be (H, W), got {keypoint_frame}')
        self.keypoint_frame: Tuple[int, int] = (int(keypoint_frame[0]),
                                                int(keypoint_frame[1]))
        self.outside_tolerance = float(outside_tolerance)
        self.synthetic = self._check_synthetic(synthetic, data_root)
        self.pairs_file = pairs_file
        super().__init__(
            ann_file=ann_file,
            metainfo=metainfo,
            data_root=data_root,
            data_prefix=dict(img='') if data_prefix is None else data_prefix,
            indices=indices,
            serialize_data=serialize_data,
            pipeline=[] if pipeline is None else list(pipeline),
            test_mode=test_mode,
            lazy_init=lazy_init,
            max_refetch=max_refetch)

    def _check_synthetic(self, synthetic: Optional[dict],
                         data_root: str) -> Optional[dict]:
        if synthetic is None:
            return None
        if not data_root:
            raise ValueError('synthetic data needs a data_root to write to')
        given = synthetic
        synthetic = dict(synthetic)
        frame = dict(height=self.keypoint_frame[0],
                     width=self.keypoint_frame[1])
        for key, value in frame.items():
            if synthetic.setdefault(key, value) != value:
                raise ConfigValueError(
                    'synthetic', given,
                    f'height and width equal to keypoint_frame '
                    f'{tuple(self.keypoint_frame)} (or left out: they follow '
                    'it); the set is drawn at keypoint_frame\'s size, so set '
                    'that instead, in every dataset of the config')
        return synthetic

    def _join_prefix(self) -> None:
        super()._join_prefix()
        if self.pairs_file and not osp.isabs(self.pairs_file) \
                and self.data_root:
            self.pairs_file = osp.join(self.data_root, self.pairs_file)

    def load_data_list(self) -> List[dict]:
        """Read the CSVs, apply the policies and check the image files."""
        if self.synthetic is not None:
            ensure_synthetic_deepfashion(self.data_root, **self.synthetic)
        for path in (self.ann_file, self.pairs_file):
            if not osp.isfile(path):
                raise FileNotFoundError(
                    f'data file not found: {path}; make the PATN-format data '
                    'with tools/prepare_deepfashion.py (docs/data.md) or set '
                    'the dataset\'s data_root in the config')
        annotations = self._load_annotations()
        img_dir = self.data_prefix.get('img', '')
        found: Dict[str, str] = {}  # flattened name -> checked path
        data_list, all_missing, same_image = [], [], []
        pair_rows = read_pairs_csv(self.pairs_file)
        for pair in pair_rows:
            where = f'{self.pairs_file}, line {pair.line}'
            ends = []
            for name in (pair.source, pair.target):
                key = flatten_name_at(name, where)
                if key not in annotations:
                    raise PoseDataError(
                        f'{where}: image {name!r} has no row in the '
                        f'annotation file {self.ann_file}')
                ends.append((key, annotations[key]))
            if ends[0][0] == ends[1][0]:
                same_image.append(pair.source)
                continue
            if any(missing_mask(row.keypoints).all() for _, row in ends):
                all_missing.append(f'{pair.source}->{pair.target}')
                continue
            entry = dict(keypoint_frame=self.keypoint_frame,
                         pair_ref=f'{self.pairs_file}:{pair.line}')
            for side, (key, row) in zip(('src', 'tgt'), ends):
                if key not in found:
                    found[key] = self._find_image(img_dir, key, row.name,
                                                  where)
                entry[f'{side}_img_path'] = found[key]
                entry[f'{side}_name'] = row.name
                entry[f'{side}_keypoints'] = row.keypoints
            data_list.append(entry)
        for dropped, reason in (
            (all_missing, 'in which an image has every joint missing'),
            (same_image, 'whose source and target are the same image'),
        ):
            if dropped:
                print_log(
                    f'{self.pairs_file}: dropped {len(dropped)} of '
                    f'{len(pair_rows)} pairs {reason} '
                    f'({listing(dropped)})',
                    logger='current',
                    level=logging.WARNING)
        if not data_list:
            raise PoseDataError(f'{self.pairs_file}: no usable pairs')
        return data_list

    def _load_annotations(self) -> Dict[str, AnnotationRow]:
        """Annotation rows by flattened name, keypoints fitted to the frame
        (the reading the inferencer shares: ``read_annotations``)."""
        index = read_annotations(self.ann_file, self.keypoint_frame,
                                 self.outside_tolerance)
        if index.clipped or index.outside:
            print_log(
                f'{self.ann_file}: {index.clipped} joints up to '
                f'{self.outside_tolerance:g} px outside the '
                f'{self.keypoint_frame[0]}x{self.keypoint_frame[1]} frame '
                f'clipped onto it; {index.outside} joints farther out marked '
                'missing',
                logger='current',
                level=logging.WARNING)
        return index.rows

    @staticmethod
    def _find_image(img_dir: str, key: str, name: str, where: str) -> str:
        candidates = [osp.join(img_dir, key)]
        if key != name.strip():
            candidates.append(osp.join(img_dir, name.strip()))
        for path in candidates:
            if osp.isfile(path):
                try:
                    check_image_file(path)
                except ImageFileError as error:
                    raise ImageFileError(f'{where}: {error}') from None
                return osp.abspath(path)
        raise FileNotFoundError(
            f'{where}: image file for {name!r} not found (looked for '
            f'{" and ".join(candidates)})')


__all__ = ['DeepFashionPoseDataset', 'PoseDataError']
