"""Fixtures for tests/datasets: MMagic's scope, log capture, tiny data."""
import logging
from typing import List

import pytest
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope

from ratenet_plugin.datasets.synthetic import generate_synthetic_deepfashion
from tests.datasets.deepfashion_testing import SYNTHETIC


@pytest.fixture(autouse=True)
def mmagic_scope():
    """Build registered types as configs with default_scope='mmagic' do."""
    with DefaultScope.overwrite_default_scope('mmagic'):
        yield


class _ListHandler(logging.Handler):

    def __init__(self):
        super().__init__()
        self.messages: List[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture
def mmlogs():
    """Messages logged through MMEngine's current logger during a test."""
    logger = MMLogger.get_current_instance()
    handler = _ListHandler()
    logger.addHandler(handler)
    yield handler.messages
    logger.removeHandler(handler)


@pytest.fixture(scope='session')
def synthetic_root(tmp_path_factory):
    """A synthetic set at 64x44 (4 identities x 3 poses, 1 test identity)."""
    root = tmp_path_factory.mktemp('synthetic') / 'deepfashion'
    generate_synthetic_deepfashion(str(root), **SYNTHETIC)
    return root
