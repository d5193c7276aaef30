"""One rule for how every tool ends: results, a user's mistake, or a bug.

A tool's ``main(argv)`` raises; :func:`run_tool` turns what it raised into
the process's exit:

* a user error (:data:`~ratenet_plugin.fileio.errors.USER_ERRORS`: our
  :class:`~ratenet_plugin.fileio.errors.UserInputError` and a missing file;
  and a file system that refuses a write, :data:`STORAGE_ERRNOS`: a
  read-only folder, a full disk) is one line ``error: <message>`` on
  stderr and exit code :data:`EXIT_USER_ERROR` (2, argparse's code for a
  usage error);
* any other exception is a bug and keeps its traceback (exit code 1);
* ``main`` returning an int exits with it (batch modes return
  :data:`EXIT_SOME_FAILED` when some items were skipped), anything else
  exits 0.

Tests call ``main(argv)`` directly and see the exceptions themselves.
"""
import errno
import sys
from typing import Any, Callable, NoReturn

from ratenet_plugin.fileio.errors import USER_ERRORS

#: Exit code of a user error (the same as argparse's usage errors).
EXIT_USER_ERROR = 2
#: Exit code of a batch run that wrote what it could and skipped some items.
EXIT_SOME_FAILED = 1


#: What the file system refuses for a reason the user can remove: a
#: read-only folder, a full disk or quota, no permission, a file where a
#: folder is expected.
STORAGE_ERRNOS = {errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EACCES,
                  errno.EPERM, errno.ENOTDIR, errno.EEXIST}


def run_tool(main: Callable[[], Any]) -> NoReturn:
    """Run a tool's ``main()`` and exit by the rule of this module."""
    try:
        result = main()
    except USER_ERRORS as error:
        print(f'error: {one_line(error)}', file=sys.stderr)
        sys.exit(EXIT_USER_ERROR)
    except OSError as error:
        if error.errno not in STORAGE_ERRNOS:
            raise
        print(f'error: {one_line(error)}: the file system refused the write '
              '(or read); free space, choose a writable folder, or fix the '
              'path', file=sys.stderr)
        sys.exit(EXIT_USER_ERROR)
    sys.exit(result if isinstance(result, int) and
             not isinstance(result, bool) else 0)


def one_line(error: BaseException) -> str:
    """The error's message on one line (a ``FileNotFoundError`` from
    ``open`` has no message of its own: its errno text and file name)."""
    if isinstance(error, OSError) and error.filename is not None:
        message = f'{error.strerror}: {error.filename}'
    else:
        message = str(error)
    return ' '.join(message.split())
