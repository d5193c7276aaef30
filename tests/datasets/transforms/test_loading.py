import numpy as np
import pytest
from mmagic.registry import TRANSFORMS

from ratenet_plugin.datasets import LoadPosePairFromFile, PoseDataError
from ratenet_plugin.fileio.image_file import ImageFileError
from tests.datasets.deepfashion_testing import write_image


def _results(tmp_path, frame=(64, 44)):
    return dict(src_img_path=str(tmp_path / 'a.png'),
                tgt_img_path=str(tmp_path / 'b.jpg'), keypoint_frame=frame,
                pair_ref='pairs.csv:7')


def test_loads_rgb_uint8_pair(tmp_path):
    src = write_image(tmp_path / 'a.png')
    write_image(tmp_path / 'b.jpg', value=200)
    loader = TRANSFORMS.build(dict(type='LoadPosePairFromFile'))
    assert isinstance(loader, LoadPosePairFromFile)
    results = loader(_results(tmp_path))
    assert results['src_img'].dtype == np.uint8
    assert results['src_img'].shape == (64, 44, 3)
    np.testing.assert_array_equal(results['src_img'], src)  # RGB, lossless
    assert results['tgt_img'].shape == (64, 44, 3)
    assert repr(loader) == ('LoadPosePairFromFile(check_frame=True, '
                            'backend_args=None)')


def test_grey_image_becomes_three_channels(tmp_path):
    import cv2
    cv2.imwrite(str(tmp_path / 'a.png'), np.full((64, 44), 90, np.uint8))
    write_image(tmp_path / 'b.jpg')
    results = LoadPosePairFromFile()(_results(tmp_path))
    assert results['src_img'].shape == (64, 44, 3)
    assert (results['src_img'] == 90).all()


def test_missing_file_names_file_and_pair(tmp_path):
    write_image(tmp_path / 'a.png')
    with pytest.raises(FileNotFoundError) as info:
        LoadPosePairFromFile()(_results(tmp_path))
    assert str(tmp_path / 'b.jpg') in str(info.value)
    assert 'pair pairs.csv:7' in str(info.value)


@pytest.mark.parametrize('cut, message', [
    (lambda data: b'', 'damaged image {}: empty file'),
    (lambda data: data[:len(data) // 2], 'damaged image {}: truncated'),
    (lambda data: b'not an image at all', 'cannot decode image {}'),
])
def test_damaged_image_names_file_and_pair(tmp_path, cut, message):
    write_image(tmp_path / 'a.png')
    write_image(tmp_path / 'b.jpg')
    path = tmp_path / 'b.jpg'
    path.write_bytes(cut(path.read_bytes()))
    with pytest.raises(ImageFileError) as info:
        LoadPosePairFromFile()(_results(tmp_path))
    assert message.format(path) in str(info.value)
    assert str(info.value).endswith('(pair pairs.csv:7)')


def test_size_differing_from_keypoint_frame_is_an_error(tmp_path):
    write_image(tmp_path / 'a.png', height=64, width=64)
    write_image(tmp_path / 'b.jpg')
    with pytest.raises(PoseDataError) as info:
        LoadPosePairFromFile()(_results(tmp_path))
    assert (f"image {tmp_path / 'a.png'} (pair pairs.csv:7) is 64x64 (HxW) "
            'but its keypoints are for 64x44 images: prepare the images at '
            'that size (tools/prepare_deepfashion.py --size 64 44)'
            ) in str(info.value)
    results = LoadPosePairFromFile(check_frame=False)(_results(tmp_path))
    assert results['src_img'].shape == (64, 64, 3)
