"""``StrictPretrained``: MMEngine's pretrained init without its leniency.

MMEngine's ``dict(type='Pretrained', checkpoint=..., prefix=...)`` loads with
``strict=False`` and only logs a warning, so a file of another architecture
leaves random weights in place (for a frozen G_P, for the whole run). This
initializer takes the same arguments and loads through
:func:`~ratenet_plugin.fileio.checkpoint_file.load_state_dict_strictly`: a
missing, unexpected or wrongly shaped key stops with an error naming the
file and the keys, before any training step.

It is registered in MMEngine's root ``WEIGHT_INITIALIZERS``: MMEngine's
``initialize()`` builds initializers from that registry, and reaches a
child registry (MMagic's) only under a default scope, which unit tests and
scripts building a model by hand do not set.
"""
import os.path as osp
from typing import Optional, Union

from mmengine.registry import WEIGHT_INITIALIZERS
from mmengine.runner.checkpoint import CheckpointLoader
from torch import nn

from ratenet_plugin.fileio.checkpoint_file import (CheckpointError,
                                                    load_state_dict_strictly,
                                                    model_state_dict,
                                                    read_checkpoint,
                                                    unconverted_patn_hint)
from ratenet_plugin.fileio.errors import UserInputError


@WEIGHT_INITIALIZERS.register_module(name='StrictPretrained')
class StrictPretrainedInit:
    """Load a module's weights from a checkpoint, every key and shape
    checked.

    Use as a module's ``init_cfg``::

        init_cfg=dict(type='StrictPretrained',
                      checkpoint='checkpoints/patn_deepfashion_converted.pth',
                      prefix='generator.pose_transfer.')

    Args:
        checkpoint (str): Checkpoint file (local path, or any URL scheme
            MMEngine's ``CheckpointLoader`` reads). A dict with a
            ``state_dict`` entry (MMEngine's format) or a bare state dict.
        prefix (str, optional): Only the keys under this prefix are loaded,
            with the prefix removed; the file may hold other modules' keys
            too. None: the whole state dict is the module's.
        map_location (str): Where tensors are loaded. Defaults to ``'cpu'``.
        remedy (str, optional): How to make or get the file again, ending
            the message of a missing or damaged one (e.g. the PATN configs':
            convert PATN's generator); ``{checkpoint}`` in it stands for the
            file's path. None: a generic one.
    """

    def __init__(self,
                 checkpoint: str,
                 prefix: Optional[str] = None,
                 map_location: str = 'cpu',
                 remedy: Optional[str] = None) -> None:
        self.checkpoint = checkpoint
        self.prefix = prefix
        self.map_location = map_location
        self.remedy = None if remedy is None else remedy.replace(
            '{checkpoint}', checkpoint)

    def __call__(self, module: nn.Module) -> None:
        """Load the weights into ``module``.

        Raises:
            CheckpointError: The file does not exist, or holds no key under
                ``prefix``.
            CheckpointMismatchError: Missing, unexpected or wrongly shaped
                keys; nothing is loaded then.
        """
        local = '://' not in self.checkpoint
        if local and not osp.isfile(self.checkpoint):
            raise CheckpointError(
                f'pretrained weights {self.checkpoint} not found (init_cfg '
                f'of {type(module).__name__}): ' + (
                    self.remedy or 'create the file or set the init_cfg\'s '
                    'checkpoint to an existing one'))
        if local and self.remedy:
            loaded = read_checkpoint(self.checkpoint, self.map_location,
                                     remedy=self.remedy)
        else:
            loaded = CheckpointLoader.load_checkpoint(
                self.checkpoint, map_location=self.map_location)
        state_dict = model_state_dict(loaded, self.checkpoint)
        loaded_keys = list(state_dict)
        what = type(module).__name__
        if self.prefix:
            state_dict = {
                key[len(self.prefix):]: value
                for key, value in state_dict.items()
                if key.startswith(self.prefix)
            }
            if not state_dict:
                raise CheckpointError(
                    f'{self.checkpoint} has no key under prefix '
                    f'{self.prefix!r} for {what}: is it the right file?'
                    + unconverted_patn_hint(loaded_keys, self.checkpoint))
            what = f'{what} (keys under {self.prefix!r})'
        load_state_dict_strictly(module, state_dict, self.checkpoint, what)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(checkpoint={self.checkpoint!r}, '
                f'prefix={self.prefix!r})')


def refuse_lenient_pretrained(init_cfg: Optional[Union[dict, list]]) -> None:
    """Refuse MMEngine's ``Pretrained`` init, which loads with
    ``strict=False`` and leaves random weights where keys do not match: a
    pretrained file that does not fit must stop the run. Every network of
    the plugin calls this on its ``init_cfg``.

    Raises:
        UserInputError: ``init_cfg`` (or one of a list) is ``Pretrained``.
    """
    cfgs = init_cfg if isinstance(init_cfg, (list, tuple)) else [init_cfg]
    for cfg in cfgs:
        if cfg is not None and cfg.get('type') == 'Pretrained':
            raise UserInputError(
                'init_cfg type "Pretrained" loads non-strictly (a mismatched '
                'file leaves random weights); use dict(type='
                '"StrictPretrained", checkpoint=..., prefix=...) instead')
