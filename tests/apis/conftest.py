"""Shared fixtures for tests/apis: a real photo, one MediaPipe graph, and a
randomly initialised tiny model with its inferencer."""
import numpy as np
import pytest
from skimage import data

from ratenet_plugin.apis import RATENetInferencer
from tests.apis.inference_testing import save_random_checkpoint, tiny_config


@pytest.fixture(scope='session')
def astronaut() -> np.ndarray:
    """scikit-image's astronaut photo, uint8 (512, 512, 3) RGB."""
    return data.astronaut()


@pytest.fixture(scope='session')
def extractor():
    from ratenet_plugin.apis import PoseExtractor

    with PoseExtractor() as pose_extractor:
        yield pose_extractor


@pytest.fixture(scope='session')
def astronaut_keypoints(astronaut, extractor) -> np.ndarray:
    return extractor(astronaut)


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory) -> str:
    """A randomly initialised tiny model, saved like MMEngine does."""
    return save_random_checkpoint(
        tiny_config(), str(tmp_path_factory.mktemp('ckpt') / 'tiny.pth'))


@pytest.fixture(scope='module')
def inferencer(checkpoint):
    """The inferencer of :func:`checkpoint` with :func:`tiny_config`."""
    inferencer = RATENetInferencer(tiny_config(), checkpoint)
    yield inferencer
    inferencer.close()
