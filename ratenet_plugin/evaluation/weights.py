"""Where the metrics' pretrained networks come from; nothing here downloads.

Every network is looked up (1) at the path given in the metric's config, else
(2) in the standard cache where torchvision / MMagic would have downloaded it.
When neither holds the file, :class:`MissingWeightsError` names the file, its
download URL, the cache path to put it at and the config key that takes a path,
before any download could be attempted (downloads hang on offline machines).

Files (see docs/evaluation.md), cache ``$TORCH_HOME/hub/checkpoints/``
(default ``~/.cache/torch/hub/checkpoints/``) unless said otherwise:

- FID Inception ('PyTorch'): ``pt_inception-2015-12-05-6726825d.pth``
- IS Inception ('PyTorch'): ``inception_v3_google-0cc3c7bd.pth``
- Inception ('StyleGAN'): ``inception-2015-12-05.pt`` (TorchScript), in
  MMagic's cache ``~/.cache/openmmlab/mmagic/``
- LPIPS backbones: ``alexnet-owt-7be5be79.pth``, ``vgg16-397923af.pth``;
  LPIPS's linear layers ship inside the ``lpips`` package.
"""
import os.path as osp
import warnings
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

import lpips
import torch
import torch.nn as nn
import torchvision
from mmagic.evaluation.functional.fid_inception import (FID_WEIGHTS_URL,
                                                        InceptionV3)
from mmagic.evaluation.functional.inception_utils import TERO_INCEPTION_URL
from mmagic.utils import MMAGIC_CACHE_DIR

from ratenet_plugin.fileio.checkpoint_file import (CheckpointMismatchError,
                                                   load_state_dict_strictly,
                                                   model_state_dict,
                                                   read_checkpoint)

INCEPTION_STYLES = ('PyTorch', 'StyleGAN')


class MissingWeightsError(FileNotFoundError):
    """A pretrained network's file is neither at the given path nor cached."""


@dataclass(frozen=True)
class PretrainedFile:
    """One pretrained weights file and where the standard tools cache it.

    Args:
        filename (str): File name as the upstream URL has it.
        url (str): Where to download it.
        description (str): What network it holds, for error messages.
        cache (str): ``'torch_hub'`` (``$TORCH_HOME/hub/checkpoints``) or
            ``'mmagic'`` (``~/.cache/openmmlab/mmagic``).
    """
    filename: str
    url: str
    description: str
    cache: str = 'torch_hub'

    def cache_path(self) -> str:
        """The path the standard cache would hold this file at, right now."""
        if self.cache == 'torch_hub':
            return osp.join(torch.hub.get_dir(), 'checkpoints', self.filename)
        return osp.join(MMAGIC_CACHE_DIR, self.filename)


FID_INCEPTION = PretrainedFile(
    'pt_inception-2015-12-05-6726825d.pth', FID_WEIGHTS_URL,
    'Inception-v3 for FID (the TF FID Inception ported by pytorch-fid)')
IS_INCEPTION = PretrainedFile(
    'inception_v3_google-0cc3c7bd.pth',
    'https://download.pytorch.org/models/inception_v3_google-0cc3c7bd.pth',
    'torchvision Inception-v3 (ImageNet) for IS')
STYLEGAN_INCEPTION = PretrainedFile(
    'inception-2015-12-05.pt',
    TERO_INCEPTION_URL,
    "StyleGAN's TorchScript Inception-v3 (inception_style='StyleGAN')",
    cache='mmagic')
LPIPS_BACKBONES: Dict[str, PretrainedFile] = {
    'alex':
    PretrainedFile(
        'alexnet-owt-7be5be79.pth',
        'https://download.pytorch.org/models/alexnet-owt-7be5be79.pth',
        'torchvision AlexNet (ImageNet), the LPIPS backbone'),
    'vgg':
    PretrainedFile('vgg16-397923af.pth',
                   'https://download.pytorch.org/models/vgg16-397923af.pth',
                   'torchvision VGG16 (ImageNet), the LPIPS backbone'),
}

# pt_inception's module names -> MMagic's InceptionV3 blocks (pool3 features:
# blocks 0-3). The file's `fc.*` classifier is not used for FID.
_FID_BLOCKS = {
    'Conv2d_1a_3x3': 'blocks.0.0',
    'Conv2d_2a_3x3': 'blocks.0.1',
    'Conv2d_2b_3x3': 'blocks.0.2',
    'Conv2d_3b_1x1': 'blocks.1.0',
    'Conv2d_4a_3x3': 'blocks.1.1',
    'Mixed_5b': 'blocks.2.0',
    'Mixed_5c': 'blocks.2.1',
    'Mixed_5d': 'blocks.2.2',
    'Mixed_6a': 'blocks.2.3',
    'Mixed_6b': 'blocks.2.4',
    'Mixed_6c': 'blocks.2.5',
    'Mixed_6d': 'blocks.2.6',
    'Mixed_6e': 'blocks.2.7',
    'Mixed_7a': 'blocks.3.0',
    'Mixed_7b': 'blocks.3.1',
    'Mixed_7c': 'blocks.3.2',
}


def find_pretrained(spec: PretrainedFile, path: Optional[str],
                    config_key: str) -> str:
    """Return the local file for ``spec``: ``path`` if given, else the cache.

    Args:
        spec (PretrainedFile): The network's file.
        path (str, optional): Explicit path from the metric's config.
        config_key (str): The config argument that takes ``path``, named in
            the error message.

    Raises:
        MissingWeightsError: if ``path`` is given but is no file, or if no
            ``path`` is given and the cache has no such file.
    """
    if path is not None:
        path = osp.expanduser(str(path))
        if osp.isfile(path):
            return path
        raise MissingWeightsError(
            f'{spec.description}: no file at {path!r} (given by '
            f'`{config_key}`). Download {spec.url} and save it there, or set '
            f'`{config_key}=None` to use the cache path {spec.cache_path()!r}.'
        )
    cached = spec.cache_path()
    if osp.isfile(cached):
        return cached
    where = ('the torch hub cache; set TORCH_HOME to move it'
             if spec.cache == 'torch_hub' else "MMagic's cache")
    raise MissingWeightsError(
        f'{spec.description} not found: {spec.filename!r} is not at '
        f'{cached!r} ({where}). Nothing is downloaded automatically: download '
        f'{spec.url} and put it at that path, or set `{config_key}` in the '
        "metric's config to the file's path.")


def read_state_dict(path: str,
                    spec: PretrainedFile) -> Dict[str, torch.Tensor]:
    """The weights in ``path`` (a bare state dict or a checkpoint holding
    one), read by the one checkpoint reader (``weights_only``; a damaged or
    foreign file is a ``CheckpointError`` naming it and ``spec``'s URL)."""
    remedy = f'download {spec.url} again'
    return model_state_dict(
        read_checkpoint(path, remedy=remedy), path, remedy=remedy)


def _freeze(module: nn.Module) -> nn.Module:
    module.requires_grad_(False)
    return module.eval()


def build_lpips(net: str = 'alex',
                backbone_path: Optional[str] = None,
                linear_path: Optional[str] = None) -> lpips.LPIPS:
    """Build ``lpips.LPIPS`` (v0.1) from local files only.

    Args:
        net (str): ``'alex'`` (the field's choice) or ``'vgg'``.
        backbone_path (str, optional): torchvision ImageNet state dict of the
            backbone; ``None`` looks in the torch hub cache. Only its
            ``features.*`` entries are used.
        linear_path (str, optional): LPIPS linear layers; ``None`` takes the
            ones shipped in the ``lpips`` package.

    Returns:
        lpips.LPIPS: frozen, in eval mode; takes RGB in [-1, 1].
    """
    if net not in LPIPS_BACKBONES:
        raise ValueError(f'LPIPS net must be one of {sorted(LPIPS_BACKBONES)}'
                         f', got {net!r}')
    backbone_file = find_pretrained(LPIPS_BACKBONES[net], backbone_path,
                                    'backbone_path')
    if linear_path is not None and not osp.isfile(linear_path):
        raise MissingWeightsError(
            f'LPIPS linear layers: no file at {linear_path!r} (given by '
            '`linear_path`); set `linear_path=None` to use the ones shipped '
            'in the lpips package.')
    with warnings.catch_warnings():
        # lpips asks torchvision with the deprecated `pretrained=False`.
        warnings.filterwarnings('ignore', message='.*pretrained.*')
        model = lpips.LPIPS(
            pretrained=True,
            net=net,
            version='0.1',
            pnet_rand=True,
            model_path=linear_path,
            verbose=False)
    backbone = read_state_dict(backbone_file, LPIPS_BACKBONES[net])
    features = {
        key[len('features.'):]: value
        for key, value in backbone.items() if key.startswith('features.')
    }
    # lpips slices torchvision's `features` into slice1..sliceN and keeps the
    # layer indices as child names, so `features.<i>.*` goes to layer <i>.
    used = 0
    for part in model.net.children():
        for index, layer in part.named_children():
            layer_state = {
                key.split('.', 1)[1]: value
                for key, value in features.items()
                if key.split('.', 1)[0] == index
            }
            used += len(layer_state)
            load_state_dict_strictly(
                layer, layer_state, backbone_file,
                f'the LPIPS {net} backbone (layer features.{index})')
    if used != len(features):
        raise CheckpointMismatchError(
            f'{backbone_file!r} has {len(features)} `features.*` tensors but '
            f'the LPIPS {net} backbone takes {used}: is it the torchvision '
            f'{LPIPS_BACKBONES[net].filename} file?')
    return _freeze(model)


def _check_style(inception_style: str) -> None:
    if inception_style not in INCEPTION_STYLES:
        raise ValueError(f'inception_style must be one of {INCEPTION_STYLES}, '
                         f'got {inception_style!r}')


def _stylegan_inception(inception_path: Optional[str]) -> nn.Module:
    """Tero Karras' TorchScript Inception-v3, frozen (FID and IS alike)."""
    path = find_pretrained(STYLEGAN_INCEPTION, inception_path,
                           'inception_path')
    return _freeze(torch.jit.load(path, map_location='cpu'))


def build_fid_inception(
        inception_style: str = 'PyTorch',
        inception_path: Optional[str] = None) -> Tuple[nn.Module, str]:
    """Build the Inception used by MMagic's FID, from local files only.

    ``'PyTorch'``: MMagic's ``InceptionV3`` (pool3, 2048-d, resizes to 299
    bilinearly, takes [-1, 1]) with pytorch-fid's weights, so features match
    pytorch-fid. ``'StyleGAN'``: Tero Karras' TorchScript Inception.

    Returns:
        tuple: (frozen network, style), as MMagic's ``_load_inception``.
    """
    _check_style(inception_style)
    if inception_style == 'StyleGAN':
        return _stylegan_inception(inception_path), 'StyleGAN'
    path = find_pretrained(FID_INCEPTION, inception_path, 'inception_path')
    state = read_state_dict(path, FID_INCEPTION)
    mapped = {}
    for key, value in state.items():
        module_name, rest = key.split('.', 1)
        if module_name in _FID_BLOCKS:
            mapped[f'{_FID_BLOCKS[module_name]}.{rest}'] = value
    with warnings.catch_warnings():
        # torchvision warns that its random init will be slow; it is replaced.
        warnings.simplefilter('ignore')
        model = InceptionV3([3],
                            resize_input=True,
                            normalize_input=False,
                            load_fid_inception=False)
    load_state_dict_strictly(model, mapped, path,
                             'the FID Inception-v3 (pytorch-fid)')
    return _freeze(model), 'PyTorch'


def build_is_inception(
        inception_style: str = 'PyTorch',
        inception_path: Optional[str] = None) -> Tuple[nn.Module, str]:
    """Build the Inception used by MMagic's IS, from local files only.

    ``'PyTorch'``: torchvision's ``inception_v3`` ImageNet weights with
    ``transform_input=False`` (input in [-1, 1]), as MMagic builds it.
    ``'StyleGAN'``: Tero Karras' TorchScript Inception (closer to the TF
    Inception that PATN's IS used).

    Returns:
        tuple: (frozen network, style), as MMagic's ``_load_inception``.
    """
    _check_style(inception_style)
    if inception_style == 'StyleGAN':
        return _stylegan_inception(inception_path), 'StyleGAN'
    path = find_pretrained(IS_INCEPTION, inception_path, 'inception_path')
    model = torchvision.models.inception_v3(
        weights=None,
        aux_logits=True,
        transform_input=False,
        init_weights=False)
    load_state_dict_strictly(model, read_state_dict(path, IS_INCEPTION), path,
                             'torchvision inception_v3')
    return _freeze(model), 'PyTorch'
