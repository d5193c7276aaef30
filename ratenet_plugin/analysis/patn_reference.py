"""PATN (Zhu et al., CVPR 2019) as published, for comparisons with RATE-Net.

A reference implementation written from PATN's published architecture
(tengteng95/Pose-Transfer, DeepFashion settings: ``--which_model_netG PATN
--norm instance``, dropout on, LSGAN, ``--L1_type l1_plus_perL1 --lambda_A 1
--lambda_B 1 --lambda_GAN 5``). It is not used by training or inference; it
serves two purposes:

* an independent forward pass to check that our ``PoseTransferModule`` in
  PATN's layout, loaded with converted weights, computes PATN's function
  (``tests/models/editors/ratenet/test_patn_conversion.py``);
* PATN's training iteration for side-by-side cost measurements
  (:func:`patn_training_iteration`).

The modules reproduce PATN's state-dict key names exactly, so
``PATNGenerator().state_dict()`` has the keys and shapes of PATN's released
``latest_net_netG.pth`` (a randomly initialised "PATN file" for tests), and
``PATNResnetDiscriminator`` those of its ``netD_PB``/``netD_PP`` files.

Layer lists (positions in ``nn.Sequential``, which name the keys)::

    stream{1,2}_down: [pad3, conv7x7, IN, ReLU] + n x [conv3x3/2 (zero pad),
                      IN, ReLU]
    att.<k>.conv_block_stream1: [pad1, conv3x3, IN, ReLU, Dropout(0.5), pad1,
                                 conv3x3, IN]
    att.<k>.conv_block_stream2: [pad1, conv3x3, IN, ReLU, Dropout(0.5), pad1,
                                 conv3x3]            (C or 2C -> C channels)
    stream1_up: n x [convT3x3/2, IN, ReLU] + [pad3, conv7x7, Tanh]

Every convolution has a bias (PATN sets ``use_bias`` for InstanceNorm);
InstanceNorm has no affine parameters and no running statistics. The
reflection pads are our ``ReflectionPad2dInInputDtype``, as in RATE-Net, so
that bf16 timings compare like with like (outside autocast it is
``nn.ReflectionPad2d``).
"""
from typing import Callable, Dict, List, Mapping, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from ratenet_plugin.models.editors.ratenet.ratenet_modules import \
    ReflectionPad2dInInputDtype
from ratenet_plugin.models.losses.vgg19_perceptual_loss import \
    LocalPerceptualVGG

#: PATN's DeepFashion loss weights (README training command) and optimiser.
PATN_DEEPFASHION_TRAINING = dict(
    lambda_l1=1.0, lambda_perceptual=1.0, lambda_gan=5.0, lr=2e-4,
    betas=(0.5, 0.999))
#: Index of relu1_2 in ``vgg19().features``: PATN's ``--perceptual_layers 3``.
PATN_PERCEPTUAL_LAYER = '3'


def _norm(channels: int) -> nn.Module:
    return nn.InstanceNorm2d(channels, affine=False)


def _down_layers(in_channels: int, ngf: int,
                 n_downsampling: int) -> List[nn.Module]:
    """One encoder stream: reflection-padded 7x7 stem, zero-padded stride-2
    3x3 convolutions doubling the channels."""
    layers = [
        ReflectionPad2dInInputDtype(3),
        nn.Conv2d(in_channels, ngf, 7), _norm(ngf),
        nn.ReLU(True)
    ]
    for i in range(n_downsampling):
        c_in = ngf * 2**i
        layers += [
            nn.Conv2d(c_in, 2 * c_in, 3, stride=2, padding=1),
            _norm(2 * c_in),
            nn.ReLU(True)
        ]
    return layers


def _branch(in_channels: int, out_channels: int, dropout: bool,
            final_norm: bool) -> nn.Sequential:
    """One PAT-block branch: pad-conv-IN-ReLU-[dropout]-pad-conv[-IN]."""
    layers = [
        ReflectionPad2dInInputDtype(1),
        nn.Conv2d(in_channels, in_channels, 3), _norm(in_channels),
        nn.ReLU(True)
    ]
    if dropout:
        layers.append(nn.Dropout(0.5))
    layers += [
        ReflectionPad2dInInputDtype(1),
        nn.Conv2d(in_channels, out_channels, 3)
    ]
    if final_norm:
        layers.append(_norm(out_channels))
    return nn.Sequential(*layers)


class PATNBlock(nn.Module):
    """PATN's pose-attentional transfer block (keys ``conv_block_stream1``,
    ``conv_block_stream2``).

    Args:
        channels (int): C, image-stream channels.
        concatenated_pose (bool): The pose stream has 2C channels (every
            block but the first).
        dropout (bool): Dropout 0.5 after the first ReLU of each branch.
    """

    def __init__(self, channels: int, concatenated_pose: bool,
                 dropout: bool) -> None:
        super().__init__()
        pose_channels = 2 * channels if concatenated_pose else channels
        self.conv_block_stream1 = _branch(channels, channels, dropout, True)
        self.conv_block_stream2 = _branch(pose_channels, channels, dropout,
                                          False)

    def forward(self, x_img: torch.Tensor,
                x_pose: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """(N, C, h, w), (N, C or 2C, h, w) -> (N, C, h, w), (N, 2C, h, w).
        """
        image_update = self.conv_block_stream1(x_img)
        logits = self.conv_block_stream2(x_pose)
        x_img = x_img + image_update * torch.sigmoid(logits)
        return x_img, torch.cat([logits, x_img], dim=1)


class PATNStreams(nn.Module):
    """The two streams of PATN's generator (PATN's ``PATNModel``)."""

    def __init__(self, image_channels: int, pose_channels: int,
                 out_channels: int, ngf: int, n_blocks: int,
                 n_downsampling: int, dropout: bool) -> None:
        super().__init__()
        self.stream1_down = nn.Sequential(
            *_down_layers(image_channels, ngf, n_downsampling))
        self.stream2_down = nn.Sequential(
            *_down_layers(pose_channels, ngf, n_downsampling))
        bottleneck = ngf * 2**n_downsampling
        self.att = nn.ModuleList([
            PATNBlock(bottleneck, concatenated_pose=k > 0, dropout=dropout)
            for k in range(n_blocks)
        ])
        up: List[nn.Module] = []
        for i in range(n_downsampling):
            c_in = ngf * 2**(n_downsampling - i)
            up += [
                nn.ConvTranspose2d(
                    c_in, c_in // 2, 3, stride=2, padding=1,
                    output_padding=1),
                _norm(c_in // 2),
                nn.ReLU(True)
            ]
        up += [ReflectionPad2dInInputDtype(3), nn.Conv2d(ngf, out_channels, 7),
               nn.Tanh()]
        self.stream1_up = nn.Sequential(*up)

    def forward(self, image: torch.Tensor,
                poses: torch.Tensor) -> torch.Tensor:
        x_img = self.stream1_down(image)
        x_pose = self.stream2_down(poses)
        for block in self.att:
            x_img, x_pose = block(x_img, x_pose)
        return self.stream1_up(x_img)


class PATNGenerator(nn.Module):
    """PATN's generator (``PATNetwork``), keys ``model.*`` as PATN saves it.

    Args:
        image_channels (int): Source image channels. Defaults to 3.
        pose_channels (int): Channels of the concatenated source and target
            heatmaps. Defaults to 36.
        out_channels (int): Output channels. Defaults to 3.
        ngf (int): Channels after the stem. Defaults to 64.
        n_blocks (int): PAT blocks. Defaults to 9.
        n_downsampling (int): Stride-2 convolutions per stream. Defaults
            to 2.
        dropout (bool): PATN's dropout (on unless ``--no_dropout``).
            Defaults to True.
    """

    def __init__(self,
                 image_channels: int = 3,
                 pose_channels: int = 36,
                 out_channels: int = 3,
                 ngf: int = 64,
                 n_blocks: int = 9,
                 n_downsampling: int = 2,
                 dropout: bool = True) -> None:
        super().__init__()
        self.model = PATNStreams(image_channels, pose_channels, out_channels,
                                 ngf, n_blocks, n_downsampling, dropout)
        patn_normal_init(self)

    def forward(self, image: torch.Tensor,
                poses: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) image in [-1, 1], (N, 36, H, W) cat(P_s, P_t)
        -> (N, 3, H, W) in [-1, 1]; H and W multiples of 2^n_downsampling.
        """
        return self.model(image, poses)


class PATNResnetBlock(nn.Module):
    """PATN's ResnetBlock (key ``conv_block``): ``x + (pad-conv-IN-ReLU-
    [dropout]-pad-conv-IN)(x)``."""

    def __init__(self, channels: int, dropout: bool) -> None:
        super().__init__()
        self.conv_block = _branch(channels, channels, dropout, True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv_block(x)


class PATNResnetDiscriminator(nn.Module):
    """PATN's ResnetDiscriminator (``--which_model_netD resnet``, DeepFashion:
    ``--norm instance --n_layers_D 3``, dropout on, LSGAN so no sigmoid).

    No final 1-channel convolution: the LSGAN loss is taken over the whole
    ``4 * ndf``-channel map, as PATN does.

    Args:
        in_channels (int): 21 for D_PB (image + 18 target heatmaps), 6 for
            D_PP (image + source image).
        ndf (int): Channels after the stem. Defaults to 64.
        n_blocks (int): Residual blocks (PATN's ``n_layers_D``).
            Defaults to 3.
        n_downsampling (int): Stride-2 convolutions. Defaults to 2.
        dropout (bool): Dropout in the residual blocks. Defaults to True.
    """

    def __init__(self,
                 in_channels: int,
                 ndf: int = 64,
                 n_blocks: int = 3,
                 n_downsampling: int = 2,
                 dropout: bool = True) -> None:
        super().__init__()
        layers = _down_layers(in_channels, ndf, n_downsampling)
        layers += [
            PATNResnetBlock(ndf * 2**n_downsampling, dropout)
            for _ in range(n_blocks)
        ]
        self.model = nn.Sequential(*layers)
        patn_normal_init(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, in_channels, H, W) -> (N, ndf * 2^n, H / 2^n, W / 2^n)."""
        return self.model(x)


def patn_normal_init(module: nn.Module) -> None:
    """PATN's ``init_type normal``: N(0, 0.02) convolution weights (biases
    keep PyTorch's default initialisation, as in PATN)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)


class PATNPerceptualFeatures(nn.Module):
    """PATN's perceptual features: VGG19 up to relu1_2 of an image in
    [-1, 1] mapped to [0, 1] and ImageNet-normalised.

    Args:
        weights_path (str, optional): torchvision's ``vgg19-dcbb9e9d.pth``
            (loaded strictly); None for random weights (cost measurements,
            tests).
    """

    def __init__(self, weights_path: Optional[str] = None) -> None:
        super().__init__()
        self.vgg = LocalPerceptualVGG([PATN_PERCEPTUAL_LAYER],
                                      weights_path=weights_path)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) in [-1, 1] -> (N, 64, H, W) relu1_2 features."""
        return self.vgg((image + 1) * 0.5)[PATN_PERCEPTUAL_LAYER]


def make_patn_optimizers(generator: nn.Module, disc_pose: nn.Module,
                         disc_appearance: nn.Module
                         ) -> Dict[str, torch.optim.Optimizer]:
    """PATN's optimisers: Adam, lr 2e-4, betas (0.5, 0.999), one per
    network, keyed ``generator``, ``disc_pose``, ``disc_appearance``."""
    lr = PATN_DEEPFASHION_TRAINING['lr']
    betas = PATN_DEEPFASHION_TRAINING['betas']
    return {
        name: torch.optim.Adam(net.parameters(), lr=lr, betas=betas)
        for name, net in (('generator', generator), ('disc_pose', disc_pose),
                          ('disc_appearance', disc_appearance))
    }


def _lsgan(score: torch.Tensor, real: bool) -> torch.Tensor:
    return F.mse_loss(score, torch.full_like(score, 1.0 if real else 0.0))


def patn_training_iteration(
        generator: PATNGenerator, disc_pose: PATNResnetDiscriminator,
        disc_appearance: PATNResnetDiscriminator,
        optimizers: Mapping[str, torch.optim.Optimizer],
        batch: Mapping[str, torch.Tensor],
        perceptual: Callable[[torch.Tensor], torch.Tensor]
) -> Dict[str, float]:
    """One PATN training iteration on DeepFashion (``optimize_parameters``).

    One generator update, then one update of D_PP (appearance) and one of
    D_PB (pose), each on the fake of this iteration (``--pool_size 0``)::

        L_G = lambda_l1 * |G - I_t|_1 + lambda_per * |phi(G) - phi(I_t)|_1
              + lambda_gan * (LS(D_PB(G, P_t), 1) + LS(D_PP(G, I_s), 1)) / 2
        L_D = 0.5 * lambda_gan * (LS(D(real), 1) + LS(D(fake), 0))   each D

    with phi = VGG19 relu1_2 and LS the mean squared error (LSGAN).

    Args:
        generator (PATNGenerator): G.
        disc_pose (PATNResnetDiscriminator): D_PB, 21 input channels.
        disc_appearance (PATNResnetDiscriminator): D_PP, 6 input channels.
        optimizers (Mapping[str, Optimizer]): ``generator``, ``disc_pose``,
            ``disc_appearance`` (:func:`make_patn_optimizers`).
        batch (Mapping[str, Tensor]): ``src_img``, ``tgt_img`` (N, 3, H, W)
            in [-1, 1]; ``src_pose``, ``tgt_pose`` (N, 18, H, W).
        perceptual (Callable): image in [-1, 1] -> VGG features
            (:class:`PATNPerceptualFeatures`).

    Returns:
        dict[str, float]: ``loss_l1``, ``loss_perceptual``, ``loss_gan``,
        ``loss_disc_pose``, ``loss_disc_appearance`` (weighted).
    """
    weights = PATN_DEEPFASHION_TRAINING
    src_img, tgt_img = batch['src_img'], batch['tgt_img']
    tgt_pose = batch['tgt_pose']
    fake = generator(src_img, torch.cat([batch['src_pose'], tgt_pose], 1))

    optimizers['generator'].zero_grad()
    loss_l1 = weights['lambda_l1'] * F.l1_loss(fake, tgt_img)
    with torch.no_grad():
        target_features = perceptual(tgt_img)
    loss_perceptual = weights['lambda_perceptual'] * F.l1_loss(
        perceptual(fake), target_features)
    loss_gan = weights['lambda_gan'] * 0.5 * (
        _lsgan(disc_pose(torch.cat([fake, tgt_pose], 1)), True) +
        _lsgan(disc_appearance(torch.cat([fake, src_img], 1)), True))
    (loss_l1 + loss_perceptual + loss_gan).backward()
    optimizers['generator'].step()

    fake = fake.detach()
    disc_losses = {}
    for name, disc, condition in (('disc_appearance', disc_appearance,
                                   src_img), ('disc_pose', disc_pose,
                                              tgt_pose)):
        optimizers[name].zero_grad()
        loss = 0.5 * weights['lambda_gan'] * (
            _lsgan(disc(torch.cat([tgt_img, condition], 1)), True) +
            _lsgan(disc(torch.cat([fake, condition], 1)), False))
        loss.backward()
        optimizers[name].step()
        disc_losses[f'loss_{name}'] = loss.item()
    return dict(
        loss_l1=loss_l1.item(),
        loss_perceptual=loss_perceptual.item(),
        loss_gan=loss_gan.item(),
        **disc_losses)
