"""RATENet: losses and the three updates of the 1-1-3 cycle (section 4)."""
import inspect
from typing import Dict, List, Mapping, Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmagic.structures import DataSample
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapperDict

from ratenet_plugin.datasets.keypoints import NUM_KEYPOINTS
from ratenet_plugin.fileio.errors import UserInputError
from ratenet_plugin.models.winograd_conv2d import MIN_CHANNELS, use_winograd
from ratenet_plugin.models.weight_init import refuse_lenient_pretrained
from ratenet_plugin.registry import MODELS
from ratenet_plugin.utils.arguments import check_weight
from ratenet_plugin.utils.fast_paths import (CompileOption, compile_in_place,
                                             convert_to_channels_last)
from ratenet_plugin.utils.model_wrappers import unwrap_model

Tensors = Dict[str, torch.Tensor]
UPDATES = ('pose_transfer', 'joint', 'discriminator')
#: The parts only training uses: None together in a generation-only model.
TRAINING_PARTS = ('shape_discriminator', 'appearance_discriminator',
                  'perceptual_loss')


def _add_mean(total: Tensors, logs: Tensors, repeats: int) -> None:
    """Add ``logs / repeats`` into ``total``: over ``repeats`` calls, the
    mean of each logged value."""
    for key, value in logs.items():
        total[key] = total.get(key, 0) + value / repeats


def check_discriminator(name: str, discriminator: nn.Module,
                        condition_channels: int) -> None:
    """A discriminator of RATENet scores ``(image, condition)``: its
    ``forward`` takes both, and its first convolution reads the two
    concatenated, ``3 + condition_channels``. A single-input MMagic
    discriminator given bare failed in MMagic's ``init_weights``
    (``UnboundLocalError``), one of other input channels at the first joint
    update, both as tracebacks.

    Raises:
        UserInputError: Naming the config key and the fix.
    """
    example = ("dict(type='ConcatConditionDiscriminator', discriminator="
               f"dict(type='PatchDiscriminator', in_channels="
               f"{3 + condition_channels}, ...))")
    inputs = [
        parameter for parameter in inspect.signature(
            discriminator.forward).parameters.values()
        if parameter.kind in (parameter.POSITIONAL_ONLY,
                              parameter.POSITIONAL_OR_KEYWORD,
                              parameter.VAR_POSITIONAL)
    ]
    if len(inputs) < 2 and not any(
            p.kind == p.VAR_POSITIONAL for p in inputs):
        raise UserInputError(
            f'config key model.{name}: {type(discriminator).__name__} '
            'scores one tensor, and RATENet gives a discriminator the image '
            f'and its condition: wrap it, {example}')
    first = next((module for module in discriminator.modules()
                  if isinstance(module, nn.Conv2d)), None)
    if first is not None and first.in_channels != 3 + condition_channels:
        raise UserInputError(
            f'config key model.{name}: its first convolution reads '
            f'{first.in_channels} channels, and it is given the image and '
            f'its condition concatenated, 3 + {condition_channels} = '
            f'{3 + condition_channels}: set in_channels='
            f'{3 + condition_channels}, e.g. {example}')


@MODELS.register_module()
class RATENet(BaseModel):
    """RATE-Net: region-adaptive texture enhancement for pose transfer.

    Top-level modules, each with its own optimiser wrapper of the same key:
    ``generator`` (:class:`RATEGenerator`: G_P and G_t),
    ``shape_discriminator`` (D_S) and ``appearance_discriminator`` (D_A).

    Training is the paper's alternating cycle, one update per method, each
    on a batch already passed through ``data_preprocessor(data, True)``;
    :class:`RATELoop` calls them in the configured order:

    - :meth:`train_pose_transfer`: G_P alone with
      ``L1 = lambda_recon * L_recon + lambda_per * L_per`` on I_co.
    - :meth:`train_joint`: G_P and G_t with ``L2 = lambda_recon * L_recon +
      lambda_per * L_per + lambda_sty * L_sty + lambda_gan * L_GAN`` on I_t
      (on I_co for PB Only), discriminators frozen; ``L_GAN =
      gan_shape_weight * GAN(D_S(I_t, P_t)) + gan_app_weight * GAN(D_A(I_t,
      I_s))``.
    - :meth:`train_discriminators`: D_S and D_A, each with ``0.5 * (real +
      fake)`` (PATN), on detached fakes; K steps in one call, which
      generates the fakes once.

    Logged values are the weighted terms whose sum is back-propagated
    (``loss_*``); the joint update also logs the unweighted perceptual and
    style terms (``unweighted_per``, ``unweighted_sty``, not summed) so
    that their scales can be compared whatever the lambdas.
    The GAN loss is LSGAN (PATN) through MMagic's ``GANLoss``; the
    reconstruction loss is the pixel-wise L1 (the paper's L_recon).

    Args:
        generator (dict): Config of :class:`RATEGenerator`.
        shape_discriminator (dict, optional): Config of D_S
            (:class:`PoseShapeDiscriminator`).
        appearance_discriminator (dict, optional): Config of D_A
            (:class:`AppearanceDiscriminator`).
        perceptual_loss (dict, optional): Config of
            :class:`VGG19PerceptualLoss` (layers, layer weights and the
            VGG19 weight file). These three are None together for a model
            that only generates (test and inference, e.g. PATN's converted
            weights, whose file holds G_P only); it cannot train.
        gan_type (str): ``GANLoss`` type. Defaults to ``'lsgan'`` (PATN).
        lambda_recon (float): Weight of L_recon. Defaults to 10.
        lambda_per (float): Weight of L_per. Defaults to 5.
        lambda_sty (float): Weight of L_sty. Defaults to 5.
        lambda_gan (float): Weight of L_GAN. Defaults to 5.
        gan_shape_weight (float): Weight of D_S's term inside L_GAN.
            Defaults to 1.
        gan_app_weight (float): Weight of D_A's term inside L_GAN.
            Defaults to 1.
        data_preprocessor (dict, optional): Config of the preprocessor;
            None for ``PoseDataPreprocessor()``.
        channels_last (bool): Store the networks' and VGG's weights
            channels_last (a fast path on GPUs; see
            ``ratenet_plugin/utils/fast_paths.py``). Defaults to False.
        torch_compile (bool | dict): ``torch.compile`` the generator, both
            discriminators and the VGG in place (state dicts unchanged):
            True for PyTorch's defaults or a dict of ``torch.compile``
            arguments. Defaults to False (eager).
        winograd (bool): Compute the generator's large 3x3 convolutions
            (at least ``winograd_min_channels`` in and out) by Winograd's
            F(2x2, 3x3) where they run in eval mode in float32 on CPU
            without gradients (inference, validation, a frozen G_P; see
            ``ratenet_plugin/models/winograd_conv2d.py``). Training mode,
            GPUs and autocast are unaffected; not combined with
            ``torch_compile``. Defaults to False.
        winograd_min_channels (int): See ``winograd``. Defaults to 256.
        init_cfg (dict, optional): MMEngine init config. Defaults to None.
    """

    def __init__(self,
                 generator: dict,
                 shape_discriminator: Optional[dict],
                 appearance_discriminator: Optional[dict],
                 perceptual_loss: Optional[dict],
                 *,
                 gan_type: str = 'lsgan',
                 lambda_recon: float = 10.0,
                 lambda_per: float = 5.0,
                 lambda_sty: float = 5.0,
                 lambda_gan: float = 5.0,
                 gan_shape_weight: float = 1.0,
                 gan_app_weight: float = 1.0,
                 data_preprocessor: Optional[dict] = None,
                 channels_last: bool = False,
                 torch_compile: CompileOption = False,
                 winograd: bool = False,
                 winograd_min_channels: int = MIN_CHANNELS,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        refuse_lenient_pretrained(init_cfg)
        super().__init__(
            data_preprocessor=MODELS.build(
                dict(type='PoseDataPreprocessor')
                if data_preprocessor is None else data_preprocessor),
            init_cfg=init_cfg)
        self.generator = MODELS.build(generator)
        training_parts = (shape_discriminator, appearance_discriminator,
                          perceptual_loss)
        if any(part is None for part in training_parts) and any(
                part is not None for part in training_parts):
            raise ValueError(
                'shape_discriminator, appearance_discriminator and '
                'perceptual_loss are given together (a model that trains) '
                'or are all None (a model that only generates)')
        #: False for a generation-only model (no discriminators or losses).
        self.can_train = perceptual_loss is not None
        self.shape_discriminator = (
            MODELS.build(shape_discriminator) if self.can_train else None)
        self.appearance_discriminator = (
            MODELS.build(appearance_discriminator) if self.can_train else None)
        if self.can_train:
            # D_S reads (image, target heatmaps), D_A (image, source image).
            check_discriminator('shape_discriminator',
                                self.shape_discriminator, NUM_KEYPOINTS)
            check_discriminator('appearance_discriminator',
                                self.appearance_discriminator, 3)
        self.perceptual_loss = (
            MODELS.build(perceptual_loss) if self.can_train else None)
        # MMagic's GANLoss, through the registry: importing its module would
        # load MMagic's whole model zoo, which a generation-only model (the
        # inferencer's) does not need.
        self.gan_loss = (
            MODELS.build(dict(type='GANLoss', gan_type=gan_type))
            if self.can_train else None)
        self.lambda_recon = check_weight('lambda_recon', lambda_recon)
        self.lambda_per = check_weight('lambda_per', lambda_per)
        self.lambda_sty = check_weight('lambda_sty', lambda_sty)
        self.lambda_gan = check_weight('lambda_gan', lambda_gan)
        self.gan_shape_weight = check_weight('gan_shape_weight',
                                             gan_shape_weight)
        self.gan_app_weight = check_weight('gan_app_weight', gan_app_weight)
        self.channels_last = channels_last
        if channels_last:
            convert_to_channels_last(self)
        if winograd and torch_compile:
            raise ValueError(
                'winograd and torch_compile do not combine (the compiled '
                'graph computes the convolutions itself): set '
                'model.winograd=False, as tools/train.py --compile does')
        #: Layers of the generator computed by Winograd's F(2x2, 3x3).
        self.winograd_layers = use_winograd(
            self.generator, winograd_min_channels) if winograd else 0
        if torch_compile:
            compile_in_place([self.generator] + ([
                self.shape_discriminator, self.appearance_discriminator,
                self.perceptual_loss.vgg
            ] if self.can_train else []), torch_compile)

    @staticmethod
    def generation_only(cfg: Mapping) -> dict:
        """The config ``cfg`` of a RATENet without :data:`TRAINING_PARTS`:
        a model that generates as ``cfg``'s does and cannot train (for
        inference: it builds faster and loads no discriminator or VGG)."""
        return dict(cfg, **{part: None for part in TRAINING_PARTS})

    @staticmethod
    def generation_state_dict(state_dict: Mapping[str, torch.Tensor]
                              ) -> Dict[str, torch.Tensor]:
        """``state_dict`` of a RATENet without the weights of
        :data:`TRAINING_PARTS`: what a :meth:`generation_only` model
        loads."""
        return {
            key: value
            for key, value in state_dict.items()
            if key.partition('.')[0] not in TRAINING_PARTS
        }

    def init_weights(self) -> None:
        """Initialise (or load) the weights; with ``channels_last`` they
        are drawn in the default layout and converted after, so a seed gives
        the same weights with or without it (random init fills memory in
        storage order)."""
        if self.channels_last:
            self.to(memory_format=torch.contiguous_format)
        super().init_weights()
        if self.channels_last:
            convert_to_channels_last(self)

    @property
    def discriminators(self) -> List[nn.Module]:
        """[D_S, D_A] as called (possibly DDP-wrapped)."""
        return [self.shape_discriminator, self.appearance_discriminator]

    def ddp_networks(self) -> List[str]:
        """Dotted names of the networks that each get their own DDP in
        distributed training (``RATESeparateDistributedDataParallel``).

        Each is trained as a whole by the updates that run it: G_P, G_t, D_S
        and D_A. The generator is split into G_P and G_t because the
        pose-transfer update runs G_P alone; one DDP over both would wait
        for G_t's gradients. Absent networks (G_t of PB Only, the
        discriminators of a generation-only model) are left out.
        """
        names = ['generator.pose_transfer']
        if unwrap_model(self.generator).texture_enhancer is not None:
            names.append('generator.texture_enhancer')
        if self.can_train:
            names += ['shape_discriminator', 'appearance_discriminator']
        return names

    # ------------------------------------------------------------ losses
    def _image_losses(self,
                      pred: torch.Tensor,
                      gt: torch.Tensor,
                      with_style: bool,
                      unweighted: Optional[Tensors] = None) -> Tensors:
        """Weighted L_recon, L_per (and L_sty) of ``pred`` against ``gt``;
        the unweighted L_per (and L_sty) go into ``unweighted`` if given."""
        perceptual, style = self.perceptual_loss(
            pred, gt, with_style=with_style)
        losses = dict(loss_recon=self.lambda_recon * F.l1_loss(pred, gt))
        # A term the perceptual loss skips (no layers, weight 0) is None.
        for name, term, weight in (('per', perceptual, self.lambda_per),
                                   ('sty', style, self.lambda_sty)):
            if term is not None:
                losses[f'loss_{name}'] = weight * term
                if unweighted is not None:
                    unweighted[f'unweighted_{name}'] = term.detach()
        return losses

    def _generator_gan_losses(self, fake: torch.Tensor,
                              inputs: Tensors) -> Tensors:
        """Weighted L_GAN terms: fool D_S given P_t and D_A given I_s."""
        shape_score = self.shape_discriminator(fake, inputs['tgt_pose'])
        app_score = self.appearance_discriminator(fake, inputs['src_img'])
        weight = self.lambda_gan
        return dict(
            loss_gan_shape=weight * self.gan_shape_weight *
            self.gan_loss(shape_score, target_is_real=True),
            loss_gan_app=weight * self.gan_app_weight *
            self.gan_loss(app_score, target_is_real=True))

    def _discriminator_loss(self, discriminator: nn.Module,
                            real: torch.Tensor, fake: torch.Tensor,
                            condition: torch.Tensor) -> torch.Tensor:
        """0.5 * (GAN(D(real), real) + GAN(D(fake), fake)), as PATN."""
        real_loss = self.gan_loss(
            discriminator(real, condition), target_is_real=True, is_disc=True)
        fake_loss = self.gan_loss(
            discriminator(fake.detach(), condition),
            target_is_real=False,
            is_disc=True)
        return 0.5 * (real_loss + fake_loss)

    @staticmethod
    def _log(losses: Tensors, suffix: str = '') -> Tensors:
        return {key + suffix: value.detach() for key, value in losses.items()}

    # ----------------------------------------------------------- updates
    def train_pose_transfer(self, data: dict,
                            optim_wrapper: OptimWrapperDict) -> Tensors:
        """Update G_P alone with L1 on the coarse image (cycle step 1).

        G_t does not run, so its gradients stay None and the generator's
        optimiser leaves it unchanged; the discriminators are not used.

        Args:
            data (dict): Preprocessed batch; ``data['inputs']`` holds
                ``src_img``, ``tgt_img`` (N, 3, H, W) in [-1, 1] and
                ``src_pose``, ``tgt_pose`` (N, 18, H, W) in [0, 1].
            optim_wrapper (OptimWrapperDict): Needs key ``'generator'``.

        Returns:
            dict: ``loss_recon_coarse``, ``loss_per_coarse`` (detached).
        """
        if unwrap_model(self.generator).freeze_pose_transfer:
            raise RuntimeError(
                'The pose-transfer update trains G_P, which is frozen '
                '(generator.freeze_pose_transfer=True, PB Fixed): leave '
                '"pose_transfer" out of the RATELoop cycle')
        inputs = data['inputs']
        wrapper = optim_wrapper['generator']
        with wrapper.optim_context(self.generator):
            outputs = self.generator(
                inputs['src_img'],
                inputs['src_pose'],
                inputs['tgt_pose'],
                coarse_only=True)
            losses = self._image_losses(
                outputs['coarse'], inputs['tgt_img'], with_style=False)
            wrapper.update_params(sum(losses.values()))
        return self._log(losses, suffix='_coarse')

    def train_joint(self, data: dict,
                    optim_wrapper: OptimWrapperDict) -> Tensors:
        """Update G_P and G_t together with L2 on I_t (cycle step 2).

        For PB Only (no G_t) L2 is taken on the coarse image; with a frozen
        G_P (PB Fixed) only G_t changes. The discriminators are frozen
        (``requires_grad=False``) for the duration and get no gradients.

        Args:
            data (dict): Preprocessed batch, see :meth:`train_pose_transfer`.
            optim_wrapper (OptimWrapperDict): Needs key ``'generator'``.

        Returns:
            dict: ``loss_recon``, ``loss_per``, ``loss_sty``,
            ``loss_gan_shape``, ``loss_gan_app`` (detached), and the
            unweighted ``unweighted_per``, ``unweighted_sty`` (not part of
            the update).
        """
        inputs = data['inputs']
        wrapper = optim_wrapper['generator']
        unweighted: Tensors = {}
        # Each parameter's own flag comes back afterwards: a discriminator
        # with frozen parts (e.g. an MMagic network partly frozen) stays so.
        trainable = [(p, p.requires_grad) for d in self.discriminators
                     for p in d.parameters()]
        for parameter, _ in trainable:
            parameter.requires_grad_(False)
        try:
            with wrapper.optim_context(self.generator):
                outputs = self.generator(inputs['src_img'], inputs['src_pose'],
                                         inputs['tgt_pose'])
                fake = outputs['final']
                losses = self._image_losses(
                    fake, inputs['tgt_img'], with_style=True,
                    unweighted=unweighted)
                losses.update(self._generator_gan_losses(fake, inputs))
                wrapper.update_params(sum(losses.values()))
        finally:
            for parameter, flag in trainable:
                parameter.requires_grad_(flag)
        return dict(self._log(losses), **unweighted)

    def train_discriminators(self,
                             data: dict,
                             optim_wrapper: OptimWrapperDict,
                             repeats: int = 1) -> Tensors:
        """Update D_S and D_A ``repeats`` times each on real and detached
        fake images (the K=3 discriminator steps of a cycle: ``repeats=3``).

        The generator does not change during these steps, so the fakes are
        generated once, without gradients, for this batch and this call.

        Args:
            data (dict): Preprocessed batch, see :meth:`train_pose_transfer`.
            optim_wrapper (OptimWrapperDict): Needs keys ``'generator'`` (its
                context, e.g. autocast, for the fakes),
                ``'shape_discriminator'`` and ``'appearance_discriminator'``.
            repeats (int): Steps of each discriminator. Defaults to 1.

        Returns:
            dict: ``loss_disc_shape``, ``loss_disc_app`` (detached), each the
            mean over the steps.
        """
        inputs = data['inputs']
        with optim_wrapper['generator'].optim_context(self.generator), \
                torch.no_grad():
            fake = self.generator(inputs['src_img'], inputs['src_pose'],
                                  inputs['tgt_pose'])['final']
        real = inputs['tgt_img']
        steps = (('shape_discriminator', 'loss_disc_shape',
                  self.shape_discriminator, inputs['tgt_pose']),
                 ('appearance_discriminator', 'loss_disc_app',
                  self.appearance_discriminator, inputs['src_img']))
        logs: Tensors = {}
        for _ in range(repeats):
            losses = {}
            for key, log_key, discriminator, condition in steps:
                wrapper = optim_wrapper[key]
                with wrapper.optim_context(discriminator):
                    losses[log_key] = self._discriminator_loss(
                        discriminator, real, fake, condition)
                    wrapper.update_params(losses[log_key])
            _add_mean(logs, self._log(losses), repeats)
        return logs

    def train_update(self,
                     name: str,
                     data: dict,
                     optim_wrapper: OptimWrapperDict,
                     repeats: int = 1) -> Tensors:
        """Run the update called ``name`` (``'pose_transfer'``, ``'joint'``
        or ``'discriminator'``, see the methods above) ``repeats`` times in a
        row on the same batch.

        Returns:
            dict: The update's logged values, each the mean over the repeats.
        """
        if not self.can_train:
            raise RuntimeError(
                'This RATENet only generates (no discriminators or '
                'perceptual loss in its config): train with a full config')
        if name not in UPDATES:
            raise ValueError(f'Unknown RATENet update {name!r}; expected one '
                             f'of {UPDATES}')
        if repeats < 1:
            raise ValueError(f'repeats of the {name!r} update must be >= 1, '
                             f'got {repeats}')
        if name == 'discriminator':
            return self.train_discriminators(data, optim_wrapper, repeats)
        update = self.train_pose_transfer if name == 'pose_transfer' \
            else self.train_joint
        logs: Tensors = {}
        for _ in range(repeats):
            _add_mean(logs, update(data, optim_wrapper), repeats)
        return logs

    #: The updates :meth:`train_update` runs (RATELoop checks its cycle).
    updates = UPDATES

    def train_step(self, data, optim_wrapper):
        """Not used: ``RATELoop`` trains through :meth:`train_update`."""
        raise NotImplementedError(
            'RATENet trains through its three updates; use '
            "train_cfg=dict(type='RATELoop', ...) (it calls "
            'model.train_update(name, data, optim_wrapper)).')

    # -------------------------------------------------------- evaluation
    def forward(self,
                inputs: Tensors,
                data_samples: Optional[DataSample] = None,
                mode: str = 'tensor') -> Union[dict, List[DataSample]]:
        """Generate target images.

        Args:
            inputs (dict): Preprocessed ``src_img`` (N, 3, H, W) in [-1, 1],
                ``src_pose`` and ``tgt_pose`` (N, 18, H, W) in [0, 1].
            data_samples (DataSample, optional): Stacked data samples of the
                batch (ground truth and meta information).
            mode (str): ``'tensor'``: the generator's named outputs (see
                ``RATEGenerator.forward``); ``'predict'``: one
                ``DataSample`` per input, see :meth:`val_step`.

        Returns:
            dict | list[DataSample]: As selected by ``mode``.
        """
        if mode == 'tensor':
            return self.generator(inputs['src_img'], inputs['src_pose'],
                                  inputs['tgt_pose'])
        if mode == 'predict':
            return self._predict(inputs, data_samples)
        raise ValueError(
            f'RATENet.forward supports mode "tensor" and "predict", got '
            f'{mode!r}; training runs through train_update')

    def _predict(self, inputs: Tensors,
                 data_samples: Optional[DataSample]) -> List[DataSample]:
        outputs = self.generator(inputs['src_img'], inputs['src_pose'],
                                 inputs['tgt_pose'])
        to_image = self.data_preprocessor.to_eval_image
        images = dict(
            pred_img=to_image(outputs['final']),
            coarse_img=to_image(outputs['coarse']))
        if outputs['residual'] is not None:
            images['residual_img'] = to_image(outputs['residual'])
        num = inputs['src_img'].shape[0]
        samples = data_samples.split(allow_nonseq_value=True) \
            if data_samples is not None else [DataSample() for _ in range(num)]
        source = to_image(inputs['src_img'])
        channel_order = self.data_preprocessor.eval_channel_order
        results = []
        for index, sample in enumerate(samples):
            result = DataSample(metainfo=sample.metainfo)
            result.set_metainfo(dict(channel_order=channel_order))
            for key in sample.keys():
                result.set_field(sample.get(key), key)
            result.set_field(source[index], 'source_img')
            for key in ('src_pose', 'tgt_pose'):
                result.set_field(inputs[key][index].detach(), key)
            per_sample = {key: value[index] for key, value in images.items()}
            # MMagic's SSIM/PSNR read output.<pred_key>; TransFID/TransIS
            # read <fake_key> at the top level: provide both (same tensors).
            result.output = DataSample(**per_sample)
            for key, value in per_sample.items():
                result.set_field(value, key)
            results.append(result)
        return results

    def val_step(self, data: dict) -> List[DataSample]:
        """Generate images for the metrics and the visualiser.

        Returns:
            list[DataSample]: One per input, with ``gt_img`` (3, H, W) float
            in [0, 255] (when the batch has it), ``source_img`` (same
            format), ``src_pose``/``tgt_pose`` (18, H, W) heatmaps, and
            ``pred_img`` (I_t), ``coarse_img`` (I_co), ``residual_img``
            (R_t mapped like an image: 0 -> 127.5; absent for PB Only) both
            at the top level and under ``output``. Images are float in
            [0, 255] in the preprocessor's ``eval_channel_order`` (RGB by
            default), also recorded in the metainfo ``channel_order``.
        """
        data = self.data_preprocessor(data, False)
        with torch.no_grad():
            return self(**data, mode='predict')

    def test_step(self, data: dict) -> List[DataSample]:
        """Same as :meth:`val_step`."""
        return self.val_step(data)
