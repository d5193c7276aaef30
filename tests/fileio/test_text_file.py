import pytest

from ratenet_plugin.fileio.errors import UserInputError
from ratenet_plugin.fileio.text_file import (TextEncodingError, read_text,
                                             write_text)


def test_utf8_with_and_without_byte_order_mark(tmp_path):
    path = tmp_path / 'a.csv'
    path.write_bytes('\ufeffname\r\ncafé\n'.encode('utf-8'))
    assert read_text(str(path)) == 'name\r\ncafé\n'
    write_text(str(path), 'from,to\nrenée.jpg,b.jpg\n')
    assert path.read_bytes() == 'from,to\nrenée.jpg,b.jpg\n'.encode('utf-8')


def test_other_encodings_name_file_line_and_offset(tmp_path):
    path = tmp_path / 'latin1.csv'
    # A byte-order mark, then Latin-1's single byte for "é".
    path.write_bytes(b'\xef\xbb\xbfname\nRen\xe9e.jpg\n')
    with pytest.raises(TextEncodingError) as info:
        read_text(str(path))
    assert str(info.value).startswith(
        f'{path}, line 2: not UTF-8 text (byte 0xe9 at offset 11); save the '
        'file as UTF-8')
    assert isinstance(info.value, UserInputError)
