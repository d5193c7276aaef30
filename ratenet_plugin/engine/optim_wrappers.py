"""Mixed-precision optimiser wrapper that also runs on CPU (bfloat16)."""
import logging
from typing import Optional, Union

import torch
from mmengine.device import get_device
from mmengine.logging import print_log
from mmengine.optim import AmpOptimWrapper, OptimWrapper

from ratenet_plugin.registry import OPTIM_WRAPPERS
from ratenet_plugin.utils.arguments import ConfigValueError


@OPTIM_WRAPPERS.register_module()
class AnyDeviceAmpOptimWrapper(AmpOptimWrapper):
    """MMEngine's ``AmpOptimWrapper`` without its GPU-only restriction.

    ``optim_context`` runs the update under ``autocast(dtype)`` on the
    current device (MMEngine's ``autocast``), as ``AmpOptimWrapper`` does.
    What differs:

    - ``dtype='bfloat16'`` needs no loss scaling (bfloat16 has float32's
      range), so none is done, on any device. This also removes the
      ``GradScaler``'s host-device synchronisation at every optimiser step
      (its inf/NaN check is read back with ``.item()``): five per 1-1-3
      cycle on a GPU.
    - On CPU only ``bfloat16`` is accepted (PyTorch's CPU autocast);
      ``AmpOptimWrapper`` refuses to be built there at all.
    - ``float16`` (GPU) is exactly ``AmpOptimWrapper`` (dynamic or static
      loss scaling, as ``loss_scale`` says).

    Args:
        loss_scale (str | float | dict): As ``AmpOptimWrapper``; ignored
            (no scaling) for bfloat16. Defaults to ``'dynamic'``.
        dtype (str | torch.dtype, optional): ``'float16'`` or
            ``'bfloat16'``; None means float16 on a GPU and bfloat16 on CPU.
        **kwargs: ``OptimWrapper`` arguments (``optimizer``,
            ``clip_grad``, ...).
    """

    def __init__(self,
                 loss_scale: Union[str, float, dict] = 'dynamic',
                 dtype: Optional[Union[str, torch.dtype]] = None,
                 **kwargs) -> None:
        device = get_device()
        if isinstance(dtype, str):
            if dtype not in ('float16', 'bfloat16'):
                raise ConfigValueError('dtype', dtype,
                                       '"float16" or "bfloat16"')
            dtype = getattr(torch, dtype)
        if dtype is None:
            dtype = torch.bfloat16 if device == 'cpu' else torch.float16
        if dtype == torch.float16:
            if device == 'cpu':
                raise ConfigValueError(
                    'dtype', 'float16',
                    '"bfloat16" on a CPU: float16 mixed precision needs a '
                    'GPU (loss scaling); e.g. --amp --amp-dtype bfloat16')
            super().__init__(loss_scale=loss_scale, dtype=dtype, **kwargs)
            return
        OptimWrapper.__init__(self, **kwargs)
        self._scale_update_param = None
        # A disabled scaler: scale() returns the loss, step() calls the
        # optimiser, update() does nothing, and nothing is read back.
        self.loss_scaler = torch.amp.GradScaler(device, enabled=False)
        self.cast_dtype = dtype

    def load_state_dict(self, state_dict: dict) -> None:
        """MMEngine's, except that a checkpoint trained without loss
        scaling (bfloat16 or float32: its ``loss_scaler`` is empty), resumed
        in float16, starts from a fresh loss scale, said in the log: an
        enabled ``GradScaler`` refuses an empty state (a RuntimeError)."""
        if (not state_dict.get('loss_scaler', True)
                and self.loss_scaler.is_enabled()):
            state_dict = dict(state_dict)
            del state_dict['loss_scaler']
            print_log(
                'the checkpoint was trained without loss scaling (bfloat16 '
                'or float32); float16 starts from a fresh loss scale',
                logger='current',
                level=logging.WARNING)
        super().load_state_dict(state_dict)
