"""Scoring stored outputs: name matching, panel layouts, same metric code."""
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ratenet_plugin.evaluation import (extract_generated, match_generated,
                                       parse_generated_name, score_pairs)
from ratenet_plugin.fileio.errors import UserInputError
from ratenet_plugin.registry import METRICS
from tests.evaluation.evaluation_testing import random_images, run_metric

# DeepFashion-like names: underscores inside, the extension in the CSV.
SRC = 'fasionWOMENBlouses_Shirtsid0000044101_1front'
TGT = 'fasionWOMENBlouses_Shirtsid0000044101_4full'
OTHER = 'fasionMENDenimid0000008001_2side'
KNOWN = {SRC, TGT, OTHER}


@pytest.mark.parametrize(
    'file_name, expected',
    [
        (f'{TGT}.png', (None, TGT)),  # saved under the target's name
        (f'{SRC}.jpg___{TGT}.jpg_vis.jpg', (SRC, TGT)),  # PATN
        (f'{SRC}_2_{TGT}_vis.png', (SRC, TGT)),  # GFLA-style
        (f'{SRC}-{TGT}.png', (SRC, TGT)),
        (f'{OTHER}___{SRC}.png', (OTHER, SRC)),
        ('unrelated_name.png', (None, None)),
    ])
def test_generated_file_names_give_source_and_target(file_name, expected):
    assert parse_generated_name(file_name, KNOWN) == expected


def save_rgb(path: Path, image: np.ndarray) -> None:
    Image.fromarray(image).save(path)


def to_hwc(image: torch.Tensor) -> np.ndarray:
    return image.round().clamp(0, 255).to(torch.uint8).permute(1, 2, 0).numpy()


@pytest.fixture
def folders(tmp_path):
    """Ground truth (PNG, lossless) and generated strips for three pairs."""
    gt_dir, gen_dir = tmp_path / 'gt', tmp_path / 'gen'
    gt_dir.mkdir()
    gen_dir.mkdir()
    names = [SRC, TGT, OTHER]
    images = random_images(3, 64, 44, seed=11)
    for name, image in zip(names, images):
        save_rgb(gt_dir / f'{name}.png', to_hwc(image))
    pairs = [(SRC, TGT), (TGT, SRC), (OTHER, SRC)]
    (tmp_path / 'pairs.csv').write_text('from,to\n' +
                                        ''.join(f'{a}.jpg,{b}.jpg\n'
                                                for a, b in pairs))
    return dict(
        gt_dir=gt_dir,
        gen_dir=gen_dir,
        pairs_csv=tmp_path / 'pairs.csv',
        images=dict(zip(names, images)))


def test_pairs_csv_selects_pairs_and_reports_the_rest(folders):
    gen_dir, images = folders['gen_dir'], folders['images']
    for file_name in (f'{SRC}.jpg___{TGT}.jpg_vis.png',
                      f'{SRC}_2_{TGT}_vis.png', f'{TGT}___{OTHER}.png',
                      'noise.png'):
        save_rgb(gen_dir / file_name, to_hwc(images[TGT]))
    report = match_generated(
        str(gen_dir), str(folders['gt_dir']), str(folders['pairs_csv']))
    assert [(p.src_name, p.tgt_name) for p in report.pairs] == [(SRC, TGT)]
    assert report.pairs[0].gt_path.endswith(f'{TGT}.png')
    assert [Path(p).name
            for p in report.duplicates] == [f'{SRC}_2_{TGT}_vis.png']
    assert sorted(Path(p).name for p in report.unmatched) == [
        f'{TGT}___{OTHER}.png', 'noise.png'
    ]
    assert report.missing == [(OTHER, SRC), (TGT, SRC)]


def test_target_named_files_say_how_many_pairs_they_stand_for(folders):
    """``B.png`` stands for every CSV pair with target B: reported, not
    counted as complete coverage in silence; beside a pair-named file for
    B it is a duplicate, not a second image of the same pairs."""
    gen_dir, images = folders['gen_dir'], folders['images']
    save_rgb(gen_dir / f'{SRC}.png', to_hwc(images[SRC]))  # 2 pairs -> SRC
    save_rgb(gen_dir / f'{TGT}.png', to_hwc(images[TGT]))  # 1 pair -> TGT
    report = match_generated(
        str(gen_dir), str(folders['gt_dir']), str(folders['pairs_csv']))
    assert [(Path(f).name, n) for f, n in report.shared] == [
        (f'{SRC}.png', 2)
    ]
    assert report.missing == [] and not report.duplicates
    save_rgb(gen_dir / f'{SRC}___{TGT}.png', to_hwc(images[TGT]))
    report = match_generated(
        str(gen_dir), str(folders['gt_dir']), str(folders['pairs_csv']))
    assert [Path(p).name for p in report.duplicates] == [f'{TGT}.png']
    assert {(p.src_name, p.tgt_name) for p in report.pairs} == {
        (None, SRC), (SRC, TGT)
    }


def test_a_pairs_file_without_pairs_or_a_folder_is_named(folders, tmp_path):
    header_only = tmp_path / 'header.csv'
    header_only.write_text('from,to\n')
    with pytest.raises(UserInputError,
                       match=f'{header_only} lists no pairs'):
        match_generated(str(folders['gen_dir']), str(folders['gt_dir']),
                        str(header_only))
    with pytest.raises(UserInputError,
                       match=f'{tmp_path} is a folder; expected a text file'):
        match_generated(str(folders['gen_dir']), str(folders['gt_dir']),
                        str(tmp_path))


def test_patn_strip_gives_its_fifth_panel():
    panels = [np.full((8, 6, 3), i, np.uint8) for i in range(5)]
    strip = np.concatenate(panels, axis=1)
    for layout in ('auto', 'patn'):
        np.testing.assert_array_equal(
            extract_generated(strip, (8, 6), layout), panels[4])
    np.testing.assert_array_equal(
        extract_generated(strip, (8, 6), panel=2), panels[2])


def test_square_panels_are_centre_cropped_to_the_ground_truth_width():
    # Side by side at 256x256 (source | target | generated) for 256x176 GT.
    strip = np.zeros((256, 768, 3), np.uint8)
    strip[:, 512 + 40:512 + 216] = 200
    generated = extract_generated(strip, (256, 176))
    assert generated.shape == (256, 176, 3) and (generated == 200).all()


def test_square_or_side_by_side_is_asked_where_both_divide():
    """128x64 ground truth: a 128x128 image is two 64-wide panels or one
    square; auto does not guess, each explicit layout cuts its own."""
    image = np.zeros((128, 128, 3), np.uint8)
    image[:, :, 0] = np.arange(128)
    with pytest.raises(ValueError, match='x.png: width 128 splits into '
                       'panels as wide as the ground truth'):
        extract_generated(image, (128, 64), name='x.png')
    side_by_side = extract_generated(image, (128, 64), 'side-by-side')
    assert side_by_side[0, [0, -1], 0].tolist() == [64, 127]
    square = extract_generated(image, (128, 64), 'square')
    assert square[0, [0, -1], 0].tolist() == [32, 95]


def test_layout_errors_name_the_file():
    with pytest.raises(ValueError, match='x.png: height 10'):
        extract_generated(np.zeros((10, 6, 3)), (8, 6), name='x.png')
    with pytest.raises(ValueError, match='width 7 is not a multiple'):
        extract_generated(np.zeros((8, 7, 3)), (8, 6))
    with pytest.raises(ValueError, match='panel 3 out of range'):
        extract_generated(np.zeros((8, 12, 3)), (8, 6), panel=3)
    # 'single' crops only PATN's square panels: an image of another width
    # is not silently cut to its middle.
    assert extract_generated(np.zeros((8, 8, 3)), (8, 6),
                             'single').shape == (8, 6, 3)
    with pytest.raises(ValueError, match='x.png: a panel 30 wide is neither '
                       r'as wide as the ground truth \(6\) nor square'):
        extract_generated(np.zeros((8, 30, 3)), (8, 6), 'single',
                          name='x.png')
    # Landscape ground truth: a square panel is narrower, never cropped.
    with pytest.raises(ValueError, match='a panel 100 wide is neither'):
        extract_generated(np.zeros((100, 100, 3)), (100, 150), 'single')


def test_folder_scores_equal_the_metrics_on_the_same_tensors(
        folders, hub_cache, alexnet_file):
    """The folder path and the in-loop path are one code path."""
    hub_cache(alexnet_file)
    gen_dir, images = folders['gen_dir'], folders['images']
    noise = torch.randn(
        images[TGT].shape, generator=torch.Generator().manual_seed(12))
    pred = to_hwc((images[TGT] + 40 * noise).clamp(0, 255))
    source = to_hwc(images[SRC])
    save_rgb(
        gen_dir / f'{SRC}.jpg___{TGT}.jpg_vis.png',
        np.concatenate(
            [source, source, to_hwc(images[TGT]), source, pred], axis=1))
    report = match_generated(str(gen_dir), str(folders['gt_dir']))
    metrics = [
        dict(type='SSIM', prefix='patn'),
        dict(type='PaddedSSIM', prefix='patn'),
        dict(type='LPIPS', prefix='patn'),
    ]
    results = score_pairs(report.pairs, metrics)
    gt = torch.from_numpy(to_hwc(images[TGT])).permute(2, 0, 1).float()
    pred = torch.from_numpy(pred).permute(2, 0, 1).float()
    for cfg in metrics:
        expected = run_metric(METRICS.build(cfg), gt[None], pred[None])
        for key, value in expected.items():
            assert results[key] == pytest.approx(value, abs=1e-6)
    assert 0 < results['patn/SSIM'] < results['patn/SSIM-padded'] < 1
    assert results['patn/LPIPS'] > 0


def test_no_pairs_is_an_error():
    with pytest.raises(ValueError, match='no generated image'):
        score_pairs([], [dict(type='SSIM')])
