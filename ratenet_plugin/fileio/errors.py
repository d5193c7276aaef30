"""The base class of every error a user can fix by changing an input, and
how messages list what they name."""
from typing import Sequence


class UserInputError(ValueError):
    """A bad file, row, argument or config value, named in the message.

    Tools print such an error as one ``error: ...`` line and exit with code 2;
    any other exception is a bug and keeps its traceback.
    """


#: What a tool reports as the user's mistake rather than a bug: our own
#: errors, and a path that does not exist (Python's and the framework's
#: ``FileNotFoundError``). Batch modes skip an item that raises one of these.
USER_ERRORS = (UserInputError, FileNotFoundError)


#: How many names a message lists before "... (N more)".
NAMES_LISTED = 5


def listing(names: Sequence[str], shown: int = NAMES_LISTED) -> str:
    """``'a, b, c, ... (N more)'``: the first ``shown`` of ``names``."""
    more = len(names) - shown
    return ', '.join(names[:shown]) + (f', ... ({more} more)'
                                       if more > 0 else '')
