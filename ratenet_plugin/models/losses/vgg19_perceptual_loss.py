"""Perceptual and style losses over VGG19 with locally stored weights.

MMagic's ``PerceptualVGG`` always asks torchvision to download ImageNet
weights and ignores its ``pretrained`` path; no weights can be downloaded on
our machines. :class:`LocalPerceptualVGG` changes only the weight loading;
:class:`VGG19PerceptualLoss` computes the paper's L_per and L_sty with it.
"""
import os.path as osp
import weakref
from typing import Dict, List, Mapping, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision.models.vgg as tv_vgg
from mmagic.models.losses import PerceptualVGG

from ratenet_plugin.fileio.checkpoint_file import (load_state_dict_strictly,
                                                   model_state_dict,
                                                   read_checkpoint)
from ratenet_plugin.registry import MODELS

#: File name of torchvision's ImageNet VGG19 weights (``VGG19_Weights``).
VGG19_WEIGHTS_FILE = 'vgg19-dcbb9e9d.pth'
VGG19_WEIGHTS_URL = f'https://download.pytorch.org/models/{VGG19_WEIGHTS_FILE}'
#: ``pretrained`` value meaning "the torch hub cache" (MMagic's spelling).
TORCHVISION_VGG19 = 'torchvision://vgg19'

#: Names of VGG19's ReLU outputs -> their index in ``vgg19().features``.
VGG19_LAYERS = {
    'relu1_1': '1', 'relu1_2': '3',
    'relu2_1': '6', 'relu2_2': '8',
    'relu3_1': '11', 'relu3_2': '13', 'relu3_3': '15', 'relu3_4': '17',
    'relu4_1': '20', 'relu4_2': '22', 'relu4_3': '24', 'relu4_4': '26',
    'relu5_1': '29', 'relu5_2': '31', 'relu5_3': '33', 'relu5_4': '35',
}  # yapf: disable
#: Indices of the modules of torchvision's ``vgg19().features``.
_VGG19_INDICES = tuple(str(index) for index in range(37))


def resolve_vgg19_weights(pretrained: Optional[str]) -> Optional[str]:
    """Path of the VGG19 weight file that ``pretrained`` names.

    Args:
        pretrained (str, optional): ``'torchvision://vgg19'`` for the torch
            hub cache (``$TORCH_HOME/hub/checkpoints/vgg19-dcbb9e9d.pth``),
            a path to that file, or None for random weights (tests only).

    Returns:
        str | None: An existing file, or None for random weights.

    Raises:
        FileNotFoundError: The file is absent; the message says where to put
            it and which config key to set.
    """
    if pretrained is None:
        return None
    if pretrained == TORCHVISION_VGG19:
        path = osp.join(torch.hub.get_dir(), 'checkpoints', VGG19_WEIGHTS_FILE)
    else:
        path = osp.expanduser(pretrained)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'VGG19 weights for the perceptual/style losses not found: '
            f'{path}. '
            f'Put torchvision\'s ImageNet VGG19 state dict '
            f'{VGG19_WEIGHTS_FILE} ({VGG19_WEIGHTS_URL}) there, or anywhere '
            f'and set model.perceptual_loss.pretrained="/path/to/'
            f'{VGG19_WEIGHTS_FILE}" (the default "{TORCHVISION_VGG19}" looks '
            f'in {osp.join(torch.hub.get_dir(), "checkpoints")}, i.e. '
            '$TORCH_HOME/hub/checkpoints). pretrained=None gives random '
            'weights, for tests only.')
    return path


def vgg19_features(num_layers: int) -> nn.Sequential:
    """The first layers of torchvision's ``vgg19().features`` (same indices),
    at least ``num_layers`` of them, randomly initialised.

    Building only what the losses use saves memory and init time.
    """
    cfg = []
    built = 0
    for entry in tv_vgg.cfgs['E']:
        if built >= num_layers:
            break
        cfg.append(entry)
        built += 1 if entry == 'M' else 2  # pool, or conv + ReLU
    return tv_vgg.make_layers(cfg)


class LocalPerceptualVGG(PerceptualVGG):
    """MMagic's ``PerceptualVGG`` (VGG19) with weights from a local file.

    Only the weight loading differs; ``forward`` (ImageNet normalisation of
    a [0, 1] input, then the features of the requested layers) is MMagic's.
    Only the layers up to the deepest requested one are built.

    Args:
        layer_name_list (list[str]): Indices into ``vgg19().features`` as
            strings, e.g. ``['1', '6']`` (relu1_1, relu2_1).
        use_input_norm (bool): Normalise the [0, 1] input with ImageNet
            mean/std. Defaults to True.
        weights_path (str, optional): torchvision VGG19 state dict; None for
            random weights. See :func:`resolve_vgg19_weights`.
    """

    def __init__(self,
                 layer_name_list: List[str],
                 use_input_norm: bool = True,
                 weights_path: Optional[str] = None) -> None:
        # PerceptualVGG.__init__ would download torchvision's weights; this
        # sets up the same attributes from a local file instead.
        nn.Module.__init__(self)
        self.layer_name_list = layer_name_list
        self.use_input_norm = use_input_norm
        num_layers = max(map(int, layer_name_list)) + 1
        self.vgg_layers = vgg19_features(num_layers)[:num_layers]
        if use_input_norm:
            self.register_buffer(
                'mean',
                torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
            self.register_buffer(
                'std',
                torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))
        self.vgg_layers.requires_grad_(False)
        if weights_path is not None:
            self.load_vgg19_weights(weights_path)

    def load_vgg19_weights(self, path: str) -> None:
        """Copy the used layers' weights from a torchvision VGG19 state dict,
        strictly: every used layer's weight and bias, with VGG19's shapes.

        Raises:
            CheckpointError: The file cannot be read as a state dict (the
                one checkpoint reader's message, naming the file).
            CheckpointMismatchError: Its ``features.*`` entries do not fit
                VGG19's used layers (missing, unexpected or wrong shapes,
                named with the file).
        """
        remedy = (f'download torchvision\'s VGG19 weights again '
                  f'({VGG19_WEIGHTS_URL})')
        state_dict = model_state_dict(
            read_checkpoint(path, remedy=remedy), path, remedy=remedy)
        prefix = 'features.'
        feature_state = {
            key[len(prefix):]: value
            for key, value in state_dict.items() if key.startswith(prefix)
        }
        # Layers past the deepest used one are not built: leave them out.
        feature_state = {
            key: value
            for key, value in feature_state.items()
            if not key.split('.')[0].isdigit()
            or int(key.split('.')[0]) < len(self.vgg_layers)
        }
        load_state_dict_strictly(
            self.vgg_layers, feature_state, path,
            f'VGG19 features 0-{len(self.vgg_layers) - 1} (keys '
            f'"{prefix}*" of torchvision\'s {VGG19_WEIGHTS_FILE})')


def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) -> (N, C, C) Gram matrix divided by C*H*W, in float32.

    Computed with autocast off: a float16 sum over H*W products overflows.
    Channels_last features (VGG with channels_last weights) are read as
    (N, H*W, C) without a copy; other layouts as (N, C, H*W).
    """
    n, c, h, w = features.shape
    with torch.autocast(features.device.type, enabled=False):
        features = features.float()
        if features.is_contiguous(memory_format=torch.channels_last) and \
                not features.is_contiguous():
            by_pixel = features.permute(0, 2, 3, 1).reshape(n, h * w, c)
            gram = by_pixel.transpose(1, 2) @ by_pixel
        else:
            flat = features.reshape(n, c, h * w)
            gram = flat @ flat.transpose(1, 2)
        return gram / (c * h * w)


@MODELS.register_module()
class VGG19PerceptualLoss(nn.Module):
    """Weighted multi-layer VGG19 perceptual loss and Gram style loss.

    ``perceptual = sum_l w_l * mean|phi_l(x) - phi_l(gt)|`` (the paper's
    L_per, with the 1/CHW of its formula as the mean), and ``style = sum_l
    v_l * mean|G(phi_l(x)) - G(phi_l(gt))|`` with G the Gram matrix divided
    by CHW (Johnson et al.; MMagic's ``PerceptualLoss`` convention). RATENet
    applies lambda_per and lambda_sty to the terms and leaves
    ``perceptual_weight`` and ``style_weight`` at 1; MMagic's models that add
    the terms as returned (e.g. SRGAN's ``perceptual_loss``) set them as for
    MMagic's ``PerceptualLoss``: a term of weight 0 (or without layers) is
    not computed and returned as None.

    Unlike MMagic's ``PerceptualLoss`` it reads VGG19 weights from a local
    file, runs one VGG pass shared by both terms, can skip the style term,
    and caches the ground truth's features: the pose-transfer and joint
    updates of one cycle compare with the same ground-truth tensor, so its
    VGG pass runs once per batch. The cache holds the last ground truth's
    features and is reused only for the very same tensor object, unchanged
    (same version counter), with unchanged VGG weights and under the same
    autocast state.

    Args:
        layer_weights (Mapping[str, float]): Perceptual weight per layer,
            keyed by ReLU name (``'relu3_1'``, see :data:`VGG19_LAYERS`) or,
            as in MMagic's configs, by index into ``vgg19().features``
            (``'11'`` is relu3_1; ``'34'`` conv5_4, before its ReLU).
        layer_weights_style (Mapping[str, float], optional): Style weight per
            layer, same keys; None uses ``layer_weights``.
        perceptual_weight (float): Factor of the perceptual term; 0 skips it.
            Defaults to 1.
        style_weight (float): Factor of the style term; 0 skips it.
            Defaults to 1.
        vgg_type (str): ``'vgg19'`` only; taken so that configs written for
            MMagic's ``PerceptualLoss`` build.
        use_input_norm (bool): ImageNet mean/std normalisation inside VGG.
            Defaults to True.
        norm_img (bool): Map inputs from [-1, 1] to [0, 1] first.
            Defaults to True.
        pretrained (str, optional): ``'torchvision://vgg19'`` (torch hub
            cache, the default), a path to ``vgg19-dcbb9e9d.pth``, or None
            for random weights (tests and demos only: the loss is then
            meaningless). Read by :meth:`init_weights`, which the Runner
            calls before training (testing and inference never need the
            file); a missing file raises ``FileNotFoundError`` there.
        criterion (str): ``'l1'`` or ``'mse'``. Defaults to ``'l1'``.
        cache_gt_features (bool): Reuse the ground truth's features, see
            above. Defaults to True.
    """

    def __init__(self,
                 layer_weights: Mapping[str, float],
                 layer_weights_style: Optional[Mapping[str, float]] = None,
                 *,
                 perceptual_weight: float = 1.0,
                 style_weight: float = 1.0,
                 vgg_type: str = 'vgg19',
                 use_input_norm: bool = True,
                 norm_img: bool = True,
                 pretrained: Optional[str] = TORCHVISION_VGG19,
                 criterion: str = 'l1',
                 cache_gt_features: bool = True) -> None:
        super().__init__()
        if vgg_type != 'vgg19':
            raise ValueError(f'vgg_type must be "vgg19" (this loss is '
                             f'VGG19\'s), got {vgg_type!r}')
        if criterion not in ('l1', 'mse'):
            raise ValueError(f'criterion must be "l1" or "mse", got '
                             f'{criterion!r}')
        self.layer_weights = self._by_index(layer_weights)
        self.layer_weights_style = self._by_index(
            layer_weights if layer_weights_style is None else
            layer_weights_style)
        if perceptual_weight == 0:
            self.layer_weights = {}
        if style_weight == 0:
            self.layer_weights_style = {}
        self.perceptual_weight = perceptual_weight
        self.style_weight = style_weight
        self.norm_img = norm_img
        self.criterion = F.l1_loss if criterion == 'l1' else F.mse_loss
        self.cache_gt_features = cache_gt_features
        layers = sorted(
            set(self.layer_weights) | set(self.layer_weights_style), key=int)
        if not layers:
            raise ValueError(
                'VGG19PerceptualLoss computes nothing: no layer has a '
                'perceptual or style weight (layer_weights, '
                'layer_weights_style, perceptual_weight, style_weight)')
        self.vgg = LocalPerceptualVGG(layers, use_input_norm=use_input_norm)
        self.pretrained = pretrained
        # Random VGG weights are what pretrained=None asks for.
        self._vgg_ready = pretrained is None
        self._gt_cache: Optional[tuple] = None

    def init_weights(self) -> None:
        """Load the VGG19 weights named by ``pretrained``.

        Raises:
            FileNotFoundError: The weight file is absent; the message names
                it and says where to put it.
        """
        path = resolve_vgg19_weights(self.pretrained)
        if path is not None:
            self.vgg.load_vgg19_weights(path)
        self._vgg_ready = True

    @staticmethod
    def _by_index(weights: Mapping[str, float]) -> Dict[str, float]:
        by_index = {}
        for layer, weight in weights.items():
            index = VGG19_LAYERS.get(layer, layer)
            if index not in _VGG19_INDICES:
                raise KeyError(
                    f'Unknown VGG19 layer {layer!r}; use one of '
                    f'{list(VGG19_LAYERS)} or an index into '
                    f'vgg19().features, 0 to {len(_VGG19_INDICES) - 1}')
            by_index[index] = weight
        return by_index

    def _features(self, img: torch.Tensor) -> Dict[str, torch.Tensor]:
        if self.norm_img:
            img = (img + 1.) * 0.5
        return self.vgg(img)

    def _gt_features(self, gt: torch.Tensor) -> Dict[str, torch.Tensor]:
        if self.cache_gt_features:
            # What the features depend on besides the tensor's identity: its
            # values and the VGG weights (version counters, bumped by every
            # in-place change, load_state_dict included) and the autocast
            # state.
            state = (gt._version,
                     tuple(p._version for p in self.vgg.parameters()),
                     torch.is_autocast_enabled(gt.device.type),
                     torch.get_autocast_dtype(gt.device.type))
            if self._gt_cache is not None:
                gt_ref, cached_state, features = self._gt_cache
                if gt_ref() is gt and cached_state == state:
                    return features
        with torch.no_grad():
            features = self._features(gt.detach())
        if self.cache_gt_features:
            self._gt_cache = (weakref.ref(gt), state, features)
        return features

    def forward(self,
                pred: torch.Tensor,
                gt: torch.Tensor,
                with_style: bool = True
                ) -> Tuple[Optional[torch.Tensor], Optional[torch.Tensor]]:
        """Perceptual and style losses of ``pred`` against ``gt``.

        Args:
            pred (Tensor): (N, 3, H, W) generated image in [-1, 1], RGB.
            gt (Tensor): (N, 3, H, W) ground truth in [-1, 1], RGB.
            with_style (bool): Also compute the style term. Defaults to True.

        Returns:
            tuple[Tensor | None, Tensor | None]: Scalar perceptual loss;
            scalar style loss, or None when ``with_style`` is False. A term
            without layers (or of weight 0) is None.
        """
        if not self._vgg_ready:
            raise RuntimeError(
                'VGG19PerceptualLoss has no VGG19 weights yet: call '
                'init_weights() (the Runner does before training) to load '
                f'them from pretrained={self.pretrained!r}, or pass '
                'pretrained=None for random weights (tests only).')
        pred_features = self._features(pred)
        gt_features = self._gt_features(gt)
        perceptual = style = None
        if self.layer_weights:
            perceptual = self.perceptual_weight * sum(
                weight *
                self.criterion(pred_features[layer], gt_features[layer])
                for layer, weight in self.layer_weights.items())
        if with_style and self.layer_weights_style:
            style = self.style_weight * sum(
                weight * self.criterion(
                    gram_matrix(pred_features[layer]),
                    gram_matrix(gt_features[layer]))
                for layer, weight in self.layer_weights_style.items())
        return perceptual, style
