"""PATN's generator weights -> our G_P: key mapping, equivalence, refusals."""

import pytest
import torch

from ratenet_plugin.analysis.patn_reference import (PATNGenerator,
                                                    PATNResnetDiscriminator)
from ratenet_plugin.fileio.checkpoint_file import CheckpointError
from ratenet_plugin.fileio.errors import UserInputError
from ratenet_plugin.models import PoseTransferModule
from ratenet_plugin.models.editors.ratenet.patn_conversion import (
    POSE_TRANSFER_PREFIX, PATNCheckpointError, convert_patn_checkpoint,
    convert_patn_state_dict)
from ratenet_plugin.models.editors.ratenet.pose_transfer_module import \
    PATN_DEEPFASHION_LAYOUT
from tests.tools.tool_testing import load_tool

#: Tiny sizes shared by PATN's reference and our module.
TINY = dict(base_channels=8, num_blocks=2)


def tiny_patn(seed: int = 0) -> PATNGenerator:
    torch.manual_seed(seed)
    patn = PATNGenerator(ngf=TINY['base_channels'],
                         n_blocks=TINY['num_blocks'])
    # Non-zero biases everywhere, so that dropping the ones before
    # InstanceNorm is tested, not trivially true.
    with torch.no_grad():
        for name, value in patn.named_parameters():
            if name.endswith('bias'):
                value.uniform_(-0.5, 0.5)
    return patn


def tiny_ours(converted: dict) -> PoseTransferModule:
    ours = PoseTransferModule(**dict(PATN_DEEPFASHION_LAYOUT, **TINY))
    ours.load_state_dict(converted, strict=True)
    return ours


def inputs(seed: int = 1, height: int = 32, width: int = 24):
    gen = torch.Generator().manual_seed(seed)
    return (torch.rand(2, 3, height, width, generator=gen) * 2 - 1,
            torch.rand(2, 18, height, width, generator=gen),
            torch.rand(2, 18, height, width, generator=gen))


def test_full_size_key_names_and_shapes_map_one_to_one():
    """PATN's DeepFashion file (meta tensors: names and shapes only)."""
    with torch.device('meta'):
        patn_state = PATNGenerator().state_dict()
    assert len(patn_state) == 2 * 3 * 2 + 9 * 4 * 2 + 3 * 2
    assert patn_state['model.stream1_down.1.weight'].shape == (64, 3, 7, 7)
    assert patn_state['model.stream2_down.7.weight'].shape == (256, 128, 3, 3)
    assert patn_state['model.att.1.conv_block_stream2.1.weight'].shape == (
        512, 512, 3, 3)
    assert patn_state['model.att.8.conv_block_stream2.6.weight'].shape == (
        256, 512, 3, 3)
    assert patn_state['model.stream1_up.0.weight'].shape == (256, 128, 3, 3)
    assert patn_state['model.stream1_up.7.weight'].shape == (3, 64, 7, 7)
    converted, report = convert_patn_state_dict(patn_state)
    with torch.device('meta'):
        ours = PoseTransferModule(**PATN_DEEPFASHION_LAYOUT).state_dict()
    assert {k: v.shape for k, v in converted.items()} == {
        k: v.shape for k, v in ours.items()}
    # Every PATN tensor is mapped or dropped; only biases before IN drop.
    assert len(report.mapped) + len(report.dropped) == len(patn_state)
    assert all(key.endswith('.bias') for key, _ in report.dropped)
    assert ('model.att.0.conv_block_stream2.6.bias',
            'pat_blocks.0.pose_branch.2.conv.bias') in report.mapped
    assert ('model.stream1_up.7.bias', 'head.conv.bias') in report.mapped


def test_round_trip_keeps_every_tensor(tmp_path):
    patn = tiny_patn()
    src, dst = tmp_path / 'latest_net_netG.pth', tmp_path / 'out' / 'g.pth'
    torch.save(patn.state_dict(), src)
    report = convert_patn_checkpoint(str(src), str(dst), **TINY)
    checkpoint = torch.load(dst, weights_only=True)
    assert set(checkpoint) == {'state_dict', 'meta'}
    assert checkpoint['meta']['converted_from'] == 'latest_net_netG.pth'
    state = checkpoint['state_dict']
    assert all(key.startswith(POSE_TRANSFER_PREFIX) for key in state)
    patn_state = patn.state_dict()
    for patn_key, our_key in report.mapped:
        assert torch.equal(state[POSE_TRANSFER_PREFIX + our_key],
                           patn_state[patn_key]), patn_key
    ours = PoseTransferModule(**dict(PATN_DEEPFASHION_LAYOUT, **TINY))
    assert {POSE_TRANSFER_PREFIX + k for k in ours.state_dict()} == set(state)


def test_a_copy_saved_from_data_parallel_converts_alike(tmp_path):
    """Keys prefixed 'module.' (nn.DataParallel's state dict, as forks
    and retrained copies save it) convert to the same weights."""
    patn = tiny_patn()
    plain, parallel = tmp_path / 'plain.pth', tmp_path / 'parallel.pth'
    torch.save(patn.state_dict(), plain)
    torch.save({f'module.{key}': value
                for key, value in patn.state_dict().items()}, parallel)
    for src in (plain, parallel):
        convert_patn_checkpoint(str(src), str(tmp_path / f'{src.stem}_g.pth'),
                                **TINY)
    expected = torch.load(tmp_path / 'plain_g.pth')['state_dict']
    got = torch.load(tmp_path / 'parallel_g.pth')['state_dict']
    assert list(got) == list(expected)
    assert all(torch.equal(got[key], expected[key]) for key in expected)


def test_the_output_never_replaces_patns_file_and_is_whole(tmp_path):
    """Converting onto PATN's own file, or onto an existing file without
    overwrite, is refused before anything is written; the output is written
    whole or not at all (no temporary file is left beside it)."""
    src = tmp_path / 'latest_net_netG.pth'
    torch.save(tiny_patn().state_dict(), src)
    before = src.read_bytes()
    with pytest.raises(UserInputError,
                       match="would replace PATN's file .*latest_net_netG"):
        convert_patn_checkpoint(str(src), str(src), **TINY)
    assert src.read_bytes() == before
    dst = tmp_path / 'g.pth'
    convert_patn_checkpoint(str(src), str(dst), **TINY)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        'g.pth', 'latest_net_netG.pth'
    ]
    # An existing output (a trained checkpoint, say) is kept unless asked.
    dst.write_bytes(b'a trained checkpoint')
    with pytest.raises(UserInputError,
                       match=f'{dst} exists already .* or --overwrite'):
        convert_patn_checkpoint(str(src), str(dst), **TINY)
    assert dst.read_bytes() == b'a trained checkpoint'
    convert_patn_checkpoint(str(src), str(dst), overwrite=True, **TINY)
    assert torch.load(dst, weights_only=True)['meta']['converted_from'] == \
        'latest_net_netG.pth'


def test_converted_weights_compute_patns_function():
    """Eval mode: our coarse image equals PATN's output within 1e-5."""
    patn = tiny_patn().eval()
    converted, _ = convert_patn_state_dict(patn.state_dict(), **TINY)
    ours = tiny_ours(converted).eval()
    src_img, src_pose, tgt_pose = inputs()
    with torch.no_grad():
        expected = patn(src_img, torch.cat([src_pose, tgt_pose], 1))
        coarse = ours(src_img, src_pose, tgt_pose)['coarse']
    assert coarse.shape == expected.shape == (2, 3, 32, 24)
    torch.testing.assert_close(coarse, expected, rtol=0, atol=1e-5)
    # The function is not trivial: the target pose matters.
    with torch.no_grad():
        other = ours(src_img, src_pose, tgt_pose.flip(-1))['coarse']
    assert (other - coarse).abs().max() > 1e-3


def test_dropout_is_where_patn_has_it():
    """Training mode, same seed: the same dropout masks in the same order,
    hence the same output (dropout after the first ReLU of each branch)."""
    patn = tiny_patn().train()
    converted, _ = convert_patn_state_dict(patn.state_dict(), **TINY)
    ours = tiny_ours(converted).train()
    src_img, src_pose, tgt_pose = inputs()
    torch.manual_seed(7)
    expected = patn(src_img, torch.cat([src_pose, tgt_pose], 1))
    torch.manual_seed(7)
    coarse = ours(src_img, src_pose, tgt_pose)['coarse']
    torch.testing.assert_close(coarse, expected, rtol=0, atol=1e-5)
    with torch.no_grad():
        assert (patn.eval()(src_img, torch.cat([src_pose, tgt_pose], 1)) -
                expected).abs().max() > 1e-3


def test_instance_norm_running_statistics_are_dropped():
    """Files saved by old PyTorch versions carry IN running buffers."""
    patn_state = tiny_patn().state_dict()
    patn_state['model.stream1_down.2.running_mean'] = torch.zeros(8)
    patn_state['model.stream1_down.2.running_var'] = torch.ones(8)
    converted, report = convert_patn_state_dict(patn_state, **TINY)
    assert ('model.stream1_down.2.running_var',
            'InstanceNorm running statistic (unused)') in report.dropped
    tiny_ours(converted)


def test_wrong_files_are_refused_with_a_listing():
    patn_state = tiny_patn().state_dict()
    missing = dict(patn_state)
    del missing['model.att.1.conv_block_stream1.6.weight']
    with pytest.raises(PATNCheckpointError) as error:
        convert_patn_state_dict(missing, 'netG.pth', **TINY)
    message = str(error.value)
    assert message.startswith('netG.pth does not match PATN\'s DeepFashion')
    assert '1 missing, 0 unexpected, 0 wrong shapes' in message
    assert 'missing: model.att.1.conv_block_stream1.6.weight' in message

    # Channels of another size (e.g. a file of another ngf).
    with pytest.raises(PATNCheckpointError, match=r'33 wrong shapes; wrong '
                       r'shapes \(file vs network\): .*model.att.0.'
                       r'conv_block_stream1.1.weight \[32, 32, 3, 3\] vs '
                       r'\[64, 64, 3, 3\]'):
        convert_patn_state_dict(patn_state, 'netG.pth', base_channels=16,
                                num_blocks=2)
    # One PAT block more than the file has.
    with pytest.raises(PATNCheckpointError, match='8 missing'):
        convert_patn_state_dict(patn_state, 'netG.pth', base_channels=8,
                                num_blocks=3)
    # A stray key.
    with pytest.raises(PATNCheckpointError,
                       match='unexpected: model.extra.weight'):
        convert_patn_state_dict(
            dict(patn_state, **{'model.extra.weight': torch.zeros(1)}),
            **TINY)
    # PATN's discriminator.
    disc = PATNResnetDiscriminator(21, ndf=8).state_dict()
    with pytest.raises(PATNCheckpointError,
                       match='not a PATN generator.*netD_PB'):
        convert_patn_state_dict(disc, 'netD_PB.pth', **TINY)


def test_files_that_are_not_state_dicts(tmp_path):
    absent = tmp_path / 'nothing.pth'
    with pytest.raises(CheckpointError, match='not found: download PATN'):
        convert_patn_checkpoint(str(absent), str(tmp_path / 'o.pth'))
    # Also when the output exists (a second conversion, a typo in the
    # input): OSError's 'No such file' from samefile before.
    existing = tmp_path / 'existing.pth'
    existing.write_bytes(b'an earlier conversion')
    for overwrite in (False, True):
        with pytest.raises(CheckpointError, match='not found: download PATN'):
            convert_patn_checkpoint(str(absent), str(existing),
                                    overwrite=overwrite)
    # A damaged download says to download it again (not to take an earlier
    # iter_N.pth of a work dir).
    whole = tmp_path / 'latest_net_netG.pth'
    torch.save(tiny_patn().state_dict(), whole)
    cut = tmp_path / 'cut.pth'
    cut.write_bytes(whole.read_bytes()[:len(whole.read_bytes()) // 2])
    with pytest.raises(CheckpointError, match='download it again '
                       '\\(latest_net_netG.pth, linked from the README of '
                       'github.com/tengteng95/Pose-Transfer\\)$'):
        convert_patn_checkpoint(str(cut), str(tmp_path / 'o.pth'), **TINY)
    text = tmp_path / 'text.pth'
    text.write_text('hello')
    with pytest.raises(CheckpointError, match='not a PyTorch checkpoint'):
        convert_patn_checkpoint(str(text), str(tmp_path / 'o.pth'))
    ours = tmp_path / 'ours.pth'
    torch.save(dict(state_dict={}, meta={}), ours)
    with pytest.raises(CheckpointError, match='need no conversion'):
        convert_patn_checkpoint(str(ours), str(tmp_path / 'o.pth'))


def test_cli_converts_a_full_size_file_and_refuses_a_discriminator(
        tmp_path, capsys):
    torch.manual_seed(0)
    src = tmp_path / 'latest_net_netG.pth'
    torch.save(PATNGenerator().state_dict(), src)
    out = tmp_path / 'converted.pth'
    tool = load_tool('convert_patn_checkpoint')
    capsys.readouterr()
    assert tool.main([str(src), str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert ('model.stream1_down.1.weight -> '
            'generator.pose_transfer.image_encoder.0.conv.weight') in lines
    assert ('model.stream1_down.1.bias dropped: bias before InstanceNorm '
            '(cancelled by it)') in lines
    assert lines[-1] == (f'wrote {out}: 55 tensors mapped, 35 dropped')
    state = torch.load(out, weights_only=True)['state_dict']
    assert len(state) == 55

    disc = tmp_path / 'latest_net_netD_PB.pth'
    torch.save(PATNResnetDiscriminator(21, ndf=8).state_dict(), disc)
    # main() raises; run_tool prints it as one 'error:' line, exit code 2.
    with pytest.raises(CheckpointError) as info:
        tool.main([str(disc), str(tmp_path / 'x.pth')])
    error = str(info.value)
    assert error.startswith(f'{disc} does not match PATN')
    assert '90 missing, 18 unexpected' in error
    assert 'missing: model.att.0.conv_block_stream1.1.bias' in error
    assert not (tmp_path / 'x.pth').exists()
