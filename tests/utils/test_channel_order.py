"""The channel order of generated samples: one rule for metrics, grids and
the inferencer, on DataSamples and on the dicts metrics receive."""
import numpy as np
import torch
from mmagic.structures import DataSample

from ratenet_plugin.utils.channel_order import as_rgb, rgb_uint8

IMAGE = torch.tensor([10., 20., 30.]).view(3, 1, 1)


def test_the_stated_order_decides_for_dicts_and_datasamples():
    stated = DataSample()
    stated.set_metainfo(dict(channel_order='BGR'))
    for sample in (dict(channel_order='BGR'), stated):
        assert as_rgb(IMAGE, sample).flatten().tolist() == [30., 20., 10.]
    for sample in (dict(channel_order='RGB'), {}, DataSample()):
        assert as_rgb(IMAGE, sample).flatten().tolist() == [10., 20., 30.]


def test_mmagic_editors_samples_are_bgr_without_a_stated_order():
    """MMagic's DataPreprocessor tags its samples <key>_output_channel_order
    and hands evaluators BGR: as a DataSample (metainfo) and as a dict."""
    tagged = DataSample()
    tagged.set_metainfo(dict(gt_output_channel_order='bgr'))
    for sample in (tagged, tagged.to_dict()):
        assert as_rgb(IMAGE, sample).flatten().tolist() == [30., 20., 10.]
    picture = rgb_uint8(IMAGE, tagged)
    assert picture.dtype == np.uint8 and picture.tolist() == [[[30, 20, 10]]]
