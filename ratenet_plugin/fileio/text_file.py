"""Text files (CSVs, JSONs, name lists): one encoding policy.

Reading: UTF-8, a leading byte-order mark dropped. Nothing else is guessed: a
file in another encoding (Latin-1, UTF-16, cp1252...) raises
:class:`TextEncodingError` naming the file, the line and the byte offset of
the first byte that is not UTF-8, because a guessed encoding would turn image
names into other names silently. Writing: UTF-8 without a byte-order mark,
``\\n`` line ends.
"""
import codecs
import os.path as osp

from .errors import UserInputError
from .whole_file import written_whole


class TextEncodingError(UserInputError):
    """A text file that is not UTF-8; the message names file and offset."""


class NotATextFileError(UserInputError):
    """A folder given where a text file is read."""


def read_text(path: str) -> str:
    """The content of a UTF-8 text file, without a byte-order mark.

    Line ends are kept as they are in the file (``\\r\\n`` stays).

    Raises:
        FileNotFoundError: The file does not exist.
        NotATextFileError: ``path`` is a folder.
        TextEncodingError: A byte sequence that is not UTF-8.
    """
    if osp.isdir(path):
        raise NotATextFileError(f'{path} is a folder; expected a text file')
    with open(path, 'rb') as file:
        content = file.read()
    start = len(codecs.BOM_UTF8) if content.startswith(codecs.BOM_UTF8) \
        else 0
    try:
        return content[start:].decode('utf-8')
    except UnicodeDecodeError as error:
        offset = start + error.start
        line = content.count(b'\n', 0, offset) + 1
        # UTF-16 (Excel's "Unicode text") starts with its byte-order mark.
        source = 'utf-16' if content.startswith(
            (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else 'latin1'
        what = 'a UTF-16' if source == 'utf-16' else 'a Latin-1'
        raise TextEncodingError(
            f'{path}, line {line}: not UTF-8 text (byte '
            f'0x{content[offset]:02x} at offset {offset}); save '
            f'the file as UTF-8, e.g. `iconv -f {source} -t utf-8 OLD > NEW` '
            f'for {what} file') from None


def write_text(path: str, text: str) -> None:
    """Write ``text`` as UTF-8 (no byte-order mark, ``\\n`` line ends),
    whole or not at all (:func:`~.whole_file.written_whole`)."""
    with written_whole(path) as partial, open(
            partial, 'w', encoding='utf-8', newline='\n') as file:
        file.write(text)
