"""Package names imported on first use (ratenet_plugin/utils/lazy.py)."""
import importlib

import pytest

import ratenet_plugin
import ratenet_plugin.models as models
import ratenet_plugin.models.editors as editors


def test_lazy_names_are_the_objects_of_their_modules():
    from ratenet_plugin.models.editors.pose_pix2pix import PosePix2Pix
    from ratenet_plugin.models.losses import VGG19PerceptualLoss

    assert models.VGG19PerceptualLoss is VGG19PerceptualLoss
    assert models.PosePix2Pix is PosePix2Pix is editors.PosePix2Pix
    assert ratenet_plugin.evaluation is importlib.import_module(
        'ratenet_plugin.evaluation')
    assert {'apis', 'evaluation', 'models', '__version__'} <= set(
        dir(ratenet_plugin))
    assert {'PosePix2Pix', 'RATENet'} <= set(dir(models))


def test_unknown_names_raise_attribute_error():
    with pytest.raises(AttributeError,
                       match="module 'ratenet_plugin' has no attribute "
                       "'nothing'"):
        ratenet_plugin.nothing  # noqa: B018
    assert not hasattr(models, 'nothing')
