import multiprocessing
import os

import numpy as np
import pytest
from mmagic.registry import DATASETS

from ratenet_plugin.datasets import DeepFashionPoseDataset, PoseDataError
from ratenet_plugin.datasets.synthetic import MARKER_FILE
from ratenet_plugin.fileio.image_file import ImageFileError
from ratenet_plugin.utils.arguments import ConfigValueError
from tests.datasets.deepfashion_testing import (SYNTHETIC, keypoint_rows,
                                                standing_keypoints,
                                                write_image)

FLAT_A = 'fashionWOMENDressesid0000262902_1front.jpg'
FLAT_B = 'fashionWOMENDressesid0000262902_3back.jpg'
PATH_C = 'fashion/WOMEN/Dresses/id_00002629/02_4_full.jpg'
FLAT_C = 'fashionWOMENDressesid0000262902_4full.jpg'
EMPTY = 'fashionMENDenimid0000008001_1front.jpg'


def _row(name, keypoints, sep=': '):
    rows = keypoint_rows(keypoints)
    return f"{name}{sep}{rows['y']}{sep}{rows['x']}"


@pytest.fixture
def real_format(tmp_path):
    """A PATN-format folder with the quirks of real files.

    Images A and B are stored under flattened names; C only under its
    path-style name (in a sub-folder). The annotation names C path-style, the
    pairs file flattened, and vice versa for B. A has a joint 3 px and one 30
    px outside the 64x44 frame; EMPTY has every joint missing.
    """
    img_dir = tmp_path / 'train'
    for name in (FLAT_A, FLAT_B, PATH_C, EMPTY):
        write_image(img_dir / name)
    kps_a = standing_keypoints()
    kps_a[4] = (-3, 30)  # right wrist slightly outside: clipped
    kps_a[7] = (40, 94)  # left wrist far below the frame: missing
    kps_b = standing_keypoints()
    kps_b[[0, 14, 15]] = -1  # back view: no face
    lines = [
        'name:keypoints_y:keypoints_x,,',  # trailing commas on the header
        _row(FLAT_A, kps_a),  # spaces after ':'
        _row('fashion/WOMEN/Dresses/id_00002629/02_3_back.jpg', kps_b,
             sep=':'),  # no spaces, path-style
        _row(PATH_C, standing_keypoints()),
        _row(EMPTY, np.full((18, 2), -1, np.float32)),
    ]
    (tmp_path / 'ann.csv').write_text('\n'.join(lines) + '\n')
    (tmp_path / 'pairs.csv').write_text(
        'from,to\n'
        f'{FLAT_A},{FLAT_B}\n'
        f'{FLAT_B},{FLAT_C}\n'  # flattened name of a path-style row
        f'{EMPTY},{FLAT_A}\n'  # dropped: every joint of EMPTY is missing
        f'{PATH_C},{FLAT_A}\n')
    return dict(root=tmp_path, kps_a=kps_a, kps_b=kps_b)


def _dataset(root, **kwargs):
    cfg = dict(type='DeepFashionPoseDataset', data_root=str(root),
               ann_file='ann.csv', pairs_file='pairs.csv',
               data_prefix=dict(img='train'), keypoint_frame=(64, 44))
    cfg.update(kwargs)
    return DATASETS.build(cfg)


def test_real_format_quirks(real_format, mmlogs):
    root = real_format['root']
    dataset = _dataset(root, outside_tolerance=5)
    assert isinstance(dataset, DeepFashionPoseDataset)
    assert len(dataset) == 3
    first = dataset.get_data_info(0)
    assert first['src_name'] == FLAT_A
    assert first['tgt_name'] == \
        'fashion/WOMEN/Dresses/id_00002629/02_3_back.jpg'
    assert first['src_img_path'] == str(root / 'train' / FLAT_A)
    assert first['tgt_img_path'] == str(root / 'train' / FLAT_B)
    assert first['keypoint_frame'] == (64, 44)
    assert first['pair_ref'] == f"{root / 'pairs.csv'}:2"
    src = first['src_keypoints']
    assert src.dtype == np.float32 and src.shape == (18, 2)
    expected = real_format['kps_a'].copy()
    expected[4] = (0, 30)
    expected[7] = -1
    np.testing.assert_array_equal(src, expected)
    np.testing.assert_array_equal(first['tgt_keypoints'],
                                  real_format['kps_b'])
    # The path-style image C is found in its sub-folder.
    second = dataset.get_data_info(1)
    assert second['tgt_img_path'] == str(root / 'train' / PATH_C)
    assert dataset.get_data_info(2)['src_name'] == PATH_C
    assert any('1 joints up to 5 px outside the 64x44 frame clipped' in m and
               '1 joints farther out marked missing' in m for m in mmlogs)
    assert any('dropped 1 of 4 pairs in which an image has every joint '
               f'missing ({EMPTY}->{FLAT_A})' in m for m in mmlogs)


def test_indices_give_a_subset(real_format):
    dataset = _dataset(real_format['root'], indices=[2])
    assert len(dataset) == 1
    assert dataset.get_data_info(0)['src_name'] == PATH_C


def test_absolute_paths_without_data_root(real_format):
    root = real_format['root']
    dataset = DeepFashionPoseDataset(
        ann_file=str(root / 'ann.csv'), pairs_file=str(root / 'pairs.csv'),
        data_prefix=dict(img=str(root / 'train')), keypoint_frame=(64, 44),
        serialize_data=False)
    assert len(dataset) == 3
    # The same files as through data_root (image paths resolved alike).
    with_root = _dataset(root)
    for index in range(3):
        for key in ('src_img_path', 'tgt_img_path'):
            assert dataset.get_data_info(index)[key] == \
                with_root.get_data_info(index)[key]


def test_pair_without_annotation_names_pairs_file_and_row(real_format):
    root = real_format['root']
    with open(root / 'pairs.csv', 'a') as f:
        f.write(f'{FLAT_A},fashionWOMENDressesid0000262902_7additional.jpg\n')
    with pytest.raises(PoseDataError) as info:
        _dataset(root)
    message = str(info.value)
    assert f"{root / 'pairs.csv'}, line 6" in message
    assert "'fashionWOMENDressesid0000262902_7additional.jpg' has no row" \
        in message
    assert str(root / 'ann.csv') in message


def test_missing_image_file_names_it_and_the_row(real_format):
    root = real_format['root']
    os.remove(root / 'train' / FLAT_B)
    with pytest.raises(FileNotFoundError) as info:
        _dataset(root)
    message = str(info.value)
    assert f"{root / 'pairs.csv'}, line 2" in message
    assert str(root / 'train' / FLAT_B) in message


@pytest.mark.parametrize('cut, problem', [
    (lambda data: b'', 'empty file (0 bytes)'),
    (lambda data: data[:len(data) // 2], 'truncated'),
])
def test_damaged_image_file_names_it_and_the_row(real_format, cut, problem):
    """Same policy as a missing file: an error at index time naming the
    pair's line and the file."""
    root = real_format['root']
    path = root / 'train' / FLAT_B
    path.write_bytes(cut(path.read_bytes()))
    with pytest.raises(ImageFileError) as info:
        _dataset(root)
    assert str(info.value).startswith(
        f"{root / 'pairs.csv'}, line 2: damaged image {path}: {problem}")


def test_pair_of_an_image_with_itself_is_dropped_and_counted(
        real_format, mmlogs):
    root = real_format['root']
    with open(root / 'pairs.csv', 'a') as f:
        f.write(f'{FLAT_A},{FLAT_A}\n{PATH_C},{FLAT_C}\n')
    dataset = _dataset(root)
    assert len(dataset) == 3
    assert any('dropped 2 of 6 pairs whose source and target are the same '
               f'image ({FLAT_A}, {PATH_C})' in m for m in mmlogs)


def test_malformed_annotation_row_is_an_error(real_format):
    root = real_format['root']
    with open(root / 'ann.csv', 'a') as f:
        f.write('fashionMENDenimid0000008001_2side.jpg: [1, 2]: [3, 4]\n')
    with pytest.raises(PoseDataError, match=r'ann.csv, line 6: column '
                       'keypoints_y has 2 values'):
        _dataset(root)


def test_malformed_pairs_row_is_an_error(real_format):
    root = real_format['root']
    with open(root / 'pairs.csv', 'a') as f:
        f.write(f'{FLAT_A}\n')
    with pytest.raises(PoseDataError, match=r'pairs.csv, line 6: expected 2'):
        _dataset(root)


def test_duplicate_annotation_is_an_error(real_format):
    root = real_format['root']
    with open(root / 'ann.csv', 'a') as f:  # C again, flattened this time
        f.write(_row(FLAT_C, standing_keypoints()) + '\n')
    with pytest.raises(PoseDataError,
                       match=r'ann.csv, line 6: .* annotated again \(first on '
                       r'line 4\)'):
        _dataset(root)


def test_bad_path_style_name_is_an_error(real_format):
    root = real_format['root']
    with open(root / 'pairs.csv', 'a') as f:
        f.write(f'Dresses/02_1_front.jpg,{FLAT_A}\n')
    with pytest.raises(PoseDataError, match=r'pairs.csv, line 6: .*four'):
        _dataset(root)


def test_missing_csv_and_no_usable_pairs(real_format):
    root = real_format['root']
    with pytest.raises(FileNotFoundError) as info:
        _dataset(root, pairs_file='nope.csv')
    assert str(info.value) == (
        f'data file not found: {root / "nope.csv"}; make the PATN-format '
        'data with tools/prepare_deepfashion.py (docs/data.md) or set the '
        "dataset's data_root in the config")
    (root / 'empty_pairs.csv').write_text(f'from,to\n{EMPTY},{FLAT_A}\n')
    with pytest.raises(PoseDataError, match='no usable pairs'):
        _dataset(root, pairs_file='empty_pairs.csv')


def test_synthetic_set_reads_back(synthetic_root):
    for split, identities in (('train', 3), ('test', 1)):
        dataset = _dataset(
            synthetic_root,
            ann_file=f'fasion-resize-annotation-{split}.csv',
            pairs_file=f'fasion-resize-pairs-{split}.csv',
            data_prefix=dict(img=split))
        poses = SYNTHETIC['poses_per_identity']
        assert len(dataset) == identities * poses * (poses - 1)
        info = dataset.get_data_info(0)
        assert os.path.isfile(info['src_img_path'])
        assert info['src_keypoints'].shape == (18, 2)


def _build_synthetic(root):
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmagic'):
        return len(
            _dataset(root, ann_file='fasion-resize-annotation-train.csv',
                     pairs_file='fasion-resize-pairs-train.csv',
                     data_prefix=dict(img='train'),
                     synthetic=dict(num_identities=3, poses_per_identity=2,
                                    num_test_identities=1, seed=3)))


def test_synthetic_generated_on_first_use_by_concurrent_processes(tmp_path):
    root = tmp_path / 'data' / 'synthetic'
    context = multiprocessing.get_context('fork')
    with context.Pool(2) as pool:
        lengths = pool.map(_build_synthetic, [root, root])
    assert lengths == [4, 4]
    assert sorted(os.listdir(tmp_path / 'data')) == ['synthetic']  # no temps
    assert (root / MARKER_FILE).is_file()
    mtime = (root / MARKER_FILE).stat().st_mtime_ns
    assert _build_synthetic(root) == 4  # reused, not regenerated
    assert (root / MARKER_FILE).stat().st_mtime_ns == mtime


def test_synthetic_with_other_parameters_is_an_error(synthetic_root):
    with pytest.raises(ValueError, match='other parameters'):
        _dataset(synthetic_root,
                 ann_file='fasion-resize-annotation-train.csv',
                 pairs_file='fasion-resize-pairs-train.csv',
                 synthetic=dict(num_identities=5))


def test_synthetic_size_must_match_keypoint_frame(tmp_path):
    with pytest.raises(ConfigValueError, match='synthetic=.*expected height '
                       r'and width equal to keypoint_frame \(64, 44\)'):
        _dataset(tmp_path / 'x', synthetic=dict(height=48))
    with pytest.raises(ValueError, match='needs a data_root'):
        DeepFashionPoseDataset('a.csv', 'p.csv', synthetic=dict())


def test_unreadable_and_wrong_size_images_are_named_with_their_row(
        real_format):
    root = real_format['root']
    dataset = _dataset(root, test_mode=True,
                       pipeline=[dict(type='LoadPosePairFromFile')])
    # Damaged after indexing: the loader refuses them too.
    (root / 'train' / FLAT_B).write_bytes(b'\xff\xd8 truncated jpeg')
    write_image(root / 'train' / FLAT_A, height=64, width=64)
    with pytest.raises(PoseDataError) as info:
        dataset[0]  # A -> B, line 2: A has the wrong size
    assert f"image {root / 'train' / FLAT_A} (pair {root / 'pairs.csv'}:2)" \
        ' is 64x64 (HxW) but its keypoints are for 64x44 images' \
        in str(info.value)
    with pytest.raises(ImageFileError) as info:
        dataset[1]  # B -> C, line 3: B is truncated
    assert f"damaged image {root / 'train' / FLAT_B}: truncated" in str(
        info.value)
    assert str(info.value).endswith(f"(pair {root / 'pairs.csv'}:3)")
