"""Files that are whole or absent: the one rule every writer of the plugin
follows for what a crash or a full disk must not leave half-written."""
import os
import os.path as osp
import tempfile
from contextlib import contextmanager
from typing import Iterator


def _process_umask() -> int:
    umask = os.umask(0)  # the only way to read it: set it back at once
    os.umask(umask)
    return umask


#: The process's umask, read once at import: reading it sets it for a
#: moment, which another thread creating a file would see.
_UMASK = _process_umask()


@contextmanager
def written_whole(path: str, suffix: str = '') -> Iterator[str]:
    """Write ``path`` whole or not at all.

    Yields a temporary path beside ``path`` (a hidden name ending in
    ``.partial`` and ``suffix``, e.g. ``'.gif'`` for writers that choose the
    format by the extension) to write to; when the block ends without an
    error it is renamed onto ``path`` (atomic on one file system; the
    permissions of the file it replaces, or of a new file; a symlink is
    written through), otherwise removed. The folder is created.
    So a full disk or a crash never leaves a cut-off file under ``path``,
    nor an earlier file there emptied.
    """
    path = osp.realpath(path)  # a symlink is written through, as by open()
    folder = osp.dirname(path)
    os.makedirs(folder, exist_ok=True)
    mode = (osp.isfile(path) and os.stat(path).st_mode & 0o7777
            or 0o666 & ~_UMASK)  # an existing file keeps its permissions
    handle, partial = tempfile.mkstemp(
        prefix=f'.{osp.basename(path)}.', suffix=f'.partial{suffix}',
        dir=folder)
    os.close(handle)
    try:
        yield partial
        os.chmod(partial, mode)
        os.replace(partial, path)
    finally:
        if osp.exists(partial):
            os.remove(partial)
