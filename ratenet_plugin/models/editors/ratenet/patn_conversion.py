"""PATN's released generator weights -> our G_P (``PoseTransferModule``).

PATN (Zhu et al. 2019, tengteng95/Pose-Transfer) saves its generator as a
bare state dict (``latest_net_netG.pth``) of ``PATNetwork``, whose layers are
``nn.Sequential`` lists indexed by position::

    model.stream1_down.{1, 4, 7}        7x7 stem, 2 stride-2 convs (image)
    model.stream2_down.{1, 4, 7}        the same for the pose stream
    model.att.<k>.conv_block_stream1.{1, 6}   PAT block k, image branch
    model.att.<k>.conv_block_stream2.{1, 6}   PAT block k, pose branch
    model.stream1_up.{0, 3, 7}          2 transposed convs, 7x7 head

(the positions in between are padding, norm, ReLU and dropout layers). Our
:class:`PoseTransferModule` with :data:`PATN_DEEPFASHION_LAYOUT` has the same
layers in the same order. Two kinds of PATN entries carry no information and
are dropped, which leaves the function unchanged:

* the bias of every convolution followed by InstanceNorm: IN (without affine
  parameters) subtracts each channel's mean, so a per-channel constant added
  before it cancels (our layers have no such bias);
* ``running_mean`` / ``running_var`` (/ ``num_batches_tracked``) of the
  InstanceNorm layers, which files saved with old PyTorch versions carry;
  PATN's norm layers do not use them (``track_running_stats`` is off).

Every other entry must be present with PATN's shape; anything else (another
layout, a discriminator ``netD_PB``/``netD_PP``, a file of ours) is refused
with a listing of what did not match.
"""
import os.path as osp
from typing import Dict, List, Mapping, NamedTuple, Optional, Tuple

import torch

from ratenet_plugin.fileio.checkpoint_file import (PATN_GENERATOR_PREFIX,
                                                    CheckpointError,
                                                    CheckpointMismatchError,
                                                    StateDictMismatch,
                                                    mismatch_message,
                                                    read_checkpoint,
                                                    write_checkpoint)
from ratenet_plugin.fileio.errors import UserInputError
from .pose_transfer_module import PATN_DEEPFASHION_LAYOUT, PoseTransferModule

#: Prefix of G_P's keys in a RATENet state dict (and in converted files).
POSE_TRANSFER_PREFIX = 'generator.pose_transfer.'
#: Buffers of PATN's InstanceNorm layers in files of old PyTorch versions.
NORM_BUFFERS = ('running_mean', 'running_var', 'num_batches_tracked')


class PATNCheckpointError(CheckpointMismatchError):
    """A file that is not PATN's DeepFashion generator; lists the keys."""


class ConvMapping(NamedTuple):
    """One PATN convolution and its counterpart in our G_P.

    ``patn`` and ``norm`` are PATN key prefixes (``norm`` None when no
    InstanceNorm follows the convolution); ``ours`` is our key prefix.
    """
    patn: str
    ours: str
    norm: Optional[str]


class ConversionReport(NamedTuple):
    """What a conversion did: ``mapped`` (PATN key, our key) pairs and
    ``dropped`` (PATN key, reason) pairs."""
    mapped: List[Tuple[str, str]]
    dropped: List[Tuple[str, str]]


def patn_conv_mappings(num_downsamples: int,
                       num_blocks: int) -> List[ConvMapping]:
    """Every convolution of PATN's generator, in forward order.

    Args:
        num_downsamples (int): PATN's ``n_downsampling`` (2 for DeepFashion).
        num_blocks (int): PAT blocks (9).
    """

    def encoder(stream: str, ours: str) -> List[ConvMapping]:
        # [pad, conv, norm, relu] then [conv, norm, relu] per down-sampling.
        convs = [ConvMapping(f'model.{stream}.1', f'{ours}.0.conv',
                             f'model.{stream}.2')]
        convs += [
            ConvMapping(f'model.{stream}.{4 + 3 * i}', f'{ours}.{i + 1}.conv',
                        f'model.{stream}.{5 + 3 * i}')
            for i in range(num_downsamples)
        ]
        return convs

    mappings = encoder('stream1_down', 'image_encoder')
    mappings += encoder('stream2_down', 'pose_encoder')
    for k in range(num_blocks):
        # [pad, conv, norm, relu, dropout, pad, conv(, norm)] per branch.
        block = f'model.att.{k}'
        ours = f'pat_blocks.{k}'
        mappings += [
            ConvMapping(f'{block}.conv_block_stream1.1',
                        f'{ours}.image_branch.0.conv',
                        f'{block}.conv_block_stream1.2'),
            ConvMapping(f'{block}.conv_block_stream1.6',
                        f'{ours}.image_branch.2.conv',
                        f'{block}.conv_block_stream1.7'),
            ConvMapping(f'{block}.conv_block_stream2.1',
                        f'{ours}.pose_branch.0.conv',
                        f'{block}.conv_block_stream2.2'),
            ConvMapping(f'{block}.conv_block_stream2.6',
                        f'{ours}.pose_branch.2.conv', None),
        ]
    # [convT, norm, relu] per up-sampling, then [pad, conv, tanh].
    mappings += [
        ConvMapping(f'model.stream1_up.{3 * i}', f'up_blocks.{i}.conv',
                    f'model.stream1_up.{3 * i + 1}')
        for i in range(num_downsamples)
    ]
    mappings.append(
        ConvMapping(f'model.stream1_up.{3 * num_downsamples + 1}',
                    'head.conv', None))
    return mappings


def build_patn_layout_module(**overrides) -> PoseTransferModule:
    """Our G_P in PATN's layout (``overrides``: e.g. smaller channel counts
    for tests), on the meta device: shapes only, no memory."""
    layout = dict(PATN_DEEPFASHION_LAYOUT, **overrides)
    with torch.device('meta'):
        return PoseTransferModule(**layout)


def convert_patn_state_dict(
        patn_state: Mapping[str, torch.Tensor],
        source: str = 'the PATN state dict',
        **layout_overrides) -> Tuple[Dict[str, torch.Tensor],
                                     ConversionReport]:
    """Map a PATN generator state dict to our G_P's keys.

    Args:
        patn_state (Mapping[str, Tensor]): PATN's ``netG`` state dict.
        source (str): Its file, for messages.
        **layout_overrides: Changes to :data:`PATN_DEEPFASHION_LAYOUT`
            (``base_channels``, ``num_blocks``, ``num_downsamples``...);
            none for the released DeepFashion model.

    Returns:
        tuple: Our G_P's state dict (keys without prefix, every key of
        ``PoseTransferModule(**layout)``), and the report.

    Raises:
        PATNCheckpointError: Missing, unexpected or wrongly shaped keys
            (all listed, with counts); nothing is converted then.
    """
    target = build_patn_layout_module(**layout_overrides)
    expected = target.state_dict()
    mapped: List[Tuple[str, str]] = []  # (PATN key, our key)
    dropped: List[Tuple[str, str]] = []  # (PATN key, reason)
    required: Dict[str, Tuple[int, ...]] = {}  # PATN key -> expected shape
    optional = set()  # PATN keys that may be present, and are dropped
    for conv in patn_conv_mappings(target.num_downsamples,
                                   len(target.pat_blocks)):
        patn_weight, patn_bias = f'{conv.patn}.weight', f'{conv.patn}.bias'
        our_weight = f'{conv.ours}.weight'
        required[patn_weight] = tuple(expected[our_weight].shape)
        required[patn_bias] = (target.get_submodule(conv.ours).out_channels, )
        mapped.append((patn_weight, our_weight))
        if conv.norm is None:
            mapped.append((patn_bias, f'{conv.ours}.bias'))
        else:
            dropped.append(
                (patn_bias, 'bias before InstanceNorm (cancelled by it)'))
            norm_buffers = [f'{conv.norm}.{name}' for name in NORM_BUFFERS]
            optional.update(norm_buffers)
            dropped += [(key, 'InstanceNorm running statistic (unused)')
                        for key in norm_buffers]
    dropped = [(key, why) for key, why in dropped if key in patn_state]

    file_shapes = {
        key: tuple(value.shape)
        for key, value in patn_state.items() if hasattr(value, 'shape')
    }
    mismatch = StateDictMismatch(
        missing=sorted(key for key in required if key not in patn_state),
        unexpected=sorted(key for key in patn_state
                          if key not in required and key not in optional),
        wrong_shapes=sorted(
            (key, file_shapes.get(key, ()), shape)
            for key, shape in required.items()
            if key in patn_state and file_shapes.get(key) != shape))
    if mismatch:
        hint = ''
        if not any(key.startswith(PATN_GENERATOR_PREFIX)
                   for key in patn_state):
            hint = (f' (no {PATN_GENERATOR_PREFIX}* key: not a PATN '
                    'generator; '
                    'PATN\'s discriminators are the netD_PB/netD_PP files, '
                    'the generator is latest_net_netG.pth)')
        layout = dict(PATN_DEEPFASHION_LAYOUT, **layout_overrides)
        raise PATNCheckpointError(
            mismatch_message(
                source, 'PATN\'s DeepFashion generator '
                f'(num_downsamples={layout["num_downsamples"]}, '
                f'num_blocks={layout["num_blocks"]}, base_channels='
                f'{layout["base_channels"]}, dropout on)', mismatch) + hint)
    converted = {ours: patn_state[patn] for patn, ours in mapped}
    assert set(converted) == set(expected), 'PATN key table incomplete'
    return converted, ConversionReport(mapped, dropped)


#: Where PATN's generator file comes from, for the messages.
DOWNLOAD = ('latest_net_netG.pth, linked from the README of '
            'github.com/tengteng95/Pose-Transfer')


def read_patn_state_dict(path: str) -> Dict[str, torch.Tensor]:
    """Read PATN's generator file (a bare state dict of tensors; a
    ``module.`` prefix of a copy saved from ``nn.DataParallel`` removed).

    Raises:
        CheckpointError: The file is absent, unreadable (empty, truncated,
            foreign, refused for safety: :func:`read_checkpoint`) or not a
            state dict.
    """
    _check_patn_file(path)
    state = read_checkpoint(path, remedy=f'download it again ({DOWNLOAD})')
    if isinstance(state, Mapping) and 'state_dict' in state:
        raise CheckpointError(
            f'{path} is a training checkpoint (it has a "state_dict" entry), '
            'not PATN\'s generator file latest_net_netG.pth; converted or '
            'RATE-Net checkpoints need no conversion')
    if not isinstance(state, Mapping) or not all(
            isinstance(value, torch.Tensor) for value in state.values()):
        raise CheckpointError(
            f'{path} is not a state dict of tensors (PATN saves its '
            'generator as one)')
    # A copy saved from nn.DataParallel (forks, retrained copies; PATN's own
    # save_network never writes the prefix).
    if state and all(key.startswith('module.') for key in state):
        return {key[len('module.'):]: value for key, value in state.items()}
    return dict(state)


def _check_patn_file(path: str) -> None:
    if not osp.isfile(path):
        raise CheckpointError(
            f'{path} not found: download PATN\'s DeepFashion generator '
            f'({DOWNLOAD}) and pass its path')


def convert_patn_checkpoint(src: str, dst: str, *, overwrite: bool = False,
                            **layout_overrides) -> ConversionReport:
    """Convert PATN's generator file ``src`` into an MMEngine checkpoint.

    ``dst`` holds ``{'state_dict': {'generator.pose_transfer.<key>': ...},
    'meta': {...}}``: what ``init_cfg=dict(type='StrictPretrained',
    checkpoint=dst, prefix='generator.pose_transfer.')`` loads, and what
    ``tools/test.py`` / ``tools/infer.py`` load into the ``patn`` config's
    model (whose only weights are G_P's).

    Args:
        src (str): PATN's ``latest_net_netG.pth``.
        dst (str): File to write (its folder is created).
        overwrite (bool): Replace ``dst`` if it exists (PATN's own file
            never). Defaults to False: an existing ``dst`` is refused.
        **layout_overrides: See :func:`convert_patn_state_dict`.

    Returns:
        ConversionReport: The mapped and dropped keys.
    """
    _check_patn_file(src)
    if osp.exists(dst) and osp.samefile(src, dst):
        raise UserInputError(
            f'the converted checkpoint would replace PATN\'s file {src}; '
            'give another output path')
    if osp.exists(dst) and not overwrite:
        raise UserInputError(
            f'{dst} exists already (an earlier conversion, or another '
            'checkpoint): give another output path, or --overwrite to '
            'replace it')
    patn_state = read_patn_state_dict(src)
    converted, report = convert_patn_state_dict(patn_state, src,
                                                **layout_overrides)
    layout = dict(PATN_DEEPFASHION_LAYOUT, **layout_overrides)
    checkpoint = dict(
        state_dict={
            POSE_TRANSFER_PREFIX + key: value.clone()
            for key, value in converted.items()
        },
        meta=dict(
            converted_from=osp.basename(src),
            converter='ratenet_plugin.models.editors.ratenet.patn_conversion',
            pose_transfer_layout=layout))
    write_checkpoint(checkpoint, dst)
    return report
