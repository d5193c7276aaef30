"""Distributed data parallel with one DDP per network the model names.

The 1-1-3 cycle trains a different set of networks in each update (G_P; G_P
and G_t; D_S and D_A). DDP all-reduces the gradients of a wrapped module only
if the module was called through its wrapper, and, without the costly
``find_unused_parameters=True``, it expects every parameter of the wrapped
module to get a gradient in every backward that follows a forward.
:class:`RATESeparateDistributedDataParallel` therefore wraps each network
that is trained as a whole in its own DDP; the model says which they are
(``RATENet.ddp_networks()``: G_P, G_t, D_S and D_A). See
docs/distributed.md.
"""
import datetime
from contextlib import ExitStack, contextmanager
from typing import Iterator, List, Tuple

import torch
import torch.distributed as dist
import torch.nn as nn
from mmengine.config import Config
from mmengine.device import get_device
from mmengine.logging import print_log
from mmengine.model import (MMDistributedDataParallel,
                            MMSeparateDistributedDataParallel)
from mmengine.registry import MODEL_WRAPPERS as ROOT_MODEL_WRAPPERS

from ratenet_plugin.registry import MODEL_WRAPPERS


class NetworkDistributedDataParallel(MMDistributedDataParallel):
    """DDP around one network inside the model, invisible from outside.

    - State dicts: MMEngine saves ``model.state_dict()``, in which a DDP
      nested inside the model would add ``.module`` to every key of its
      network (``generator.pose_transfer.module.*``), and a single-process
      model, ``tools/test.py`` or the inferencer would not find the weights.
      The state dict of this wrapper is its network's, under the wrapper's
      own name; PyTorch's ``load_state_dict`` accepts those keys too
      (MMEngine's loader unwraps wrappers by itself).
    - Attributes that the wrapper lacks are read from the network
      (``generator.pose_transfer.feature_channels``, ``init_weights``), so
      model code that reads them works unchanged. Calls still go through
      ``forward``, which is what synchronises the gradients.
    """

    def __init__(self, module: nn.Module, **kwargs) -> None:
        super().__init__(module=module, **kwargs)
        self.register_load_state_dict_pre_hook(self._insert_module_prefix)

    def state_dict(self, *args, destination=None, prefix='', keep_vars=False):
        return self.module.state_dict(
            *args, destination=destination, prefix=prefix, keep_vars=keep_vars)

    def __getattr__(self, name: str):
        try:
            return super().__getattr__(name)
        except AttributeError:
            # Look the network up without __getattr__ (no recursion while
            # DDP's constructor runs, before ``module`` is set).
            network = self.__dict__['_modules'].get('module')
            if name == 'module' or network is None:
                raise
            return getattr(network, name)

    @staticmethod
    def _insert_module_prefix(module, state_dict, prefix, *args) -> None:
        wrapped = prefix + 'module.'
        for key in [
                k for k in state_dict
                if k.startswith(prefix) and not k.startswith(wrapped)
        ]:
            state_dict[wrapped + key[len(prefix):]] = state_dict.pop(key)


# MMEngine's Runner.wrap_model looks the wrapper type up in MMEngine's root
# registry without switching to the default scope: register there as well.
@ROOT_MODEL_WRAPPERS.register_module()
@MODEL_WRAPPERS.register_module()
class RATESeparateDistributedDataParallel(MMSeparateDistributedDataParallel):
    """MMagic's separate DDP around the networks the model names.

    Which modules get their own DDP (a :class:`NetworkDistributedDataParallel`,
    put in the module's place inside the model):

    - a model with a method ``ddp_networks()`` names them, as dotted module
      names: RATE-Net's G_P and G_t (``generator.pose_transfer``,
      ``generator.texture_enhancer``; the pose-transfer update runs G_P
      alone, so a DDP over the whole generator would wait for G_t's
      gradients that never come), D_S and D_A;
    - otherwise, as in ``MMSeparateDistributedDataParallel``, every
      top-level child (the generator and discriminator of other GANs), and
      each entry of a ``ModuleDict``/``ModuleList`` child: MMagic's
      translation models (Pix2Pix) keep ``generators`` and
      ``discriminators`` per domain and call the entries of the unwrapped
      dict (``get_module(self.discriminators)[domain](x)``), which would
      bypass a DDP around the whole dict.

    ``train_step``, ``val_step`` and ``test_step`` run the model's own
    methods.

    Modules without trainable parameters (a frozen G_P in PB Fixed, the VGG
    of the perceptual loss, the preprocessor) are only moved to the device:
    DDP refuses modules that have nothing to train. Every trainable
    parameter of the model must end up inside a DDP; the constructor raises
    otherwise, so no gradient can silently stay unsynchronised.

    Checkpoints keep the plain model's keys (no ``.module``, see
    :class:`NetworkDistributedDataParallel`), so a checkpoint saved under
    this wrapper loads into a single-process model and vice versa.

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
            parent._modules[attr] = NetworkDistributedDataParallel(
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
        if hasattr(module, 'ddp_networks'):
            for name in module.ddp_networks():
                parent_name, _, attr = name.rpartition('.')
                parent = module.get_submodule(parent_name)
                yield name, parent, attr, getattr(parent, attr)
            return
        for attr, child in module.named_children():
            if isinstance(child, (nn.ModuleDict, nn.ModuleList)):
                for key, part in child.named_children():
                    yield f'{attr}.{key}', child, key, part
            else:
                yield attr, module, attr, child

    def _ddp_modules(self) -> List[NetworkDistributedDataParallel]:
        return [
            m for m in self.module.modules()
            if isinstance(m, NetworkDistributedDataParallel)
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
                'RATESeparateDistributedDataParallel wraps the networks of '
                "the model's ddp_networks() (without it: the top-level "
                'children, the entries of a ModuleDict/ModuleList); these '
                f'trainable parameters would not be synchronised: {missing}')

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


@contextmanager
def distributed_run(cfg: Config) -> Iterator[None]:
    """The process group of a tool's run with ``cfg`` (its ``launcher`` and
    ``env_cfg.dist_cfg``): :func:`init_cpu_distributed` on entry; when the
    run ends without an error, every rank waits for the others and the
    group is destroyed (whoever started it, MMEngine on a GPU or us on the
    CPU).

    A process that exits with the group alive leaves its teardown to the
    interpreter's exit, while gloo's threads (and rank 0's TCP store, which
    the other ranks still talk to) run: a two-rank ``tools/dist_test.sh`` run
    once aborted rank 0 after writing its results ("terminate called
    without an active exception"). After an error nothing waits: a barrier
    would hang the ranks that did not fail.
    """
    init_cpu_distributed(cfg.launcher,
                         cfg.get('env_cfg', {}).get('dist_cfg', {}))
    yield
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
