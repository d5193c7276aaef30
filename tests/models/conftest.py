"""Fixtures for tests/models: a tiny RATENet and a preprocessed batch."""
import pytest

from tests.models.ratenet_testing import build_model, raw_batch


@pytest.fixture
def model():
    return build_model()


@pytest.fixture
def batch(model):
    return model.data_preprocessor(raw_batch(), training=True)
