import json

import cv2
import numpy as np
import pytest

from ratenet_plugin.datasets import DeepFashionPoseDataset, PoseDataError
from ratenet_plugin.datasets.inshop_preparation import prepare_deepfashion
from ratenet_plugin.fileio.errors import UserInputError
from ratenet_plugin.fileio.patn_csv import read_annotation_csv, read_pairs_csv
from tests.datasets.deepfashion_testing import (keypoint_rows,
                                                standing_keypoints,
                                                write_image)
from tests.tools.tool_testing import load_tool

# Raw images are 64x64 like In-shop's 256x256 img; the annotation frame is
# 64x44 like PATN's 256x176 crop (10 columns cut each side).
TRAIN = ['WOMEN/Dresses/id_00000001/01_1_front.jpg',
         'WOMEN/Dresses/id_00000001/01_2_side.jpg',
         'WOMEN/Dresses/id_00000001/01_3_back.jpg',  # no left hip
         'MEN/Denim/id_00000002/01_1_front.jpg',
         'MEN/Denim/id_00000002/02_1_front.jpg',
         'MEN/Denim/id_00000002/02_2_side.jpg']  # every joint missing
TEST = ['MEN/Denim/id_00000003/01_1_front.jpg',
        'MEN/Denim/id_00000003/01_2_side.jpg',
        'MEN/Denim/id_00000003/01_4_full.jpg']  # unreadable
NOT_IN_SPLIT = 'WOMEN/Dresses/id_00000009/01_1_front.jpg'
NO_ANNOTATION = 'WOMEN/Dresses/id_00000001/01_7_additional.jpg'


def _flat(path):
    gender, category, identity, name = path.split('/')
    head, *rest = name.split('_')
    return f"fashion{gender}{category}{identity.replace('_', '')}{head}_" \
        + ''.join(rest)


@pytest.fixture
def raw(tmp_path):
    root = tmp_path / 'In-shop'
    for path in TRAIN + TEST + [NOT_IN_SPLIT, NO_ANNOTATION]:
        write_image(root / 'img' / path, height=64, width=64)
    (root / 'img' / TEST[2]).write_bytes(b'truncated')
    write_image(root / 'img' / 'stray.jpg')  # not In-shop's layout
    keypoints = standing_keypoints(64, 44)
    keypoints[4] = (-5, 30)  # outside the 44-wide crop, inside the raw image
    no_hip = keypoints.copy()
    no_hip[11] = -1
    rows = ['name:keypoints_y:keypoints_x']
    for path in TRAIN + TEST + [NOT_IN_SPLIT,
                                'MEN/Denim/id_00000004/01_1_front.jpg']:
        kps = keypoints
        if path == TRAIN[2]:
            kps = no_hip
        elif path == TRAIN[5]:
            kps = np.full((18, 2), -1, np.float32)
        k = keypoint_rows(kps)
        name = _flat(path) if 'id_00000001' in path else f'fashion/{path}'
        rows.append(f"{name}: {k['y']}: {k['x']}")
    (tmp_path / 'ann.csv').write_text('\n'.join(rows) + '\n')
    partition = ['9', 'image_name item_id evaluation_status']
    partition += [f'img/{p} {p.split("/")[2]} train' for p in TRAIN]
    partition += [f'img/{p} {p.split("/")[2]} query' for p in TEST[:2]]
    partition += [f'img/{TEST[2]} id_00000003 gallery',
                  f'img/{NO_ANNOTATION} id_00000001 train']
    (root / 'list_eval_partition.txt').write_text('\n'.join(partition) + '\n')
    return dict(root=root, ann=tmp_path / 'ann.csv', keypoints=keypoints)


def _prepare(raw, out, **kwargs):
    args = dict(annotation_files=[str(raw['ann'])], annotation_frame=(64, 44),
                partition_file=str(raw['root'] / 'list_eval_partition.txt'),
                size=(64, 44))
    args.update(kwargs)
    return prepare_deepfashion(str(raw['root']), str(out), **args)


def test_patn_frame_output_keeps_and_drops_with_reasons(raw, tmp_path):
    out = tmp_path / 'out'
    summary = _prepare(raw, out)
    assert summary['images'] == dict(train=5, test=2)
    assert summary['dropped_images'] == dict(
        annotated_but_no_raw_image=1, every_joint_missing=1,
        no_annotation=1, not_in_split=1, path_not_in_inshop_layout=1,
        unreadable=1)
    # PATN's rule: both shoulders and hips, so TRAIN[2] is in no pair.
    assert summary['pairs'] == dict(train=4, test=2)
    assert summary['unpaired_images'] == dict(train=1, test=0)
    assert summary['identities'] == dict(train=2, test=1, in_both_splits=[])
    assert summary['joints']['clipped_onto_the_frame'] == 7
    assert json.loads((out / 'prepare_summary.json').read_text()) == summary
    # What a complete download would not lose is named, not only counted.
    image_dir = raw['root'] / 'img'
    assert summary['warnings'] == [
        f'1 of the 11 annotated images are not under {image_dir} '
        '(fashionMENDenimid0000000401_1front.jpg): a partial download or '
        'another folder (pass --images img where img_highres is only partly '
        'unpacked); they and their pairs are left out',
        f'1 images under {image_dir} are not in In-shop\'s layout '
        f'<GENDER>/<Category>/id_XXXXXXXX/<file> ({image_dir}/stray.jpg): '
        'not used',
        f'1 images could not be read (empty, truncated or not an image: '
        f'{image_dir}/{TEST[2]}): left out; download them again',
    ]

    rows = {r.name: r.keypoints for r in read_annotation_csv(
        str(out / 'fasion-resize-annotation-train.csv'))}
    name = _flat(TRAIN[0])
    assert set(rows) == {_flat(p) for p in TRAIN[:5]}
    expected = raw['keypoints'].copy()
    expected[4] = (0, 30)  # 5 px outside: clipped
    np.testing.assert_array_equal(rows[name], expected)
    raw_img = cv2.imread(str(raw['root'] / 'img' / TRAIN[0]))
    out_img = cv2.imread(str(out / 'train' / name))
    assert out_img.shape == (64, 44, 3)
    # PATN's crop of the middle columns (re-encoded as JPEG: the best match
    # among the possible crops, not an exact copy).
    errors = [np.abs(out_img.astype(int) - raw_img[:, left:left + 44]).mean()
              for left in range(21)]
    assert int(np.argmin(errors)) == 10 and errors[10] < errors[9] / 4
    pairs = read_pairs_csv(str(out / 'fasion-resize-pairs-train.csv'))
    assert {(p.source, p.target) for p in pairs} == {
        (_flat(TRAIN[0]), _flat(TRAIN[1])), (_flat(TRAIN[1]), _flat(TRAIN[0])),
        (_flat(TRAIN[3]), _flat(TRAIN[4])), (_flat(TRAIN[4]), _flat(TRAIN[3]))
    }
    dataset = DeepFashionPoseDataset(
        'fasion-resize-annotation-test.csv', 'fasion-resize-pairs-test.csv',
        data_root=str(out), data_prefix=dict(img='test'),
        keypoint_frame=(64, 44))
    assert len(dataset) == 2


def test_square_output_recovers_joints_outside_the_crop(raw, tmp_path):
    summary = _prepare(raw, tmp_path / 'out', size=(64, 64), pair_rule='any')
    assert summary['pairs'] == dict(train=8, test=2)
    rows = {r.name: r.keypoints for r in read_annotation_csv(
        str(tmp_path / 'out' / 'fasion-resize-annotation-train.csv'))}
    expected = raw['keypoints'] + [10, 0]
    np.testing.assert_array_equal(rows[_flat(TRAIN[0])], expected)
    assert expected[4, 0] == 5  # inside the 64-wide image
    out_img = cv2.imread(str(tmp_path / 'out' / 'train' / _flat(TRAIN[0])))
    assert out_img.shape == (64, 64, 3)


def test_given_pairs_are_filtered(raw, tmp_path):
    pairs = tmp_path / 'test_pairs.csv'
    pairs.write_text(
        'from,to\n'
        f'{_flat(TEST[0])},{_flat(TEST[1])}\n'
        f'{_flat(TEST[0])},{_flat(TEST[2])}\n'  # unreadable image
        f'{_flat(TEST[0])},{_flat(TRAIN[0])}\n')  # other identity and split
    summary = _prepare(raw, tmp_path / 'out',
                       pairs_files=dict(test=str(pairs)))
    assert summary['pairs']['test'] == 1
    assert summary['dropped_pairs'] == dict(image_not_kept=2)
    # Each row names the image and why it was not kept, and the split.
    assert summary['warnings'][-1] == (
        f'2 given test pairs were dropped ({pairs}, line 3: '
        f'{_flat(TEST[2])}: unreadable, {pairs}, line 4: {_flat(TRAIN[0])} '
        'is in the train split; the kept images and the reasons images were '
        'dropped are in prepare_summary.json): the test set is no longer '
        "the pairs file's")


def test_a_split_left_without_pairs_stops_naming_why(raw, tmp_path):
    """E.g. the annotation files in the wrong order: every given pair
    names an image of the other split. The summary is written; the run
    stops (it wrote an empty set and exited 1 with a warning before)."""
    pairs = tmp_path / 'test_pairs.csv'
    pairs.write_text(f'from,to\n{_flat(TRAIN[0])},{_flat(TRAIN[1])}\n')
    with pytest.raises(UserInputError) as info:
        _prepare(raw, tmp_path / 'out', pairs_files=dict(test=str(pairs)))
    assert str(info.value).startswith(
        f'none of the given test pairs is left ({pairs}, line 2: '
        f'{_flat(TRAIN[0])} is in the train split, {_flat(TRAIN[1])} is in '
        f'the train split): {tmp_path / "out"} cannot be tested on')
    assert (tmp_path / 'out' / 'prepare_summary.json').is_file()
    # A test set prepared alone (no train images at all) is fine.
    test_list = tmp_path / 'test.lst'
    test_list.write_text('\n'.join(_flat(p) for p in TEST[:2]) + '\n')
    summary = _prepare(raw, tmp_path / 'test_only', partition_file=None,
                       test_list=str(test_list))
    assert summary['pairs'] == dict(train=0, test=2)


def test_an_item_under_two_categories_is_not_paired_with_itself(
        raw, tmp_path):
    """In-shop lists some items under two categories: the same photos,
    under two names. Pairs formed from scratch skip a photo and its copy."""
    image_dir = raw['root'] / 'img'
    copy = 'WOMEN/Skirts/id_00000001/01_1_front.jpg'
    (image_dir / copy).parent.mkdir(parents=True)
    (image_dir / copy).write_bytes((image_dir / TRAIN[0]).read_bytes())
    k = keypoint_rows(raw['keypoints'])
    with open(raw['ann'], 'a') as ann:
        ann.write(f"{_flat(copy)}: {k['y']}: {k['x']}\n")
    partition = raw['root'] / 'list_eval_partition.txt'
    partition.write_text(partition.read_text()
                         + f'img/{copy} id_00000001 train\n')
    summary = _prepare(raw, tmp_path / 'out')
    pairs = {(p.source, p.target) for p in read_pairs_csv(
        str(tmp_path / 'out' / 'fasion-resize-pairs-train.csv'))}
    assert (_flat(TRAIN[0]), _flat(copy)) not in pairs
    assert (_flat(copy), _flat(TRAIN[0])) not in pairs
    assert (_flat(copy), _flat(TRAIN[1])) in pairs
    assert summary['dropped_pairs'] == dict(same_photo_under_two_names=2)
    # id 1: three photos, six ordered pairs less the two of the copy; id 2:
    # two.
    assert summary['pairs']['train'] == 4 + 2


def test_bad_names_in_pairs_or_annotations_stop_before_any_image(
        raw, tmp_path):
    """A path-style name too short to be In-shop's, in a pairs file or an
    annotation file: a PoseDataError naming the file and line, found before
    any image is written (a rerun is not refused for a non-empty folder)."""
    pairs = tmp_path / 'test_pairs.csv'
    pairs.write_text(f'from,to\n{_flat(TEST[0])},{_flat(TEST[1])}\n'
                     'Dresses/01_1_front.jpg,x.jpg\n')
    out = tmp_path / 'out'
    with pytest.raises(PoseDataError, match=r'test_pairs.csv, line 3: '):
        _prepare(raw, out, pairs_files=dict(test=str(pairs)))
    assert not out.exists() or not any(out.iterdir())
    annotations = tmp_path / 'short.csv'
    coordinates = '[' + ', '.join(['10'] * 18) + ']'
    annotations.write_text(raw['ann'].read_text() +
                           f'WOMEN/x_1.jpg: {coordinates}: {coordinates}\n')
    with pytest.raises(PoseDataError, match=r'short.csv, line \d+: '):
        _prepare(raw, out, annotation_files=[str(annotations)])


def test_split_by_annotation_and_lists(raw, tmp_path):
    rows = raw['ann'].read_text().splitlines()
    train_ann, test_ann = tmp_path / 'a_train.csv', tmp_path / 'a_test.csv'
    train_ann.write_text('\n'.join(rows[:7]) + '\n')
    test_ann.write_text('\n'.join(rows[:1] + rows[7:]) + '\n')
    by_annotation = _prepare(raw, tmp_path / 'a',
                             annotation_files=[str(train_ann), str(test_ann)],
                             partition_file=None, split_by_annotation=True)
    assert by_annotation['images'] == dict(train=5, test=3)  # + NOT_IN_SPLIT
    (tmp_path / 'train.lst').write_text(
        '\n'.join(_flat(p) for p in TRAIN) + '\n')
    (tmp_path / 'test.lst').write_text('\n'.join(TEST) + '\n')
    by_lists = _prepare(raw, tmp_path / 'b', partition_file=None,
                        train_list=str(tmp_path / 'train.lst'),
                        test_list=str(tmp_path / 'test.lst'))
    assert by_lists['images'] == dict(train=5, test=2)


def test_bad_input(raw, tmp_path):
    with pytest.raises(ValueError, match='exactly one split'):
        _prepare(raw, tmp_path / 'o', split_by_annotation=True)
    (tmp_path / 'busy').mkdir()
    (tmp_path / 'busy' / 'x').write_text('')
    with pytest.raises(UserInputError, match='not empty'):
        _prepare(raw, tmp_path / 'busy')
    with pytest.raises(UserInputError,
                       match=r'size \(44, 64\) is wider than high: it is '
                       r'\(H, W\), height first; did you mean 64 44\?'):
        _prepare(raw, tmp_path / 'o', size=(44, 64))
    with open(raw['root'] / 'list_eval_partition.txt', 'a') as f:
        f.write('img/x.jpg id_1\n')
    with pytest.raises(PoseDataError,
                       match=r'list_eval_partition.txt, line 13'):
        _prepare(raw, tmp_path / 'o')


def test_command_line(raw, tmp_path, capsys):
    tool = load_tool('prepare_deepfashion')
    code = tool.main([
        str(raw['root']), str(tmp_path / 'out'), '--annotations',
        str(raw['ann']), '--annotation-frame', '64', '44', '--size', '64',
        '44', '--partition', str(raw['root'] / 'list_eval_partition.txt'),
        '--workers', '2'])
    # Written, with warnings (exit 1: some inputs were left out).
    assert code == 1
    printed = capsys.readouterr()
    assert printed.err.count('warning: ') == 3
    assert 'could not be read' in printed.err
    summary = json.loads(printed.out)
    assert summary['images'] == dict(train=5, test=2)
    assert summary['joints']['clipped_onto_the_frame'] == 7
    with pytest.raises(UserInputError,
                       match='split_by_annotation needs two annotation files'):
        tool.main([str(raw['root']), str(tmp_path / 'other'),
                   '--annotations', str(raw['ann']), '--split-by-annotation'])


def test_a_folder_without_in_shop_images_stops_before_writing(raw, tmp_path):
    """E.g. PATN's flattened images given as the raw folder: no annotated
    image is found in In-shop's layout (an empty data set and exit 0
    before)."""
    flat = tmp_path / 'flat'
    for path in TRAIN[:2]:
        write_image(flat / 'img' / _flat(path), height=64, width=64)
    out = tmp_path / 'out'
    with pytest.raises(UserInputError,
                       match=r'none of the 11 annotated images is under '
                       rf'{flat}/img in In-shop\'s layout .* \(found 2 images '
                       'outside that layout'):
        prepare_deepfashion(
            str(flat), str(out), annotation_files=[str(raw['ann'])],
            annotation_frame=(64, 44), size=(64, 44),
            partition_file=str(raw['root'] / 'list_eval_partition.txt'))
    assert not out.exists()


def test_swapped_keypoint_columns_are_warned(raw, tmp_path):
    """keypoints_x and keypoints_y named the other way round put many
    joints outside the frame: clipped or dropped, counted only in the
    summary before."""
    lines = raw['ann'].read_text().split('\n')
    lines[0] = 'name:keypoints_x:keypoints_y'
    raw['ann'].write_text('\n'.join(lines))
    summary = _prepare(raw, tmp_path / 'out')
    [warning] = [w for w in summary['warnings'] if 'annotated joints' in w]
    assert 'lie outside the 64x44 annotation frame' in warning
    assert 'keypoints_y and keypoints_x swapped' in warning
    # The right header: no such warning.
    lines[0] = 'name:keypoints_y:keypoints_x'
    raw['ann'].write_text('\n'.join(lines))
    summary = _prepare(raw, tmp_path / 'again')
    assert not [w for w in summary['warnings'] if 'annotated joints' in w]
