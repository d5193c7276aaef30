import numpy as np
import pytest

from ratenet_plugin.fileio.patn_csv import (
    AnnotationCsvWriter, PoseDataError, fit_keypoints_to_frame, flatten_name,
    identity_of, read_annotation_csv, read_annotation_keypoints,
    read_annotations, read_pairs_csv, write_annotation_csv, write_pairs_csv)
from ratenet_plugin.fileio.text_file import TextEncodingError

YS = list(range(10, 28))
XS = list(range(20, 38))


def _fmt(values, sep=', '):
    return '[' + sep.join(str(v) for v in values) + ']'


def test_flatten_name_matches_patn():
    assert flatten_name('fashion/WOMEN/Dresses/id_00002629/02_3_back.jpg') \
        == 'fashionWOMENDressesid0000262902_3back.jpg'
    assert flatten_name('img/MEN/Denim/id_00000080/01_7_additional.jpg') \
        == 'fashionMENDenimid0000008001_7additional.jpg'
    # Category names keep their underscores, as in PATN's files.
    assert flatten_name(
        'img_highres/WOMEN/Blouses_Shirts/id_00006370/03_1_front.jpg') == \
        'fashionWOMENBlouses_Shirtsid0000637003_1front.jpg'
    assert flatten_name('  fashionWOMENDressesid0000262902_3back.jpg ') == \
        'fashionWOMENDressesid0000262902_3back.jpg'
    with pytest.raises(ValueError, match='four components'):
        flatten_name('Dresses/02_3_back.jpg')


def test_identity_of_flattened_and_path_names():
    assert identity_of('fashionWOMENDressesid0000262902_3back.jpg') == \
        'id00002629'
    assert identity_of('img/WOMEN/Dresses/id_00002629/02_3_back.jpg') == \
        'id00002629'
    with pytest.raises(ValueError, match='no identity'):
        identity_of('person.jpg')


def test_reads_real_file_quirks(tmp_path):
    path = tmp_path / 'ann.csv'
    # BOM, CRLF, trailing commas on the header, spaces after ':' or none,
    # a blank line, quotes, no spaces inside the list.
    path.write_bytes((
        '\ufeffname:keypoints_y:keypoints_x,,,\r\n'
        f'a.jpg: {_fmt(YS)}: {_fmt(XS)}\r\n'
        '\r\n'
        f'b.jpg:{_fmt(YS, ",")}:{_fmt(XS, ",")}\r\n'
        f'"c.jpg": "{_fmt(YS)}" : {_fmt(XS)},\r\n').encode('utf-8'))
    rows = read_annotation_csv(str(path))
    assert [r.name for r in rows] == ['a.jpg', 'b.jpg', 'c.jpg']
    assert [r.line for r in rows] == [2, 4, 5]
    for row in rows:
        assert row.keypoints.dtype == np.float32
        np.testing.assert_array_equal(row.keypoints[:, 0], XS)
        np.testing.assert_array_equal(row.keypoints[:, 1], YS)


def test_header_order_x_before_y_and_no_header(tmp_path):
    swapped = tmp_path / 'swapped.csv'
    swapped.write_text('name: keypoints_x: keypoints_y\n'
                       f'a.jpg: {_fmt(XS)}: {_fmt(YS)}\n')
    headerless = tmp_path / 'headerless.csv'
    headerless.write_text(f'a.jpg: {_fmt(YS)}: {_fmt(XS)}\n')
    for path in (swapped, headerless):
        (row, ) = read_annotation_csv(str(path))
        np.testing.assert_array_equal(row.keypoints[0], (XS[0], YS[0]))


@pytest.mark.parametrize('line, message', [
    (f'a.jpg: {_fmt(YS[:17])}: {_fmt(XS)}', 'keypoints_y has 17 values'),
    (f'a.jpg: {_fmt(YS)}: {_fmt(XS + [1])}', 'keypoints_x has 19 values'),
    (f'a.jpg: {_fmt(YS[:5] + ["nose"] + YS[6:])}: {_fmt(XS)}',
     'keypoints_y must be a list of numbers'),
    (f'a.jpg: {_fmt(YS)}', 'expected 3 ":"-separated fields'),
    (f'a.jpg: {_fmt(YS)}: {_fmt(XS)}: extra', 'expected 3'),
    (f'a.jpg: {_fmt(YS[:-1] + ["nan"])}: {_fmt(XS)}', 'non-finite'),
    (f': {_fmt(YS)}: {_fmt(XS)}', 'empty image name'),
])
def test_malformed_annotation_row_names_file_and_line(tmp_path, line, message):
    path = tmp_path / 'ann.csv'
    path.write_text('name:keypoints_y:keypoints_x\n'
                    f'ok.jpg: {_fmt(YS)}: {_fmt(XS)}\n{line}\n')
    with pytest.raises(PoseDataError, match=message) as info:
        read_annotation_csv(str(path))
    assert f'{path}, line 3' in str(info.value)


def test_unexpected_annotation_header(tmp_path):
    path = tmp_path / 'ann.csv'
    path.write_text('name:keypoints\n')
    with pytest.raises(PoseDataError, match='line 1: unexpected header'):
        read_annotation_csv(str(path))


def test_pairs_quirks(tmp_path):
    plain = tmp_path / 'pairs.csv'
    plain.write_text('from,to,\na.jpg,b.jpg\n\n b.jpg , a.jpg ,\n')
    indexed = tmp_path / 'indexed.csv'  # as written by pandas with an index
    indexed.write_text(',from,to\n0,a.jpg,b.jpg\n1,b.jpg,a.jpg\n')
    headerless = tmp_path / 'headerless.csv'
    headerless.write_text('a.jpg,b.jpg\nb.jpg,a.jpg\n')
    for path in (plain, indexed, headerless):
        rows = read_pairs_csv(str(path))
        assert [(r.source, r.target) for r in rows] == [('a.jpg', 'b.jpg'),
                                                       ('b.jpg', 'a.jpg')]
    assert [r.line for r in read_pairs_csv(str(plain))] == [2, 4]


@pytest.mark.parametrize('line, message', [
    ('a.jpg', 'expected 2 comma-separated fields'),
    ('a.jpg,b.jpg,c.jpg', 'expected 2 comma-separated fields'),
    ('a.jpg, ,', 'expected 2'),
])
def test_malformed_pairs_row_names_file_and_line(tmp_path, line, message):
    path = tmp_path / 'pairs.csv'
    path.write_text(f'a.jpg,b.jpg\n{line}\n')
    with pytest.raises(PoseDataError, match=message) as info:
        read_pairs_csv(str(path))
    assert f'{path}, line 2' in str(info.value)


def test_empty_name_in_pairs_with_header(tmp_path):
    path = tmp_path / 'pairs.csv'
    path.write_text('idx,from,to\n0,,b.jpg\n')
    with pytest.raises(PoseDataError, match=r'line 2: empty image name'):
        read_pairs_csv(str(path))


def test_write_read_round_trip(tmp_path):
    keypoints = np.stack([XS, YS], axis=1).astype(np.float32) + 0.4
    keypoints[3] = (-1, 7)  # any negative coordinate is written as missing
    write_annotation_csv(str(tmp_path / 'ann.csv'), [('a.jpg', keypoints)])
    (row, ) = read_annotation_csv(str(tmp_path / 'ann.csv'))
    expected = np.round(keypoints)
    expected[3] = -1
    np.testing.assert_array_equal(row.keypoints, expected)
    assert (tmp_path / 'ann.csv').read_text().startswith(
        'name:keypoints_y:keypoints_x\na.jpg: [10, 11, 12, -1,')
    write_pairs_csv(str(tmp_path / 'pairs.csv'), [('a.jpg', 'b.jpg')])
    assert (tmp_path / 'pairs.csv').read_text() == 'from,to\na.jpg,b.jpg\n'


def test_fit_keypoints_to_frame_clips_near_and_drops_far():
    keypoints = np.array([[10, 10], [-3, 5], [46, 63], [44, 66], [-20, 5],
                          [-1, 30], [20, -1]] + [[5, 5]] * 11, np.float32)
    fitted, clipped, outside = fit_keypoints_to_frame(keypoints, (64, 44), 5)
    np.testing.assert_array_equal(
        fitted[:7], [[10, 10], [0, 5], [43, 63], [43, 63], [-1, -1], [-1, -1],
                     [-1, -1]])
    assert (clipped, outside) == (3, 1)


def test_latin1_annotation_csv_names_file_line_and_offset(tmp_path):
    path = tmp_path / 'ann.csv'
    path.write_bytes((f'name:keypoints_y:keypoints_x\n'
                      f'caf\xe9.jpg: {_fmt(YS)}: {_fmt(XS)}\n').encode(
                          'latin-1'))
    with pytest.raises(TextEncodingError,
                       match=f'{path}, line 2: not UTF-8 text \\(byte 0xe9 at '
                       'offset 32\\); save the file as UTF-8'):
        read_annotation_csv(str(path))
    path.write_bytes(b'from,to\na.jpg,b\xe9.jpg\n')
    with pytest.raises(TextEncodingError, match='line 2: .* offset 15'):
        read_pairs_csv(str(path))


def test_a_utf16_file_gets_the_utf16_conversion(tmp_path):
    """Excel's "Unicode text" export (UTF-16 with its byte-order mark):
    the iconv command converts from UTF-16 (it said Latin-1)."""
    path = tmp_path / 'pairs.csv'
    path.write_bytes('from,to\na.jpg,b.jpg\n'.encode('utf-16'))
    with pytest.raises(TextEncodingError,
                       match='line 1: .* `iconv -f utf-16 -t utf-8 OLD > '
                       'NEW` for a UTF-16 file'):
        read_pairs_csv(str(path))


def test_utf8_names_round_trip(tmp_path):
    keypoints = np.stack([XS, YS], axis=1)
    write_annotation_csv(str(tmp_path / 'ann.csv'), [('café.jpg', keypoints)])
    (row, ) = read_annotation_csv(str(tmp_path / 'ann.csv'))
    assert row.name == 'café.jpg'


def test_writers_refuse_names_the_format_cannot_hold(tmp_path):
    keypoints = np.stack([XS, YS], axis=1)
    with pytest.raises(PoseDataError, match='contains ":"'):
        write_annotation_csv(str(tmp_path / 'a.csv'), [('a:b.jpg', keypoints)])
    with pytest.raises(PoseDataError, match='contains ","'):
        write_pairs_csv(str(tmp_path / 'p.csv'), [('a,b.jpg', 'c.jpg')])


def test_writer_keeps_rows_written_before_an_error(tmp_path):
    path = tmp_path / 'ann.csv'
    keypoints = np.stack([XS, YS], axis=1)
    with AnnotationCsvWriter(str(path)) as writer:
        writer.write('a.jpg', keypoints)
        with pytest.raises(PoseDataError):
            writer.write('b.jpg', keypoints[:3])
    assert [r.name for r in read_annotation_csv(str(path))] == ['a.jpg']


def test_read_annotations_is_the_dataset_reading(tmp_path):
    path = tmp_path / 'ann.csv'
    xs = list(XS)
    xs[2], xs[3], xs[4] = -3, 80, -5  # near (clipped), far (missing), near
    ys = list(YS)
    ys[5] = -1  # PATN's marker
    path.write_text('name:keypoints_y:keypoints_x\n'
                    f'fashionWOMENDressesid0000262902_3back.jpg: {_fmt(ys)}: '
                    f'{_fmt(xs)}\n'
                    f'b.jpg: {_fmt(YS)}: {_fmt(XS)}\n')
    index = read_annotations(str(path), (64, 44), 5)
    assert sorted(index.rows) == [
        'b.jpg', 'fashionWOMENDressesid0000262902_3back.jpg'
    ]
    assert (index.clipped, index.outside) == (2, 1)
    # A path-style name finds the flattened row, with the same keypoints.
    kpts = read_annotation_keypoints(
        str(path), 'img/WOMEN/Dresses/id_00002629/02_3_back.jpg', (64, 44),
        5)
    expected = np.stack([xs, ys], axis=1).astype(np.float32)
    expected[2] = (0, YS[2])
    expected[[3, 5]] = -1
    expected[4] = (0, YS[4])
    np.testing.assert_array_equal(kpts, expected)
    with pytest.raises(PoseDataError, match='no annotation row for image'):
        read_annotation_keypoints(str(path), 'c.jpg', (64, 44))


def test_read_annotations_refuses_an_image_annotated_twice(tmp_path):
    path = tmp_path / 'ann.csv'
    path.write_text(
        f'fashionWOMENDressesid0000262902_3back.jpg: {_fmt(YS)}: {_fmt(XS)}\n'
        f'WOMEN/Dresses/id_00002629/02_3_back.jpg: {_fmt(YS)}: {_fmt(XS)}\n')
    with pytest.raises(PoseDataError,
                       match='line 2: .* annotated again .*line 1'):
        read_annotations(str(path), (64, 44))
