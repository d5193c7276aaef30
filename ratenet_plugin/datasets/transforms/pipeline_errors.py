"""The error of a data pipeline that breaks the pose-pair contract."""
from ratenet_plugin.fileio.errors import UserInputError


class PosePipelineError(UserInputError):
    """A pipeline step that separates images from their keypoints or
    heatmaps (a transform that resizes or mirrors only the images; another
    packer than ``PackPoseInputs``), named with the step to use instead.
    Raised by the transforms and the data preprocessor, at the first sample
    or batch, before any update."""
