"""Files that are whole or absent: the one rule every writer of the plugin
follows for what a crash or a full disk must not leave half-written."""
import os
import os.path as osp
import tempfile
from contextlib import contextmanager
from typing import Iterator


def _new_file_mode() -> int:
    """The permissions a file created now gets (0o666 less the umask)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextmanager
def written_whole(path: str, suffix: str = '') -> Iterator[str]:
    """Write ``path`` whole or not at all.

    Yields a temporary path beside ``path`` (a hidden name ending in
    ``.partial`` and ``suffix``, e.g. ``'.gif'`` for writers that choose the
    format by the extension) to write to; when the block ends without an
    error it is renamed onto ``path`` (atomic on one file system, with the
    permissions of a new file), otherwise removed. The folder is created.
    So a full disk or a crash never leaves a cut-off file under ``path``,
    nor an earlier file there emptied.
    """
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    handle, partial = tempfile.mkstemp(
        prefix=f'.{osp.basename(path)}.', suffix=f'.partial{suffix}',
        dir=folder)
    os.close(handle)
    try:
        yield partial
        os.chmod(partial, _new_file_mode())
        os.replace(partial, path)
    finally:
        if osp.exists(partial):
            os.remove(partial)
