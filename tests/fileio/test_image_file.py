import struct
import zlib

import cv2
import numpy as np
import pytest

from ratenet_plugin.fileio.errors import UserInputError
from ratenet_plugin.fileio.image_file import (ImageFileError,
                                              ImageNotFoundError,
                                              check_image_file, list_images,
                                              read_image, write_image)


def _photo(height: int = 64, width: int = 44) -> np.ndarray:
    """A smooth RGB image with some noise (uint8)."""
    rng = np.random.default_rng(0)
    ys, xs = np.mgrid[:height, :width]
    base = np.stack([ys * 3, xs * 5, (ys + xs) * 2], axis=-1)
    return np.clip(base + rng.integers(0, 40, base.shape), 0,
                   255).astype(np.uint8)


def _encoded(ext: str, image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(ext, image[..., ::-1])
    assert ok
    return data.tobytes()


@pytest.mark.parametrize('ext', ['.png', '.jpg', '.bmp', '.webp'])
def test_round_trip_and_truncation_per_format(tmp_path, ext):
    image = _photo()
    path = tmp_path / f'person{ext}'
    write_image(str(path), image)
    read = read_image(str(path))
    assert read.dtype == np.uint8 and read.shape == (64, 44, 3)
    if ext in ('.png', '.bmp'):
        np.testing.assert_array_equal(read, image)  # lossless, RGB order
    data = path.read_bytes()
    half = tmp_path / f'half{ext}'
    half.write_bytes(data[:len(data) // 2])
    # OpenCV alone decodes a half JPEG into a partly grey image.
    with pytest.raises(ImageFileError,
                       match=f'damaged image {half}: truncated'):
        read_image(str(half))
    with pytest.raises(ImageFileError, match='truncated'):
        check_image_file(str(half))


def test_empty_and_missing_files(tmp_path):
    empty = tmp_path / 'empty.jpg'
    empty.write_bytes(b'')
    with pytest.raises(ImageFileError,
                       match=f'damaged image {empty}: empty file \\(0 bytes'):
        read_image(str(empty))
    with pytest.raises(ImageNotFoundError, match='image file not found: .*'
                       'absent.png') as info:
        read_image(str(tmp_path / 'absent.png'))
    # Both kinds of callers catch it: file errors and user errors.
    assert isinstance(info.value, FileNotFoundError)
    assert isinstance(info.value, UserInputError)
    text = tmp_path / 'notes.png'
    text.write_text('not an image at all')
    with pytest.raises(ImageFileError, match=f'cannot decode image {text}'):
        read_image(str(text))


def test_jpeg_end_marker_of_a_thumbnail_does_not_count(tmp_path):
    main = _encoded('.jpg', _photo(96, 64))
    thumbnail = _encoded('.jpg', _photo(16, 12))  # ends in FFD9
    segment = b'\xff\xfe' + (len(thumbnail) + 2).to_bytes(2, 'big')
    with_thumbnail = main[:2] + segment + thumbnail + main[2:]
    whole = tmp_path / 'whole.jpg'
    whole.write_bytes(with_thumbnail)
    np.testing.assert_array_equal(read_image(str(whole)),
                                  read_image_bytes(main, tmp_path))
    cut = tmp_path / 'cut.jpg'
    cut.write_bytes(with_thumbnail[:len(segment) + len(thumbnail) +
                                   len(main) // 2])
    with pytest.raises(ImageFileError, match='no end-of-image marker'):
        read_image(str(cut))


def read_image_bytes(data: bytes, folder) -> np.ndarray:
    path = folder / 'plain.jpg'
    path.write_bytes(data)
    return read_image(str(path))


def test_bytes_after_the_jpeg_end_are_allowed(tmp_path):
    # e.g. the video a "motion photo" appends after the image.
    path = tmp_path / 'motion.jpg'
    plain = _encoded('.jpg', _photo())
    path.write_bytes(plain + b'\x00\x00\x00\x18ftypmp42')
    np.testing.assert_array_equal(read_image(str(path)),
                                  read_image_bytes(plain, tmp_path))


def test_png_crc_and_iend(tmp_path):
    data = bytearray(_encoded('.png', _photo()))
    no_end = tmp_path / 'no_end.png'
    no_end.write_bytes(bytes(data[:-12]))
    with pytest.raises(ImageFileError, match='no IEND chunk'):
        read_image(str(no_end))
    data[len(data) // 2] ^= 0xFF
    flipped = tmp_path / 'flipped.png'
    flipped.write_bytes(bytes(data))
    with pytest.raises(ImageFileError, match='CRC of its IDAT chunk'):
        read_image(str(flipped))


def test_grey_16bit_and_alpha_files_become_rgb_uint8(tmp_path):
    cv2.imwrite(str(tmp_path / 'grey.png'), np.full((8, 6), 90, np.uint8))
    cv2.imwrite(str(tmp_path / 'deep.png'), np.full((8, 6, 3), 65535,
                                                     np.uint16))
    opaque = np.zeros((8, 6, 4), np.uint8)
    opaque[..., 2], opaque[..., 3] = 200, 255  # red in OpenCV's BGRA
    cv2.imwrite(str(tmp_path / 'opaque.png'), opaque)
    assert (read_image(str(tmp_path / 'grey.png')) == 90).all()
    assert (read_image(str(tmp_path / 'deep.png')) == 255).all()
    rgb = read_image(str(tmp_path / 'opaque.png'))
    assert rgb.shape == (8, 6, 3) and (rgb == (200, 0, 0)).all()


@pytest.mark.parametrize('ext, depth, channels', [
    ('.png', np.uint8, 'BGRA'), ('.png', np.uint16, 'BGRA'),
    ('.png', np.uint8, 'grey+alpha'), ('.webp', np.uint8, 'BGRA')])
def test_transparent_parts_are_laid_over_white(tmp_path, ext, depth,
                                               channels):
    """A cut-out (transparent background over black, as background
    removers write) reads on white, DeepFashion's background; half
    transparent pixels are blended."""
    full = np.iinfo(depth).max
    alpha = np.full((8, 6), full, depth)
    alpha[:2] = 0
    alpha[2:4] = full // 2 + 1
    if channels == 'BGRA':
        colour = np.zeros((8, 6, 3), depth)
        colour[..., 2] = 200 * (full // 255)  # red
        image, expected_colour = np.dstack([colour, alpha]), (200, 0, 0)
    else:  # Pillow writes grey + alpha PNGs (mode 'LA')
        from PIL import Image
        image = None
        Image.fromarray(np.dstack([np.full((8, 6), 100, np.uint8),
                                   alpha]), 'LA').save(tmp_path / 'x.png')
        expected_colour = (100, 100, 100)
    path = tmp_path / f'x{ext}'
    if image is not None:
        assert cv2.imwrite(str(path), image,
                           [cv2.IMWRITE_WEBP_QUALITY, 101])  # lossless
    rgb = read_image(str(path)).astype(int)
    assert (rgb[:2] == 255).all()
    assert (rgb[4:] == expected_colour).all()
    half = (np.array(expected_colour) + 255) / 2
    assert np.abs(rgb[2:4] - half).max() <= 1


def test_a_folder_is_not_an_image(tmp_path):
    with pytest.raises(ImageFileError, match=f'{tmp_path} is a folder, not '
                       'an image file'):
        read_image(str(tmp_path))


def test_write_image_refuses_unknown_extensions(tmp_path):
    with pytest.raises(ImageFileError, match="unknown extension '.gif'"):
        write_image(str(tmp_path / 'x.gif'), _photo())


def test_list_images(tmp_path):
    for name in ('b.PNG', 'a.jpg', 'c.webp', 'notes.txt', 'd.jpeg'):
        (tmp_path / name).write_bytes(b'')
    (tmp_path / 'sub.jpg').mkdir()
    assert list_images(str(tmp_path)) == [
        str(tmp_path / n) for n in ('a.jpg', 'b.PNG', 'c.webp', 'd.jpeg')
    ]
    with pytest.raises(ImageNotFoundError, match='image folder not found'):
        list_images(str(tmp_path / 'absent'))
    with pytest.raises(ImageFileError, match='is a file; expected a folder'):
        list_images(str(tmp_path / 'a.jpg'))


def _png(width: int, height: int) -> bytes:
    """A PNG whose header declares ``width`` x ``height`` grey pixels (its
    chunks complete, its data a few rows: OpenCV checks the size first)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack('>I', len(data)) + kind + data +
                struct.pack('>I', zlib.crc32(kind + data)))

    header = struct.pack('>IIBBBBB', width, height, 8, 0, 0, 0, 0)
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', header) +
            chunk(b'IDAT', zlib.compress(b'\x00' * (width + 1) * 2)) +
            chunk(b'IEND', b''))


def test_an_image_larger_than_opencv_decodes_is_named(tmp_path):
    """A decompression bomb (40000 x 40000 declared in a small file) is an
    ImageFileError naming the file (one error line in the tools), not
    OpenCV's own exception."""
    path = tmp_path / 'bomb.png'
    path.write_bytes(_png(40000, 40000))
    with pytest.raises(ImageFileError) as info:
        read_image(str(path))
    assert str(info.value) == (
        f'cannot decode image {path}: it has more pixels than OpenCV decodes '
        '(2^30, CV_IO_MAX_IMAGE_PIXELS; a huge or forged header): make it '
        'smaller')


@pytest.mark.parametrize('orientation', range(1, 9))
def test_the_alpha_of_a_rotated_photo_turns_with_its_colours(tmp_path,
                                                             orientation):
    """OpenCV turns the colours upright by the EXIF orientation, but not the
    alpha it gives: both must match Pillow's exif_transpose of the file."""
    from PIL import Image, ImageOps
    rgba = np.zeros((8, 6, 4), np.uint8)
    rgba[..., 0] = np.arange(6) * 40  # red grows to the right
    rgba[..., 1] = np.arange(8)[:, None] * 30  # green grows downwards
    rgba[..., 3] = 255
    rgba[:3, :2, 3] = 0  # a transparent corner
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / 'rotated.png'
    Image.fromarray(rgba, 'RGBA').save(path, exif=exif.tobytes())
    with Image.open(path) as image:
        upright = np.asarray(ImageOps.exif_transpose(image).convert('RGBA'))
    opacity = upright[..., 3:] / 255
    expected = np.round(upright[..., :3] * opacity + 255 * (1 - opacity))
    np.testing.assert_array_equal(read_image(str(path)), expected)


@pytest.mark.parametrize('kind', ['palette', 'rgb'])
def test_a_transparent_colour_reads_as_white(tmp_path, kind):
    """PNGs with a tRNS chunk (pngquant's and TinyPNG's palette cut-outs,
    an RGB PNG with one transparent colour) have transparent pixels too."""
    from PIL import Image
    rgba = np.zeros((8, 6, 4), np.uint8)
    rgba[..., 0], rgba[..., 3] = 200, 255
    rgba[:2, ..., 3] = 0
    path = tmp_path / f'{kind}.png'
    if kind == 'palette':
        Image.fromarray(rgba, 'RGBA').quantize().save(path)
    else:
        rgb = rgba[..., :3].copy()
        rgb[:2] = (0, 0, 0)
        Image.fromarray(rgb).save(path, transparency=(0, 0, 0))
    image = read_image(str(path))
    assert (image[:2] == 255).all() and (image[2:] == (200, 0, 0)).all()
