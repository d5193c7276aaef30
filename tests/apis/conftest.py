"""Shared fixtures for tests/apis: a real photo and one MediaPipe graph."""
import numpy as np
import pytest
from skimage import data


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
