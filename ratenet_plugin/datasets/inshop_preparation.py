"""Raw DeepFashion In-shop download -> PATN-format folders.

Used by ``tools/prepare_deepfashion.py``; see docs/data.md for the whole
procedure. Input:

- ``<raw_root>/img`` (256x256) or ``<raw_root>/img_highres`` (about
  1101x750) with In-shop's ``<GENDER>/<Category>/id_XXXXXXXX/NN_V_view.jpg``
  tree;
- one or more annotation CSVs in PATN's format (keypoints in an
  ``annotation_frame``, PATN's being 256x176);
- a split: In-shop's official ``list_eval_partition.txt`` (``train`` -> train,
  ``query``/``gallery`` -> test), or train/test name lists (PATN's/PG2's
  ``train.lst``/``test.lst``), or "the first annotation file is train, the
  second test" (PATN's own split, as its annotation files are split).

Output (what ``DeepFashionPoseDataset`` and the synthetic set use)::

    <out>/train/<flattened name>.jpg     <out>/test/...
    <out>/fasion-resize-annotation-{train,test}.csv  (keypoints: out frame)
    <out>/fasion-resize-pairs-{train,test}.csv
    <out>/prepare_summary.json

Geometry: DeepFashion's frames are views of one picture scaled to the same
height and centred (256x256 ``img`` = PATN's 256x176 crop + 40 px each side;
``img_highres`` scaled to 256 high is ~174 wide). Each image is mapped that way
(``ResizePadPose`` mode ``'fit_height'``) and its keypoints from the
annotation frame through the raw frame to the output frame; joints then at
most ``outside_tolerance`` px outside are clipped, farther ones marked missing.
"""
import json
import multiprocessing
import os
import os.path as osp
from collections import Counter, defaultdict
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from ratenet_plugin.fileio.errors import UserInputError, listing
from ratenet_plugin.fileio.image_file import (IMAGE_EXTENSIONS,
                                              ImageFileError, read_image,
                                              write_image)
from ratenet_plugin.fileio.patn_csv import (PoseDataError,
                                            fit_keypoints_to_frame,
                                            flatten_name, flatten_name_at,
                                            identity_of, patn_missing,
                                            read_annotation_csv,
                                            read_pairs_csv,
                                            write_annotation_csv,
                                            write_pairs_csv)
from ratenet_plugin.fileio.text_file import read_text, write_text
from .keypoints import missing_mask, scale_pixel_centres
from .transforms.geometric import ResizePadPose

SPLITS = ('train', 'test')
# PATN pairs only images showing both shoulders and both hips.
PATN_PAIR_JOINTS = (2, 5, 8, 11)
PAIR_RULES = ('patn', 'any')


def read_partition_file(path: str) -> Dict[str, str]:
    """In-shop's ``list_eval_partition.txt`` -> {flattened name: split}.

    Format: a count line, a header ``image_name item_id evaluation_status``,
    then ``img/WOMEN/.../02_1_front.jpg id_00000002 train|query|gallery``.
    ``query`` and ``gallery`` images form the test split.
    """
    splits = {}
    for line_no, line in enumerate(read_text(path).splitlines(), start=1):
        fields = line.split()
        if not fields or fields[0].isdigit() or fields[0] == 'image_name':
            continue
        if len(fields) != 3 or fields[2] not in ('train', 'query',
                                                 'gallery'):
            raise PoseDataError(
                f'{path}, line {line_no}: expected "image_name item_id '
                f'train|query|gallery", got {line.strip()!r}')
        splits[flatten_name_at(fields[0], f'{path}, line {line_no}')] = \
            'train' if fields[2] == 'train' else 'test'
    return splits


def read_name_list(path: str) -> List[str]:
    """One image name a line (flattened or path-style) -> flattened names."""
    return [
        flatten_name_at(line, f'{path}, line {line_no}')
        for line_no, line in enumerate(read_text(path).splitlines(), start=1)
        if line.strip()
    ]


def list_raw_images(image_dir: str) -> Tuple[Dict[str, str], List[str]]:
    """Images under an In-shop image folder: ``({flattened name: path},
    [paths outside the <GENDER>/<Category>/id_X/<file> layout])``."""
    images, unrecognised = {}, []
    for folder, _, files in os.walk(image_dir):
        for name in files:
            if name.lower().endswith(IMAGE_EXTENSIONS):
                path = osp.join(folder, name)
                relative = osp.relpath(path, image_dir)
                if len(relative.split(os.sep)) < 4:
                    unrecognised.append(path)
                else:
                    images[flatten_name(relative)] = path
    return images, sorted(unrecognised)


def _process_image(task: Tuple) -> Tuple:
    """Load, map and write one image; return its keypoints or a failure."""
    (key, path, out_path, keypoints, annotation_frame, size, tolerance,
     quality) = task
    try:
        img = read_image(path)
    except ImageFileError:  # counted as unreadable in the summary
        return key, None, 0, 0
    raw_size = img.shape[:2]
    to_annotation = ResizePadPose(scale=annotation_frame, mode='fit_height')
    to_output = ResizePadPose(scale=size, mode='fit_height')
    # Annotation frame -> raw frame -> output frame (pixel centres).
    a_h, a_w, a_top, a_left = to_annotation.layout(*raw_size)
    o_h, o_w, o_top, o_left = to_output.layout(*raw_size)
    moved = scale_pixel_centres(keypoints, (o_w / a_w, o_h / a_h),
                                origin=(a_left, a_top), offset=(o_left, o_top))
    missing = patn_missing(keypoints)
    moved[missing] = -1
    moved, clipped, outside = fit_keypoints_to_frame(moved, size, tolerance)
    write_image(out_path, to_output.apply_to_image(img), jpeg_quality=quality)
    return key, moved, clipped, outside


def _read_given_pairs(path: str) -> List[Tuple[str, str, str]]:
    """``(source, target, 'file, line N')`` of a pairs file, the names
    flattened (a name too short for In-shop's layout names its line)."""
    pairs = []
    for row in read_pairs_csv(path):
        where = f'{path}, line {row.line}'
        pairs.append((flatten_name_at(row.source, where),
                      flatten_name_at(row.target, where), where))
    return pairs


#: Share of annotated joints outside the annotation frame above which the
#: preparation warns (PATN's annotations lie inside their 256x176 frame).
OFF_FRAME_SHARE = 0.05


def _view_of(name: str) -> str:
    """What follows the identity in a flattened name (``'01_1front.jpg'``):
    the same for one photo listed under two categories."""
    return name[name.index(identity_of(name)[2:]) + 8:]


def _same_file(path_a: str, path_b: str) -> bool:
    """Whether two raw images are the same bytes (sizes compared first)."""
    if osp.getsize(path_a) != osp.getsize(path_b):
        return False
    with open(path_a, 'rb') as a, open(path_b, 'rb') as b:
        return a.read() == b.read()


def _pairs_within_identities(names: Iterable[str]) -> List[Tuple[str, str]]:
    by_identity = defaultdict(list)
    for name in sorted(names):
        by_identity[identity_of(name)].append(name)
    return [(a, b) for group in by_identity.values() for a in group
            for b in group if a != b]


def prepare_deepfashion(raw_root: str,
                        out_dir: str,
                        *,
                        annotation_files: Sequence[str],
                        annotation_frame: Sequence[int] = (256, 176),
                        image_folder: Optional[str] = None,
                        partition_file: Optional[str] = None,
                        train_list: Optional[str] = None,
                        test_list: Optional[str] = None,
                        split_by_annotation: bool = False,
                        size: Sequence[int] = (256, 176),
                        pairs_files: Optional[Dict[str, str]] = None,
                        pair_rule: str = 'patn',
                        outside_tolerance: float = 10.0,
                        workers: int = 1,
                        jpeg_quality: int = 95) -> dict:
    """Produce the PATN-format folders; return (and write) a summary.

    Args:
        raw_root (str): The In-shop download (holding ``img`` and/or
            ``img_highres``).
        out_dir (str): Output folder; must be absent or empty.
        annotation_files (Sequence[str]): PATN annotation CSVs.
        annotation_frame (Sequence[int]): ``(H, W)`` their keypoints refer to.
            Defaults to (256, 176), PATN's.
        image_folder (str, optional): ``'img'`` or ``'img_highres'``; by
            default ``img_highres`` if present, else ``img``.
        partition_file (str, optional): Official ``list_eval_partition.txt``.
        train_list (str, optional): Train image names, one a line.
        test_list (str, optional): Test image names, one a line.
        split_by_annotation (bool): Images of ``annotation_files[0]`` are
            train, of ``annotation_files[1]`` test (PATN's split).
        size (Sequence[int]): Output ``(H, W)``, e.g. (256, 176) or (256, 256).
        pairs_files (dict, optional): ``{'train': csv, 'test': csv}``: keep
            these pairs (e.g. PATN's 8,570 test pairs) instead of forming all
            pairs; pairs across identities or with a dropped image are dropped.
        pair_rule (str): For formed pairs: ``'patn'`` (both images show both
            shoulders and both hips) or ``'any'`` (any image with a joint).
        outside_tolerance (float): See the module docstring. Defaults to 10.
        workers (int): Processes for the images. Defaults to 1.
        jpeg_quality (int): Defaults to 95.

    Returns:
        dict: Counts of kept and dropped images, pairs and joints, by reason;
        ``warnings``: what a complete download would not have lost
        (annotated images not found, images outside In-shop's layout or
        unreadable, given pairs dropped), each a sentence with examples.

    Raises:
        UserInputError: no annotated image is under the image folder
            (checked before anything is written).
    """
    if pair_rule not in PAIR_RULES:
        raise UserInputError(f'pair_rule must be one of {PAIR_RULES}, got '
                             f'{pair_rule!r}')
    split_sources = [partition_file is not None, train_list is not None
                     or test_list is not None, split_by_annotation]
    if sum(split_sources) != 1:
        raise UserInputError('give exactly one split: partition_file, '
                             'train_list/test_list, or split_by_annotation')
    if split_by_annotation and len(annotation_files) != 2:
        raise UserInputError('split_by_annotation needs two annotation files '
                             '(train, test)')
    if osp.isdir(out_dir) and os.listdir(out_dir):
        raise UserInputError(f'{out_dir} is not empty: give a new or empty '
                             'output folder')
    if image_folder is None:
        image_folder = 'img_highres' if osp.isdir(
            osp.join(raw_root, 'img_highres')) else 'img'
    image_dir = osp.join(raw_root, image_folder)
    if not osp.isdir(image_dir):
        raise FileNotFoundError(f'image folder not found: {image_dir}')
    size = (int(size[0]), int(size[1]))
    annotation_frame = (int(annotation_frame[0]), int(annotation_frame[1]))
    for name, (height, width) in (('size', size),
                                  ('annotation_frame', annotation_frame)):
        if height < width:  # In-shop's pictures are portrait or square
            raise UserInputError(
                f'{name} ({height}, {width}) is wider than high: it is '
                f'(H, W), height first; did you mean {width} {height}?')

    # Annotations, keyed by flattened name; the same name twice must agree.
    annotations: Dict[str, np.ndarray] = {}
    first_seen: Dict[str, str] = {}
    split_of: Dict[str, str] = {}
    for index, path in enumerate(annotation_files):
        for row in read_annotation_csv(path):
            where = f'{path}, line {row.line}'
            key = flatten_name_at(row.name, where)
            if key in annotations and not np.array_equal(
                    annotations[key], row.keypoints):
                raise PoseDataError(f'{where}: {row.name!r} is annotated '
                                    f'differently at {first_seen[key]}')
            annotations[key], first_seen[key] = row.keypoints, where
            if split_by_annotation:
                split_of[key] = SPLITS[index]
    if partition_file is not None:
        split_of = read_partition_file(partition_file)
    for split, path in (('train', train_list), ('test', test_list)):
        if path is not None:
            split_of.update((name, split) for name in read_name_list(path))

    # The pairs files are read before the long work: a bad one stops the run
    # while nothing is written yet.
    given_pairs = {
        split: _read_given_pairs(path)
        for split, path in (pairs_files or {}).items()
    }

    raw, unrecognised = list_raw_images(image_dir)
    not_found = sorted(set(annotations) - set(raw))
    if len(not_found) == len(annotations):
        found = (f'{len(unrecognised)} images outside that layout, e.g. '
                 f'{unrecognised[0]}' if unrecognised else 'no image')
        raise UserInputError(
            f'none of the {len(annotations)} annotated images is under '
            f'{image_dir} in In-shop\'s layout <GENDER>/<Category>/'
            f'id_XXXXXXXX/NN_V_view.jpg (found {found}): give the In-shop '
            'folder that holds img/ or img_highres/ as it was unpacked')
    # What a complete download does not lose: each is a warning, with
    # examples (the counts alone hid a partial download).
    warnings: List[str] = []
    if not_found:
        warnings.append(
            f'{len(not_found)} of the {len(annotations)} annotated images '
            f'are not under {image_dir} ({listing(not_found)}): a partial '
            'download or another folder (pass --images img where '
            'img_highres is only partly unpacked); they and their pairs are '
            'left out')
    if unrecognised:
        warnings.append(
            f'{len(unrecognised)} images under {image_dir} are not in '
            'In-shop\'s layout <GENDER>/<Category>/id_XXXXXXXX/<file> '
            f'({listing(unrecognised)}): not used')
    dropped_images: Counter = Counter()
    dropped_images['path_not_in_inshop_layout'] = len(unrecognised)
    dropped_images['annotated_but_no_raw_image'] = len(not_found)
    tasks = []
    # Why an image is not kept, for the given pairs that name it.
    not_kept = {key: 'no raw image' for key in not_found}
    for key in sorted(raw):
        if key not in split_of:
            dropped_images['not_in_split'] += 1
            not_kept[key] = 'in no split'
        elif key not in annotations:
            dropped_images['no_annotation'] += 1
            not_kept[key] = 'no annotation row'
        elif patn_missing(annotations[key]).all():
            dropped_images['every_joint_missing'] += 1
            not_kept[key] = 'every joint missing in its annotation'
        else:
            split = split_of[key]
            tasks.append((key, raw[key], osp.join(out_dir, split, key),
                          annotations[key], annotation_frame, size,
                          outside_tolerance, jpeg_quality))
    for split in SPLITS:
        os.makedirs(osp.join(out_dir, split), exist_ok=True)

    kept: Dict[str, Dict[str, np.ndarray]] = {s: {} for s in SPLITS}
    joints = Counter()
    unreadable: List[str] = []
    if workers > 1:
        with multiprocessing.Pool(workers) as pool:
            results = list(pool.imap_unordered(_process_image, tasks, 64))
    else:
        results = [_process_image(task) for task in tasks]
    given_joints = sum(int((~patn_missing(task[3])).sum()) for task in tasks)
    for key, keypoints, clipped, outside in results:
        joints['clipped_onto_the_frame'] += clipped
        joints['outside_the_frame_marked_missing'] += outside
        if keypoints is None:
            dropped_images['unreadable'] += 1
            unreadable.append(raw[key])
            not_kept[key] = 'unreadable'
        elif missing_mask(keypoints).all():
            dropped_images['every_joint_outside_the_output'] += 1
            os.remove(osp.join(out_dir, split_of[key], key))
            not_kept[key] = 'every joint outside the output'
        else:
            kept[split_of[key]][key] = keypoints

    off_frame = (joints['clipped_onto_the_frame'] +
                 joints['outside_the_frame_marked_missing'])
    if off_frame > OFF_FRAME_SHARE * given_joints:
        warnings.append(
            f'{off_frame} of the {given_joints} annotated joints lie outside '
            f'the {annotation_frame[0]}x{annotation_frame[1]} annotation '
            'frame (PATN\'s lie inside it): keypoints_y and keypoints_x '
            'swapped in the annotation header, or another --annotation-frame'
            '? (clipped or marked missing; counts in prepare_summary.json)')
    summary = dict(raw_root=raw_root, image_folder=image_folder,
                   annotation_frame=list(annotation_frame), size=list(size),
                   pair_rule=pair_rule, images={}, pairs={},
                   unpaired_images={},
                   dropped_images={}, dropped_pairs={}, joints=dict(joints),
                   identities={})
    if unreadable:
        warnings.append(
            f'{len(unreadable)} images could not be read (empty, truncated '
            f'or not an image: {listing(sorted(unreadable))}): left out; '
            'download them again')
    dropped_pairs: Counter = Counter()
    dropped_rows: Dict[str, List[str]] = {split: [] for split in SPLITS}

    def why_not(name: str, split: str) -> str:
        for other in SPLITS:
            if other != split and name in kept[other]:
                return f'{name} is in the {other} split'
        return f'{name}: {not_kept.get(name, "no raw image")}'

    for split in SPLITS:
        images = kept[split]
        write_annotation_csv(
            osp.join(out_dir, f'fasion-resize-annotation-{split}.csv'),
            sorted(images.items()))
        if split in given_pairs:
            pairs = []
            for source, target, where in given_pairs[split]:
                missing = [n for n in (source, target) if n not in images]
                if missing:
                    dropped_pairs['image_not_kept'] += 1
                    dropped_rows[split].append(
                        f'{where}: ' + ', '.join(why_not(name, split)
                                                 for name in missing))
                elif identity_of(source) != identity_of(target):
                    dropped_pairs['different_identities'] += 1
                    dropped_rows[split].append(f'{where}: two people')
                else:
                    pairs.append((source, target))
        else:
            required = list(PATN_PAIR_JOINTS) if pair_rule == 'patn' else []
            eligible = [
                n for n, k in images.items()
                if not missing_mask(k)[required].any()
            ]
            pairs = _pairs_within_identities(eligible)
            # An item listed under two categories (In-shop has 99) holds the
            # same photos twice, under two names: no pair of a photo with
            # itself.
            same = {(a, b) for a, b in pairs
                    if _view_of(a) == _view_of(b) and _same_file(raw[a],
                                                                  raw[b])}
            if same:
                dropped_pairs['same_photo_under_two_names'] += len(same)
                pairs = [pair for pair in pairs if pair not in same]
        write_pairs_csv(
            osp.join(out_dir, f'fasion-resize-pairs-{split}.csv'), pairs)
        summary['images'][split] = len(images)
        summary['pairs'][split] = len(pairs)
        summary['unpaired_images'][split] = len(
            set(images) - {name
                           for pair in pairs for name in pair})
        summary['identities'][split] = sorted(
            {identity_of(n)
             for n in images})
    shared = set(summary['identities']['train']) & set(
        summary['identities']['test'])
    summary['identities'] = dict(
        train=len(summary['identities']['train']),
        test=len(summary['identities']['test']),
        in_both_splits=sorted(shared))
    summary['dropped_images'] = dict(sorted(dropped_images.items()))
    summary['dropped_pairs'] = dict(sorted(dropped_pairs.items()))
    for split, rows in dropped_rows.items():
        if rows:
            warnings.append(
                f'{len(rows)} given {split} pairs were dropped '
                f'({listing(rows)}; the kept images and the reasons images '
                'were dropped are in prepare_summary.json): the '
                f'{split} set is no longer the pairs file\'s')
    summary['warnings'] = warnings
    write_text(osp.join(out_dir, 'prepare_summary.json'),
               json.dumps(summary, indent=2))
    # Given pairs of a split that all went (e.g. the annotation files in the
    # wrong order): the set is not what was asked for. A split nobody asked
    # for (a test set prepared alone) may well be empty.
    emptied = [split for split in SPLITS
               if given_pairs.get(split) and not summary['pairs'][split]]
    if emptied:
        use = {'train': 'trained', 'test': 'tested'}
        raise UserInputError(
            f'none of the given {" or ".join(emptied)} pairs is left ('
            + listing([row for split in emptied
                       for row in dropped_rows[split]])
            + f'): {out_dir} cannot be '
            + ' or '.join(use[split] for split in emptied)
            + ' on; see prepare_summary.json there, fix the inputs (the '
            'annotation files in train, test order with '
            '--split-by-annotation; pairs files of these images) and '
            'prepare into an empty folder again')
    return summary
