"""The error of a metric set up for images or samples it cannot score."""
from ratenet_plugin.fileio.errors import UserInputError


class MetricInputError(UserInputError):
    """A metric given what it cannot score (images smaller than its window,
    samples without the file paths it reads, fewer images than its settings
    ask for), named with the setting to change. Tools print it as one
    ``error:`` line."""
