"""Score a folder of generated images against ground truth (any method's).

The images are paired with their ground truth by file name, the generated
panel is cut out of multi-panel strips, and the pairs go through MMagic's
``Evaluator`` exactly as ``tools/test.py`` sends our model's outputs: a
``StoredOutputs`` "model" returns ``DataSample(gt_img=..., output=DataSample(
pred_img=...))`` read from disk, so every number comes from the same metric
classes and protocol (``configs/ratenet/_base_/evaluation.py``).

File names understood (``A``, ``B`` = source and target image names, with or
without their extension; any separator such as ``___``, ``_2_``, ``_to_``):

- ``B.png``: the generated image is saved under the target's name;
- ``A___B_vis.jpg`` (PATN), ``A_2_B_vis.png`` (GFLA-style), ``A-B.png``:
  source then target, anything after the target is ignored.

Layouts (``layout='auto'``): an image of the ground truth's size is the
generated image; a strip k times as wide holds k panels and the last is the
generated one (PATN: source, source pose, target, target pose, generated;
side-by-side: source, target, generated). Square 256x256 panels for 176-wide
ground truth are centre-cropped to 176, the crop of PATN's data.
"""
import os.path as osp
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

import numpy as np
import torch
from mmagic.registry import EVALUATORS
from mmagic.structures import DataSample
from mmengine.dataset import pseudo_collate
from mmengine.model import BaseModel
from mmengine.registry import init_default_scope
from torch.utils.data import DataLoader, Dataset

from ratenet_plugin.fileio.errors import UserInputError
from ratenet_plugin.fileio.image_file import (IMAGE_EXTENSIONS, list_images,
                                              read_image)
from ratenet_plugin.fileio.patn_csv import read_pairs_csv
from .functional import feature_statistics
from .inception_metrics import PoseTransferFID

LAYOUTS = ('auto', 'single', 'patn', 'side-by-side', 'square')
_SEPARATORS = '_.-'
_PATN_PANELS = 5


def image_stem(name: str) -> str:
    """``name`` without directory and without an image extension."""
    base = osp.basename(name)
    root, ext = osp.splitext(base)
    return root if ext.lower() in IMAGE_EXTENSIONS else base


def read_pair_stems(path: str) -> List[Tuple[str, str]]:
    """``(source, target)`` stems of the rows of a pairs CSV (read by
    :func:`ratenet_plugin.fileio.patn_csv.read_pairs_csv`)."""
    return [(image_stem(row.source), image_stem(row.target))
            for row in read_pairs_csv(path)]


class _NameIndex:
    """Known image stems; finds the longest one that starts a string."""

    def __init__(self, stems: Iterable[str]) -> None:
        self.stems: Set[str] = set(stems)

    def longest_prefix(self, text: str) -> Optional[str]:
        # A name ends where a separator starts, or at the end of the string.
        ends = [i for i, ch in enumerate(text) if ch in _SEPARATORS]
        for end in reversed(ends + [len(text)]):
            if text[:end] in self.stems:
                return text[:end]
        return None


def parse_generated_name(
        path: str,
        known: Iterable[str]) -> Tuple[Optional[str], Optional[str]]:
    """Source and target stems named by a generated image's file name.

    Args:
        path (str): The generated image's path.
        known (Iterable[str]): Stems of the ground-truth images.

    Returns:
        tuple: ``(source, target)``; ``source`` is ``None`` when the file is
        named after its target alone; ``target`` is ``None`` if no known name
        is found.
    """
    index = known if isinstance(known, _NameIndex) else _NameIndex(known)
    stem = image_stem(path)
    if stem in index.stems:
        return None, stem
    source = index.longest_prefix(stem)
    if source is None:
        return None, None
    rest = stem[len(source):]
    # Skip connectors ('___', '.jpg___', '_2_') up to the next known name.
    for start in (i + 1 for i, ch in enumerate(rest) if ch in _SEPARATORS):
        target = index.longest_prefix(rest[start:])
        if target is not None:
            return source, target
    return source, None


@dataclass
class MatchedPair:
    """A generated image and its ground truth."""
    gen_path: str
    gt_path: str
    src_name: Optional[str]
    tgt_name: str


@dataclass
class MatchReport:
    """What :func:`match_generated` paired and what it could not."""
    pairs: List[MatchedPair]
    unmatched: List[str]  # generated files naming no known target / pair
    duplicates: List[str]  # further files for an already matched pair
    missing: List[Tuple[Optional[str], str]]  # CSV pairs with no file
    # Files named by their target alone that stand for several CSV pairs
    # (scored once each): (file, number of pairs with that target).
    shared: List[Tuple[str, int]] = field(default_factory=list)


def match_generated(gen_dir: str,
                    gt_dir: str,
                    pairs_csv: Optional[str] = None) -> MatchReport:
    """Pair each generated image in ``gen_dir`` with its ground truth.

    Args:
        gen_dir (str): Folder of generated images (or strips).
        gt_dir (str): Folder of real images named as in the pairs CSV.
        pairs_csv (str, optional): Pairs CSV (``from,to``, as the dataset
            reads it); when given only its pairs are scored and pairs
            without a generated image are reported.

    Returns:
        MatchReport: pairs in file-name order, plus what did not match.
    """
    gt_paths = {image_stem(p): p for p in list_images(gt_dir)}
    index = _NameIndex(gt_paths)
    wanted = set(read_pair_stems(pairs_csv)) if pairs_csv else None
    if wanted is not None and not wanted:
        raise UserInputError(f'{pairs_csv} lists no pairs (only its header '
                             'or nothing); give the pairs file of the test '
                             'set, or leave --pairs out to score every image')
    pairs_of_target = Counter(tgt for _, tgt in wanted) if wanted else None
    unmatched, named = [], []
    for gen_path in list_images(gen_dir):
        source, target = parse_generated_name(gen_path, index)
        if target is None:
            unmatched.append(gen_path)
            continue
        if wanted is not None:
            known_pair = ((source, target) in wanted if source is not None
                          else target in pairs_of_target)
            if not known_pair:
                unmatched.append(gen_path)
                continue
        named.append((gen_path, source, target))
    # A file named by its target alone, beside files named by a pair with
    # that target, is one more image of the same pairs.
    pair_named_targets = {tgt for _, src, tgt in named if src is not None}
    pairs, duplicates, shared, seen = [], [], [], set()
    for gen_path, source, target in named:
        if (source, target) in seen or (source is None
                                        and target in pair_named_targets):
            duplicates.append(gen_path)
            continue
        seen.add((source, target))
        pairs.append(MatchedPair(gen_path, gt_paths[target], source, target))
        if source is None and wanted is not None \
                and pairs_of_target[target] > 1:
            shared.append((gen_path, pairs_of_target[target]))
    missing = []
    if wanted is not None:
        covered_targets = {tgt for src, tgt in seen if src is None}
        missing = sorted(
            (src, tgt) for src, tgt in wanted
            if (src, tgt) not in seen and tgt not in covered_targets)
    return MatchReport(pairs, unmatched, duplicates, missing, shared)


def extract_generated(image: np.ndarray,
                      gt_size: Tuple[int, int],
                      layout: str = 'auto',
                      panel: Optional[int] = None,
                      name: str = '') -> np.ndarray:
    """Cut the generated image out of a stored output.

    Args:
        image (np.ndarray): (H, W, 3) stored output.
        gt_size (tuple): ``(h, w)`` of the ground truth.
        layout (str): ``'auto'``: panels as wide as the ground truth or
            square ones, whichever divides the width (an error where both
            do); ``'side-by-side'``: panels as wide as the ground truth;
            ``'square'``: square panels; ``'single'``: the whole image;
            ``'patn'``: 5 panels. A square panel (256x256 for 256x176 ground
            truth) is centre-cropped to the ground truth's width, PATN's
            crop; a panel of any other width is an error.
        panel (int, optional): Index of the generated panel; default the last.
        name (str): File name for error messages.

    Returns:
        np.ndarray: (h, w, 3), the generated image.
    """
    if layout not in LAYOUTS:
        raise UserInputError(
            f'layout must be one of {LAYOUTS}, got {layout!r}')
    height, width = image.shape[:2]
    gt_h, gt_w = gt_size
    if height != gt_h:
        raise UserInputError(
            f'{name}: height {height} differs from the ground '
            f"truth's {gt_h}; cannot pair them")
    if layout == 'single':
        panel_w = width
    elif layout == 'patn':
        if width % _PATN_PANELS:
            raise UserInputError(
                f'{name}: width {width} is no 5-panel PATN strip')
        panel_w = width // _PATN_PANELS
    else:
        candidates = {'side-by-side': (gt_w, ), 'square': (gt_h, )}.get(
            layout, (gt_w, gt_h))
        widths = [w for w in dict.fromkeys(candidates) if width % w == 0]
        if not widths:
            raise UserInputError(
                f'{name}: width {width} is not a multiple of the ground '
                f"truth's width {gt_w} or height {gt_h}: not the model's "
                'output of this test set, or panels with margins; crop the '
                'images to the generated panel first')
        if len(widths) > 1:
            raise UserInputError(
                f'{name}: width {width} splits into panels as wide as the '
                f'ground truth ({gt_w}) and into square panels ({gt_h}); '
                "pass layout='side-by-side' or 'square'")
        panel_w = widths[0]
    num_panels = width // panel_w
    index = num_panels - 1 if panel is None else panel
    if not -num_panels <= index < num_panels:
        raise UserInputError(f'{name}: panel {panel} out of range for '
                             f'{num_panels} panels')
    index %= num_panels
    crop = image[:, index * panel_w:(index + 1) * panel_w]
    if not (panel_w == gt_w or (panel_w == gt_h and gt_h > gt_w)):
        # Only PATN's square panels of portrait ground truth are cropped;
        # any other width would be scored as a meaningless middle strip.
        raise UserInputError(
            f'{name}: a panel {panel_w} wide is neither as wide as the '
            f"ground truth ({gt_w}) nor square ({gt_h}, cropped to the "
            'middle as PATN does); crop the images to the generated panel '
            'first')
    left = (panel_w - gt_w) // 2
    return crop[:, left:left + gt_w]


#: What a folder of stored images can be scored with: the metrics of the
#: test evaluators (registered type -> the result name it writes first).
FOLDER_METRICS = {
    'SSIM': 'SSIM',
    'PaddedSSIM': 'SSIM-padded',
    'PSNR': 'PSNR',
    'MAE': 'MAE',
    'PairedMSSSIM': 'MS-SSIM',
    'GMSD': 'GMSD',
    'HaarPSI': 'HaarPSI',
    'GarmentFidelity': 'garment_colour',
    'LPIPS': 'LPIPS',
    'PoseTransferFID': 'FID',
    'PoseTransferIS': 'IS',
}
#: Every result name :func:`result_name` gives.
RESULT_NAMES = tuple(FOLDER_METRICS.values()) + ('IS-padded', )


def result_name(metric_cfg: dict) -> str:
    """The result name a metric config produces (``SSIM``, ``IS-padded``,
    ``garment_colour`` for the garment figures)."""
    kind = metric_cfg['type']
    if kind == 'PoseTransferIS' and metric_cfg.get('pad_to_square'):
        return 'IS-padded'
    if kind not in FOLDER_METRICS:
        raise UserInputError(
            f'metric type {kind!r} cannot score a folder of images; '
            f'known: {", ".join(FOLDER_METRICS)}')
    return FOLDER_METRICS[kind]


class GeneratedFolder(Dataset):
    """Matched pairs as samples: ``inputs=dict(pred_img)``, ``data_samples``.

    Args:
        pairs (Sequence[MatchedPair]): From :func:`match_generated`.
        layout (str): See :func:`extract_generated`.
        panel (int, optional): See :func:`extract_generated`.
    """

    def __init__(self,
                 pairs: Sequence[MatchedPair],
                 layout: str = 'auto',
                 panel: Optional[int] = None) -> None:
        self.pairs = list(pairs)
        self.layout = layout
        self.panel = panel

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int) -> dict:
        pair = self.pairs[index]
        gt = read_image(pair.gt_path)
        pred = extract_generated(
            read_image(pair.gen_path), gt.shape[:2], self.layout, self.panel,
            pair.gen_path)
        sample = DataSample(
            gt_img=torch.from_numpy(gt.copy()).permute(2, 0, 1),
            metainfo=dict(
                gen_path=pair.gen_path,
                src_name=pair.src_name,
                tgt_name=pair.tgt_name,
                # Where GarmentFidelity finds the target's garment labels.
                tgt_img_path=pair.gt_path))
        return dict(
            inputs=dict(
                pred_img=torch.from_numpy(pred.copy()).permute(2, 0, 1)),
            data_samples=sample)


class StoredOutputs(BaseModel):
    """A "model" whose predictions are images read from disk.

    Its ``test_step`` returns what RATENet's does (docs/architecture.md):
    ``DataSample(gt_img=float (3,H,W) [0,255] RGB, output=DataSample(
    pred_img=...))``, so MMagic's evaluator scores stored outputs exactly as
    it scores ours.
    """

    def forward(self,
                inputs: dict,
                data_samples: Sequence[DataSample],
                mode: str = 'predict') -> List[DataSample]:
        outputs = []
        for pred, sample in zip(inputs['pred_img'], data_samples):
            out = DataSample(
                gt_img=sample.gt_img.float(), metainfo=sample.metainfo)
            out.output = DataSample(pred_img=pred.float())
            outputs.append(out)
        return outputs


def score_pairs(pairs: Sequence[MatchedPair],
                metrics: List[dict],
                *,
                layout: str = 'auto',
                panel: Optional[int] = None,
                batch_size: int = 8,
                num_workers: int = 0,
                device: str = 'cpu') -> Dict[str, float]:
    """Run MMagic's ``Evaluator`` over stored outputs, as MultiTestLoop does.

    Args:
        pairs (Sequence[MatchedPair]): What to score.
        metrics (list[dict]): Metric configs (``type``, ``prefix``, ...).
        layout, panel: See :func:`extract_generated`.
        batch_size (int): Images per batch.
        num_workers (int): DataLoader workers reading images.
        device (str): Where the metric networks run.

    Returns:
        dict: ``{'<prefix>/<name>': value}``.
    """
    if not pairs:
        raise UserInputError(
            'no generated image could be paired with a ground '
            'truth image; check the folders and file names')
    init_default_scope('mmagic')
    loader = DataLoader(
        GeneratedFolder(pairs, layout, panel),
        batch_size=batch_size,
        shuffle=False,
        num_workers=num_workers,
        collate_fn=pseudo_collate)
    model = StoredOutputs().to(device)
    evaluator = EVALUATORS.build(dict(type='Evaluator', metrics=metrics))
    evaluator.prepare_metrics(model, loader)
    for group, sampler in evaluator.prepare_samplers(model, loader):
        for batch in sampler:
            with torch.no_grad():
                evaluator.process(model.test_step(batch), batch, group)
    return evaluator.evaluate()


def reference_statistics(image_paths: Sequence[str],
                         fid_cfg: dict,
                         *,
                         batch_size: int = 8,
                         device: str = 'cpu') -> Tuple[np.ndarray, np.ndarray]:
    """FID reference ``mu``/``sigma`` of a set of real images.

    Uses the Inception of the FID metric built from ``fid_cfg`` (so features
    match what that metric computes for generated images), e.g. for the
    training images, the reference set of GFLA/CFLD-style FID.
    """
    init_default_scope('mmagic')
    cfg = dict(fid_cfg, real_stats=None)
    cfg.pop('type', None)
    metric = PoseTransferFID(**cfg)
    metric.prepare_for(len(image_paths), device)
    features = []
    for start in range(0, len(image_paths), batch_size):
        images = [
            torch.from_numpy(read_image(p).copy()).permute(2, 0, 1).to(device)
            for p in image_paths[start:start + batch_size]
        ]
        features += metric.features_of(images)
    return feature_statistics(torch.cat(features))
