"""Image files: the one reader and writer every part of the plugin uses.

Reading (:func:`read_image`, :func:`decode_image`) gives ``uint8 (H, W, 3)``
RGB with OpenCV's ``IMREAD_COLOR`` rules: a grey file is expanded to three
channels, 16-bit samples are scaled to 8 bits, and the EXIF orientation of a
photo is applied; a transparent PNG or WebP (a cut-out from a background
remover) is laid over white, the DeepFashion background (OpenCV drops the
alpha channel, leaving whatever colour lies under it, often black).

Damaged files are never used silently. OpenCV decodes a truncated JPEG into a
partly grey image without an error, so before decoding the bytes are checked
(:func:`check_image_bytes`):

- an empty (0-byte) file;
- JPEG: the end-of-image marker ``FFD9`` must follow the start of the image
  data (the segment headers are walked, so the end marker of an EXIF
  thumbnail does not count; bytes after the end marker, such as the video of
  a "motion photo", are allowed);
- PNG: every chunk must be complete with a matching CRC, up to ``IEND``;
- BMP and WebP: the file must be as long as its header says.

Each raises :class:`ImageFileError` (a :class:`UserInputError`) naming the
file; a file that does not exist raises :class:`ImageNotFoundError` (also a
``FileNotFoundError``). A file OpenCV cannot decode at all raises
:class:`ImageFileError` too.
"""
import io
import os
import os.path as osp
import zlib
from typing import List, Optional

import cv2
import numpy as np

from .errors import UserInputError

#: File extensions listed as images (lower case), read and written.
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp')
#: JPEG quality of :func:`write_image` unless told otherwise (DeepFashion's).
JPEG_QUALITY = 95

_PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'


class ImageFileError(UserInputError):
    """An image file that is empty, truncated, damaged or not an image."""


class ImageNotFoundError(ImageFileError, FileNotFoundError):
    """An image file (or image folder) that does not exist."""


def _jpeg_problem(content: bytes) -> Optional[str]:
    """Walk the segment headers to the first scan; its end must follow."""
    pos, size = 2, len(content)
    while True:
        if pos + 4 > size:
            return 'truncated in its headers'
        if content[pos] != 0xFF:
            # Stray bytes between segments: decoders skip to the next marker.
            pos = content.find(b'\xff', pos)
            if pos < 0:
                return 'truncated in its headers'
            continue
        marker = content[pos + 1]
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
        elif marker == 0xD9:
            return 'ends (FFD9) before its image data'
        elif 0xD0 <= marker <= 0xD7 or marker == 0x01:  # no length field
            pos += 2
        elif marker == 0xDA:  # start of scan: the image data follows
            break
        else:
            pos += 2 + int.from_bytes(content[pos + 2:pos + 4], 'big')
    # In the entropy-coded data 0xFF is followed by 0x00 or a restart
    # marker, so an FFD9 after the scan header is the image's end. Searched
    # from the end: a complete file ends with it (found at once).
    if content.rfind(b'\xff\xd9', pos) < 0:
        return ('truncated: no end-of-image marker (FFD9) after its image '
                'data')
    return None


def _png_problem(content: bytes) -> Optional[str]:
    """Every chunk complete and its CRC right, up to IEND."""
    view = memoryview(content)
    pos, size = len(_PNG_SIGNATURE), len(content)
    while pos + 12 <= size:
        length = int.from_bytes(content[pos:pos + 4], 'big')
        kind = content[pos + 4:pos + 8].decode('latin-1')
        end = pos + 12 + length
        if end > size:
            return f'truncated in its {kind} chunk at byte {pos}'
        if zlib.crc32(view[pos + 4:end - 4]) != int.from_bytes(
                content[end - 4:end], 'big'):
            return f'damaged: the CRC of its {kind} chunk at byte {pos} ' \
                'does not match'
        if kind == 'IEND':
            return None
        pos = end
    return 'truncated: no IEND chunk'


def _declared_size_problem(content: bytes, declared: int) -> Optional[str]:
    if declared and len(content) < declared:
        return (f'truncated: {len(content)} bytes of the {declared} its '
                'header declares')
    return None


def check_image_bytes(content: bytes, source: str) -> None:
    """Raise :class:`ImageFileError` if an image file is empty or truncated.

    Args:
        content (bytes): The whole file.
        source (str): The file's name, for the message.
    """
    problem = None
    if not content:
        problem = 'empty file (0 bytes)'
    elif content.startswith(b'\xff\xd8'):
        problem = _jpeg_problem(content)
    elif content.startswith(_PNG_SIGNATURE):
        problem = _png_problem(content)
    elif content.startswith(b'BM') and len(content) >= 6:
        problem = _declared_size_problem(
            content, int.from_bytes(content[2:6], 'little'))
    elif content.startswith(b'RIFF') and content[8:12] == b'WEBP':
        problem = _declared_size_problem(
            content, 8 + int.from_bytes(content[4:8], 'little'))
    if problem is not None:
        raise ImageFileError(f'damaged image {source}: {problem}; replace '
                             'the file (copy or export it again)')


def check_image_file(path: str) -> None:
    """:func:`check_image_bytes` for a file on disk (no decoding)."""
    check_image_bytes(_read_bytes(path), path)


def _may_be_transparent(content: bytes) -> bool:
    """A PNG with an alpha channel or a transparent colour (a ``tRNS``
    chunk, as palette PNGs of pngquant or TinyPNG have), or any WebP: the
    files worth decoding a second time for their alpha."""
    if content.startswith(_PNG_SIGNATURE):
        # IHDR's colour type: 4 grey + alpha, 6 RGBA.
        head = content[:max(content.find(b'IDAT'), 0)]
        return content[25:26] in (b'\x04', b'\x06') or b'tRNS' in head
    return content[:4] == b'RIFF' and content[8:12] == b'WEBP'


#: EXIF orientation -> the array transform that shows the picture upright
#: (what ``IMREAD_COLOR`` applies to the colours; ``IMREAD_UNCHANGED``,
#: which gives the alpha, does not).
_UPRIGHT = {
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1],
    5: lambda a: a.swapaxes(0, 1),
    6: lambda a: np.rot90(a, -1),
    7: lambda a: np.rot90(a, 2).swapaxes(0, 1),
    8: lambda a: np.rot90(a),
}


def _orientation(content: bytes) -> int:
    """The EXIF orientation of an image file (1 = upright, also without
    EXIF), read from its header by Pillow."""
    import PIL.Image  # only for transparent files
    try:
        with PIL.Image.open(io.BytesIO(content)) as image:
            return int(image.getexif().get(_EXIF_ORIENTATION, 1))
    except (OSError, ValueError, SyntaxError):
        return 1


_EXIF_ORIENTATION = 0x0112


def over_white(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Lay ``uint8 (H, W, 3)`` colours with their ``(H, W)`` alpha (uint8 or
    uint16, full = opaque) over white: ``uint8 (H, W, 3)``."""
    opacity = alpha.astype(np.float32)[..., None] / np.iinfo(alpha.dtype).max
    return np.round(rgb * opacity + 255.0 * (1.0 - opacity)).astype(np.uint8)


def _alpha(content: bytes, shape: tuple,
           source: str) -> Optional[np.ndarray]:
    """The file's alpha channel, turned upright as the colours are
    (its EXIF orientation), where it has one that is not opaque
    everywhere."""
    raw = cv2.imdecode(np.frombuffer(content, np.uint8), cv2.IMREAD_UNCHANGED)
    if raw is None or raw.ndim != 3 or raw.shape[2] not in (2, 4):
        return None
    alpha = raw[..., -1]
    if alpha.min() == np.iinfo(alpha.dtype).max:
        return None
    upright = _UPRIGHT.get(_orientation(content))
    if upright is not None:
        alpha = np.ascontiguousarray(upright(alpha))
    if alpha.shape != shape[:2]:  # not expected: OpenCV and EXIF disagree
        raise ImageFileError(
            f'cannot read the transparency of image {source}: its alpha '
            'channel is '
            f'{alpha.shape[1]}x{alpha.shape[0]}, its colours '
            f'{shape[1]}x{shape[0]}; save it without transparency')
    return alpha


def decode_image(content: bytes, source: str) -> np.ndarray:
    """Check and decode an image file's bytes.

    Args:
        content (bytes): The whole file.
        source (str): The file's name, for messages.

    Returns:
        np.ndarray: ``uint8 (H, W, 3)`` RGB, transparent parts on white.

    Raises:
        ImageFileError: Empty, truncated, damaged, not an image, or more
            pixels than OpenCV decodes.
    """
    check_image_bytes(content, source)
    try:
        image = cv2.imdecode(
            np.frombuffer(content, np.uint8), cv2.IMREAD_COLOR)
    except cv2.error as error:  # OpenCV refuses before decoding
        if 'CV_IO_MAX_IMAGE_PIXELS' in str(error):
            raise ImageFileError(
                f'cannot decode image {source}: it has more pixels than '
                'OpenCV decodes (2^30, CV_IO_MAX_IMAGE_PIXELS; a huge or '
                'forged header): make it smaller') from None
        raise ImageFileError(
            f'cannot decode image {source}: OpenCV refused it '
            f'({str(error).strip().splitlines()[-1]})') from None
    if image is None:
        raise ImageFileError(
            f'cannot decode image {source}: not an image, or a format '
            f'OpenCV does not read (use {", ".join(IMAGE_EXTENSIONS)})')
    image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    alpha = _alpha(content, image.shape, source) if _may_be_transparent(
        content) else None
    return image if alpha is None else over_white(image, alpha)


def _read_bytes(path: str) -> bytes:
    if osp.isdir(path):
        raise ImageFileError(f'{path} is a folder, not an image file: give '
                             'the path of an image')
    if not osp.isfile(path):
        raise ImageNotFoundError(f'image file not found: {path}')
    with open(path, 'rb') as file:
        return file.read()


def read_image(path: str) -> np.ndarray:
    """Read an image file as ``uint8 (H, W, 3)`` RGB (see the module notes).

    Raises:
        ImageNotFoundError: The file does not exist.
        ImageFileError: Empty, truncated, damaged or not an image.
    """
    return decode_image(_read_bytes(path), path)


def write_image(path: str,
                image: np.ndarray,
                jpeg_quality: int = JPEG_QUALITY) -> None:
    """Write a ``uint8 (H, W, 3)`` RGB image; the format follows the
    extension (one of :data:`IMAGE_EXTENSIONS`).

    Raises:
        ImageFileError: An unknown extension, or the file cannot be written.
    """
    ext = osp.splitext(path)[1].lower()
    if ext not in IMAGE_EXTENSIONS:
        raise ImageFileError(f'cannot write image {path}: unknown extension '
                             f'{ext!r}; use one of '
                             f'{", ".join(IMAGE_EXTENSIONS)}')
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f'{path}: expected a uint8 (H, W, 3) RGB image, got '
                         f'{image.dtype} {image.shape}')
    params = [cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)] \
        if ext in ('.jpg', '.jpeg') else []
    ok, encoded = cv2.imencode(ext, cv2.cvtColor(image, cv2.COLOR_RGB2BGR),
                               params)
    if not ok:
        raise ImageFileError(f'cannot encode image {path}')
    try:
        with open(path, 'wb') as file:
            file.write(encoded.tobytes())
    except OSError as error:
        raise ImageFileError(f'cannot write image {path}: {error}') from None


def list_images(folder: str) -> List[str]:
    """Image files (by :data:`IMAGE_EXTENSIONS`, any case; no folders)
    directly inside ``folder``, as paths sorted by name.

    Raises:
        ImageNotFoundError: ``folder`` does not exist.
        ImageFileError: ``folder`` is a file, not a folder.
    """
    if osp.isfile(folder):
        raise ImageFileError(f'{folder} is a file; expected a folder of '
                             'images')
    if not osp.isdir(folder):
        raise ImageNotFoundError(f'image folder not found: {folder}')
    paths = (osp.join(folder, name) for name in os.listdir(folder)
             if osp.splitext(name)[1].lower() in IMAGE_EXTENSIONS)
    return sorted(path for path in paths if osp.isfile(path))
