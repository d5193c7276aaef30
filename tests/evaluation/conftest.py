"""Fixtures for tests/evaluation: isolated caches, no network, random weights.

Pretrained networks cannot be downloaded here, so the tests save randomly
initialised networks in the upstream file formats and load them through the
real loading code. Their numbers are meaningless; the properties tested (zero
for identical inputs, monotone growth, counting, shapes) hold for any weights.
"""
import os
import socket
from pathlib import Path
from typing import Callable, Dict

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from mmagic.evaluation.functional.fid_inception import fid_inception_v3
from mmengine.registry import DefaultScope

from ratenet_plugin.evaluation.weights import (FID_INCEPTION, IS_INCEPTION,
                                               LPIPS_BACKBONES)
from tests.evaluation.evaluation_testing import random_images


@pytest.fixture(autouse=True)
def isolated_torch_home(tmp_path, monkeypatch) -> Path:
    """An empty torch hub cache per test: the real one is never read."""
    home = tmp_path / 'torch_home'
    monkeypatch.setenv('TORCH_HOME', str(home))
    return home


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any attempt to reach the network (a download) fails the test."""
    connect = socket.socket.connect

    def guarded_connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            raise RuntimeError(f'test tried to connect to {address}')
        return connect(sock, address)

    monkeypatch.setattr(socket.socket, 'connect', guarded_connect)


@pytest.fixture(autouse=True)
def mmagic_scope():
    """Build registered types as configs with default_scope='mmagic' do."""
    with DefaultScope.overwrite_default_scope('mmagic'):
        yield


def _calibrate_batch_norm(net: nn.Module) -> None:
    """Set BatchNorm statistics from a few random image-like inputs.

    A random Inception in eval mode (running mean 0, variance 1) lets
    activations vanish or explode over ~90 layers, and the softmax saturates;
    statistics of actual activations keep them O(1), as trained weights do.
    """
    for module in net.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.reset_running_stats()
            module.momentum = None  # cumulative average: this batch exactly
    images = random_images(3, 32, 22, seed=100)
    inputs = F.interpolate(images, size=(299, 299), mode='bicubic') / 127.5 - 1
    net.train()
    with torch.no_grad():
        net(inputs)
    net.eval()


@pytest.fixture(scope='session')
def weights_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp('random_weights')


def _once(path: Path, make: Callable[[], Dict[str, torch.Tensor]]) -> Path:
    if not path.exists():
        torch.manual_seed(0)
        torch.save(make(), path)
    return path


@pytest.fixture(scope='session')
def alexnet_file(weights_dir) -> Path:
    """torchvision AlexNet format; the classifier, which LPIPS ignores, is
    cut down to keep the file small."""

    def make():
        state = torchvision.models.alexnet(weights=None).features.state_dict()
        state = {f'features.{k}': v for k, v in state.items()}
        state['classifier.1.weight'] = torch.zeros(4, 4)
        return state

    return _once(weights_dir / LPIPS_BACKBONES['alex'].filename, make)


@pytest.fixture(scope='session')
def vgg16_file(weights_dir) -> Path:

    def make():
        features = torchvision.models.vgg16(weights=None).features
        return {f'features.{k}': v for k, v in features.state_dict().items()}

    return _once(weights_dir / LPIPS_BACKBONES['vgg'].filename, make)


@pytest.fixture(scope='session')
def fid_inception_file(weights_dir) -> Path:
    """pytorch-fid's pt_inception format (the full network with `fc`)."""

    def make():
        net = fid_inception_v3(load_ckpt=False)
        _calibrate_batch_norm(net)
        return net.state_dict()

    return _once(weights_dir / FID_INCEPTION.filename, make)


@pytest.fixture(scope='session')
def is_inception_file(weights_dir) -> Path:
    """torchvision inception_v3 format (with the auxiliary classifier)."""

    def make():
        net = torchvision.models.inception_v3(
            weights=None, aux_logits=True, init_weights=True)
        _calibrate_batch_norm(net)
        return net.state_dict()

    return _once(weights_dir / IS_INCEPTION.filename, make)


@pytest.fixture
def hub_cache(isolated_torch_home) -> Callable[..., Path]:
    """Put weight files into the test's torch hub cache (as symlinks)."""
    checkpoints = isolated_torch_home / 'hub' / 'checkpoints'

    def place(*files: Path) -> Path:
        checkpoints.mkdir(parents=True, exist_ok=True)
        for file in files:
            link = checkpoints / file.name
            if not link.exists():
                os.symlink(file, link)
        return checkpoints

    return place


@pytest.fixture
def all_weights_cached(hub_cache, alexnet_file, fid_inception_file,
                       is_inception_file) -> Path:
    """The torch hub cache holds every file the default protocol needs."""
    return hub_cache(alexnet_file, fid_inception_file, is_inception_file)
