"""Build a PATN-format annotation CSV for a folder of images.

Used by ``tools/extract_pose.py`` so users can make their own data sets for
``DeepFashionPoseDataset``: every image gets one row
``name: [y0, ..., y17]: [x0, ..., x17]`` (COCO-18 order, ``-1`` missing).
With ``crop_size`` each image is also cropped around the person, resized to
that frame and written to ``image_out_dir``; the keypoints then refer to the
written image, as the dataset's single ``keypoint_frame`` requires.
"""
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from ratenet_plugin.fileio.errors import UserInputError
from ratenet_plugin.fileio.image_file import (ImageFileError, read_image,
                                              write_image)
from ratenet_plugin.fileio.keypoint_json import write_keypoint_json
from ratenet_plugin.fileio.patn_csv import AnnotationCsvWriter
from .person_crop import full_crop, person_crop
from .pose_extraction import PoseExtractor, has_person


@dataclass
class AnnotationReport:
    """What :func:`annotate_images` did.

    Attributes:
        rows (int): Rows written (one per readable image).
        no_person (list[str]): Images in which no person was found (their
            rows hold ``-1`` joints).
        unreadable (list[str]): Images that could not be read: missing,
            empty, truncated or not an image (no row).
        image_sizes (set[tuple[int, int]]): ``(H, W)`` of the annotated
            frames.
    """
    rows: int = 0
    no_person: List[str] = field(default_factory=list)
    unreadable: List[str] = field(default_factory=list)
    image_sizes: set = field(default_factory=set)


def _check_outputs(image_paths: Sequence[str], image_out_dir: Optional[str],
                   json_dir: Optional[str]) -> None:
    """Before any work: no crop may replace a photo, no two images may
    write the same JSON."""
    if image_out_dir:
        for path in image_paths:
            crop = osp.join(image_out_dir, osp.basename(path))
            if osp.exists(crop) and osp.samefile(crop, path):
                raise UserInputError(
                    f'the crop of {path} would replace the photo: the folder '
                    f'for the cropped images ({image_out_dir}) holds the '
                    'images themselves; choose another folder')
    if json_dir:
        by_stem: Dict[str, str] = {}
        for path in image_paths:
            stem = osp.splitext(osp.basename(path))[0]
            if stem in by_stem:
                raise UserInputError(
                    f'{by_stem[stem]} and {path} would both write '
                    f'{osp.join(json_dir, stem + ".json")} (the JSONs are '
                    'named by the image\'s stem, as --pose-dir of '
                    'tools/infer.py reads them); rename one of them')
            by_stem[stem] = path


def annotate_images(image_paths: Sequence[str],
                    out_csv: str,
                    extractor: PoseExtractor,
                    *,
                    crop_size: Optional[Tuple[int, int]] = None,
                    image_out_dir: Optional[str] = None,
                    json_dir: Optional[str] = None,
                    log: Callable[[str], None] = print) -> AnnotationReport:
    """Extract keypoints of each image and write the annotation CSV.

    Args:
        image_paths: Images to annotate; rows are named by file name.
        out_csv (str): Annotation CSV to write.
        extractor (PoseExtractor): The pose extractor.
        crop_size (tuple[int, int], optional): ``(H, W)``; crop each image
            around its person, resize to this frame and write it to
            ``image_out_dir`` (required then). Images without a person are
            letterboxed instead.
        image_out_dir (str, optional): Where cropped images go.
        json_dir (str, optional): Also write one coco18 JSON per image here.
        log: Receives one message per image that needs attention.
    """
    if crop_size is not None and image_out_dir is None:
        raise ValueError('crop_size needs image_out_dir for the cropped '
                         'images')
    _check_outputs(image_paths, image_out_dir if crop_size else None,
                   json_dir)
    for folder in (image_out_dir, json_dir, osp.dirname(out_csv)):
        if folder:
            os.makedirs(folder, exist_ok=True)
    report = AnnotationReport()
    with AnnotationCsvWriter(out_csv) as writer:
        for path in image_paths:
            name = osp.basename(path)
            try:
                image = read_image(path)
            except ImageFileError as err:
                log(f'{name}: skipped, cannot read the image ({err})')
                report.unreadable.append(name)
                continue
            keypoints = extractor(image)
            if not has_person(keypoints):
                log(f'{name}: no person detected; writing -1 for all joints')
                report.no_person.append(name)
            if crop_size is not None:
                crop = (person_crop(keypoints, crop_size) if has_person(
                    keypoints) else full_crop(image.shape[:2], crop_size))
                image = crop.apply_image(image)
                keypoints = crop.apply_keypoints(keypoints)
                write_image(osp.join(image_out_dir, name), image)
            report.image_sizes.add(tuple(image.shape[:2]))
            writer.write(name, keypoints)
            if json_dir:
                write_keypoint_json(
                    osp.join(json_dir, osp.splitext(name)[0] + '.json'),
                    keypoints, image.shape[:2])
            report.rows += 1
    return report
