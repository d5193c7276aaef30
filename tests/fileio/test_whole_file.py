"""written_whole: a file is whole or absent, never cut off or emptied."""
import os
import stat

import pytest

from ratenet_plugin.fileio.json_file import write_json
from ratenet_plugin.fileio.whole_file import written_whole


def test_a_failed_write_leaves_the_earlier_file_and_no_temporary(tmp_path):
    results = tmp_path / 'test_results.json'
    write_json(str(results), {'SSIM': 0.8})
    before = results.read_bytes()
    with pytest.raises(OSError, match='No space left'):
        with written_whole(str(results)) as partial:
            with open(partial, 'w') as file:
                file.write('{"SSIM": 0.')  # cut off by a full disk
            raise OSError(28, 'No space left on device')
    assert results.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ['test_results.json']


def test_a_whole_write_replaces_the_file_with_a_new_files_mode(tmp_path):
    umask = os.umask(0o022)
    try:
        with written_whole(str(tmp_path / 'sub' / 'a.txt')) as partial:
            assert os.path.basename(partial).startswith('.a.txt.')
            with open(partial, 'w') as file:
                file.write('whole')
    finally:
        os.umask(umask)
    written = tmp_path / 'sub' / 'a.txt'
    assert written.read_text() == 'whole'
    assert stat.S_IMODE(written.stat().st_mode) == 0o644
    assert [p.name for p in (tmp_path / 'sub').iterdir()] == ['a.txt']


def test_a_rewrite_keeps_the_files_mode_and_writes_through_a_symlink(
        tmp_path):
    from ratenet_plugin.fileio.text_file import write_text
    secret = tmp_path / 'secret.json'
    secret.write_text('old')
    secret.chmod(0o600)
    write_text(str(secret), 'new')
    assert secret.read_text() == 'new'
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    target, link = tmp_path / 'real.txt', tmp_path / 'link.txt'
    target.write_text('old')
    link.symlink_to(target)
    write_text(str(link), 'new')
    assert link.is_symlink() and target.read_text() == 'new'
