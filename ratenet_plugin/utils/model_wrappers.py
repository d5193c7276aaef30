"""The one way to reach the model inside an MMEngine model wrapper."""
import torch.nn as nn
from mmengine.model import is_model_wrapper


def unwrap_model(model: nn.Module) -> nn.Module:
    """The module inside a model wrapper (DDP, or the model itself if it is
    not wrapped), for calling the model's own methods and reading its
    attributes. Calls that must synchronise gradients still go through the
    wrapped networks (see ``ratenet_plugin/engine/distributed.py``)."""
    return model.module if is_model_wrapper(model) else model
