"""Safe loading of MMEngine checkpoints under torch >= 2.6 (weights_only=True)."""
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

import ratenet_plugin  # noqa: F401  (registers the safe globals)
from ratenet_plugin.utils.mmengine_checkpoints import history_buffer_getattr


class NotAllowed:

    def method(self):
        return 'called'


def test_message_hub_state_round_trips_with_weights_only(tmp_path):
    hub = MessageHub.get_instance('test_checkpoint_round_trip')
    hub.update_scalar('train/loss', 0.5)
    hub.update_scalar('train/loss', 1.5)
    hub.update_info('iter', 3)
    checkpoint = dict(
        message_hub=hub.state_dict(),
        meta=dict(seed=np.int64(7), array=np.arange(3, dtype=np.float32)))
    path = tmp_path / 'ckpt.pth'
    torch.save(checkpoint, path)

    loaded = torch.load(path, weights_only=True)

    buffer = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert buffer.mean() == pytest.approx(1.0)
    assert buffer.statistics('max') == pytest.approx(1.5)
    assert loaded['meta']['seed'] == 7
    np.testing.assert_array_equal(loaded['meta']['array'], [0, 1, 2])


def test_other_pickled_globals_are_still_refused(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save(dict(hook=NotAllowed()), path)
    with pytest.raises(pickle.UnpicklingError, match='NotAllowed'):
        torch.load(path, weights_only=True)


def test_getattr_stand_in_only_resolves_history_buffer_statistics():
    buffer = HistoryBuffer()
    buffer.update(2.0)
    assert history_buffer_getattr(HistoryBuffer, 'mean') is HistoryBuffer.mean
    assert history_buffer_getattr(buffer, 'max')() == 2.0
    with pytest.raises(pickle.UnpicklingError, match='__init__'):
        history_buffer_getattr(HistoryBuffer, '__init__')
    with pytest.raises(pickle.UnpicklingError, match='system'):
        history_buffer_getattr(__import__('os'), 'system')


def test_a_fresh_process_loads_a_checkpoint_before_any_buffer_exists(
        tmp_path):
    """HistoryBuffer's statistics registry is empty until a buffer exists."""
    import subprocess
    import sys
    hub = MessageHub.get_instance('test_checkpoint_fresh_process')
    hub.update_scalar('train/loss', 0.25)
    path = tmp_path / 'ckpt.pth'
    torch.save(dict(message_hub=hub.state_dict()), path)
    code = ('import torch, ratenet_plugin; '
            f'c = torch.load({str(path)!r}, weights_only=True); '
            "print(c['message_hub']['log_scalars']['train/loss'].mean())")
    result = subprocess.run([sys.executable, '-c', code],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == '0.25'


def test_mmengine_reads_local_checkpoints_through_our_reader(
        bad_checkpoints, tmp_path):
    from mmengine.runner.checkpoint import _load_checkpoint

    from ratenet_plugin.fileio.checkpoint_file import CheckpointError

    with pytest.raises(CheckpointError, match='refused for safety'):
        _load_checkpoint(str(bad_checkpoints['malicious']))
    assert not bad_checkpoints['marker'].exists()
    with pytest.raises(CheckpointError, match='is truncated'):
        _load_checkpoint(str(bad_checkpoints['truncated']))
    path = tmp_path / 'ok.pth'
    torch.save(dict(state_dict=dict(w=torch.ones(2))), path)
    assert torch.equal(_load_checkpoint(str(path))['state_dict']['w'],
                       torch.ones(2))


def test_mmengine_writes_local_files_whole_or_not_at_all(tmp_path):
    """MMEngine's save_checkpoint, its JSON dump and CheckpointHook's
    last_checkpoint go through the local backend: a write that fails (a
    full disk; here bytes that are not bytes) leaves the earlier file as it
    was and no temporary file (MMEngine's own backend emptied it first)."""
    from mmengine.fileio import dump, get_file_backend
    from mmengine.runner.checkpoint import save_checkpoint
    save_checkpoint({'w': torch.ones(3)}, str(tmp_path / 'iter_1.pth'))
    dump({'SSIM': [0.8]}, str(tmp_path / 'metrics.json'))
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    backend = get_file_backend(str(tmp_path / 'iter_1.pth'))
    with pytest.raises(TypeError):
        backend.put(None, tmp_path / 'iter_1.pth')
    with pytest.raises(TypeError):
        backend.put_text(None, tmp_path / 'metrics.json')
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert torch.load(tmp_path / 'iter_1.pth')['w'].tolist() == [1, 1, 1]
