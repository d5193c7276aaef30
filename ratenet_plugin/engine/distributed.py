"""Distributed data parallel for RATE-Net: one DDP per network of the cycle.

The 1-1-3 cycle trains a different set of networks in each update (G_P; G_P
and G_t; D_S and D_A). DDP all-reduces the gradients of a wrapped module only
if the module was called through its wrapper, and, without the costly
``find_unused_parameters=True``, it expects every parameter of the wrapped
module to get a gradient in every backward that follows a forward.
:class:`RATESeparateDistributedDataParallel` therefore wraps each network
that is trained as a whole in its own DDP: G_P, G_t, D_S and D_A.
"""
import datetime
from contextlib import ExitStack, contextmanager
from typing import Iterator, List, Tuple

import torch
import torch.distributed as dist
import torch.nn as nn
from mmengine.device import get_device
from mmengine.logging import print_log
from mmengine.model import (MMDistributedDataParallel,
                            MMSeparateDistributedDataParallel)

from ratenet_plugin.models.editors.ratenet import RATEGenerator
from ratenet_plugin.registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class RATESeparateDistributedDataParallel(MMSeparateDistributedDataParallel):
    """MMagic's separate DDP, with RATE-Net's generator split into G_P and G_t.

    Like ``MMSeparateDistributedDataParallel``, every top-level child of the
    model that has trainable parameters gets its own
    ``MMDistributedDataParallel`` (D_S, D_A, or MMagic's generator and
    discriminator for other models), and ``train_step``/``val_step``/
    ``test_step`` run the model's own methods. In addition a
    :class:`RATEGenerator` child is not wrapped as a whole: its
    ``pose_transfer`` (G_P) and ``texture_enhancer`` (G_t) are each replaced
    by their own DDP inside it. The pose-transfer update runs G_P alone, so a
    DDP over the whole generator would wait for G_t's gradients that never
    come (or need ``find_unused_parameters=True``); with the split every DDP
    sees all of its parameters used whenever it runs with gradients.

    Modules without trainable parameters (a frozen G_P in PB Fixed, the VGG
    of the perceptual loss, the preprocessor) are only moved to the device:
    DDP refuses modules that have nothing to train. Every trainable
    parameter of the model must end up inside a DDP; the constructor raises
    otherwise, so no gradient can silently stay unsynchronised.

    Checkpoints keep the plain model's keys: MMEngine's ``get_state_dict``
    and ``load_state_dict`` unwrap nested wrappers, so a checkpoint saved
    under this wrapper loads into a single-process model and vice versa.

    Args:
        module (nn.Module): The model (RATENet, or any model with top-level
            trainable children).
        broadcast_buffers (bool): As in DDP. Defaults to False (RATE-Net's
            InstanceNorm has no running statistics).
        find_unused_parameters (bool): As in DDP. Defaults to False: not
            needed for RATE-Net.
        **kwargs: Further ``MMDistributedDataParallel`` arguments.
            ``device_ids`` (which the Runner always passes) is dropped when
            the device is the CPU, where DDP refuses it.
    """

    def __init__(self,
                 module: nn.Module,
                 broadcast_buffers: bool = False,
                 find_unused_parameters: bool = False,
                 **kwargs) -> None:
        # Like MMSeparateDistributedDataParallel, skip DDP's own constructor:
        # this object only holds the model; the DDPs are inside it.
        nn.Module.__init__(self)
        self.module = module
        device = get_device()
        if device == 'cpu':
            kwargs.pop('device_ids', None)
            kwargs.pop('output_device', None)
        module.to(device)
        #: Dotted names (in the model) of the modules wrapped in a DDP.
        self.ddp_module_names: List[str] = []
        for name, parent, attr, child in self._units(module):
            if not any(p.requires_grad for p in child.parameters()):
                continue
            parent._modules[attr] = MMDistributedDataParallel(
                module=child,
                broadcast_buffers=broadcast_buffers,
                find_unused_parameters=find_unused_parameters,
                **kwargs)
            self.ddp_module_names.append(name)
        self._check_all_trainable_wrapped()
        print_log(
            'RATESeparateDistributedDataParallel: one DDP each for '
            + ', '.join(self.ddp_module_names),
            logger='current')

    @staticmethod
    def _units(module: nn.Module
               ) -> Iterator[Tuple[str, nn.Module, str, nn.Module]]:
        """``(dotted name, parent, attribute, child)`` of each candidate."""
        for attr, child in module.named_children():
            if isinstance(child, RATEGenerator):
                for sub_attr in ('pose_transfer', 'texture_enhancer'):
                    sub = getattr(child, sub_attr)
                    if sub is not None:
                        yield f'{attr}.{sub_attr}', child, sub_attr, sub
            elif child is not None:
                yield attr, module, attr, child

    def _ddp_modules(self) -> List[MMDistributedDataParallel]:
        return [
            m for m in self.module.modules()
            if isinstance(m, MMDistributedDataParallel)
        ]

    def _check_all_trainable_wrapped(self) -> None:
        synced = {
            id(p)
            for ddp in self._ddp_modules()
            for p in ddp.parameters()
        }
        missing = [
            name for name, p in self.module.named_parameters()
            if p.requires_grad and id(p) not in synced
        ]
        if missing:
            raise ValueError(
                'RATESeparateDistributedDataParallel wraps top-level '
                'children (and G_P, G_t) only; these trainable parameters '
                f'would not be synchronised: {missing}')

    @contextmanager
    def no_sync(self):
        """Disable gradient all-reduce in every DDP of the model."""
        with ExitStack() as stack:
            for ddp in self._ddp_modules():
                stack.enter_context(ddp.no_sync())
            yield


def init_cpu_distributed(launcher: str, dist_cfg: dict) -> bool:
    """Start the process group for a CPU run launched by torchrun.

    MMEngine's ``init_dist`` calls ``torch.cuda.set_device``, which fails on a
    machine without CUDA. The Runner only initialises the process group if
    none exists, so ``tools/train.py`` and ``tools/test.py`` call this first:
    with launcher ``'pytorch'`` and no CUDA it initialises the group from
    torchrun's environment (``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``,
    ``MASTER_PORT``); otherwise it does nothing.

    Args:
        launcher (str): ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``.
        dist_cfg (dict): The config's ``env_cfg.dist_cfg``; ``backend`` must
            be ``'gloo'`` on the CPU; ``timeout`` in seconds is honoured.

    Returns:
        bool: Whether this call initialised the process group.
    """
    if (launcher != 'pytorch' or torch.cuda.is_available()
            or dist.is_initialized()):
        return False
    backend = dist_cfg.get('backend', 'nccl')
    if backend != 'gloo':
        raise RuntimeError(
            f'Distributed training on the CPU needs the gloo backend, but '
            f'env_cfg.dist_cfg.backend is {backend!r}; add --cfg-options '
            'env_cfg.dist_cfg.backend=gloo')
    kwargs = {}
    if dist_cfg.get('timeout') is not None:
        kwargs['timeout'] = datetime.timedelta(seconds=dist_cfg['timeout'])
    dist.init_process_group(backend='gloo', **kwargs)
    return True
