"""The base class of every error a user can fix by changing an input."""


class UserInputError(ValueError):
    """A bad file, row, argument or config value, named in the message.

    Tools print such an error as one ``error: ...`` line and exit with code 2;
    any other exception is a bug and keeps its traceback.
    """


#: What a tool reports as the user's mistake rather than a bug: our own
#: errors, and a path that does not exist (Python's and the framework's
#: ``FileNotFoundError``). Batch modes skip an item that raises one of these.
USER_ERRORS = (UserInputError, FileNotFoundError)
