"""Helpers for tests on synthetic pairs (the fixture is in conftest.py)."""
from typing import Callable, Iterable

from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from ratenet_plugin.analysis.colour_transfer import (LabelledBatch,
                                                     labelled_batches)
from ratenet_plugin.registry import MODELS
from tests.apis.inference_testing import tiny_config

FRAME = (64, 44)


def synthetic_pairs_config(root):
    """A tiny model's config whose test set is the synthetic set at
    ``root`` (its pairs in file order, batches of 4)."""
    cfg = tiny_config()
    cfg.test_dataloader = dict(
        batch_size=4,
        num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dict(
            type='DeepFashionPoseDataset',
            data_root=str(root),
            ann_file='fasion-resize-annotation-test.csv',
            pairs_file='fasion-resize-pairs-test.csv',
            data_prefix=dict(img='test'),
            keypoint_frame=FRAME,
            test_mode=True,
            pipeline=[
                dict(type='LoadPosePairFromFile'),
                dict(type='GeneratePoseHeatmap'),
                dict(type='PackPoseInputs'),
            ]))
    return cfg




def synthetic_labelled_batches(
        root) -> Callable[[], Iterable[LabelledBatch]]:
    """A callable that gives the test pairs of the synthetic set at ``root``
    through a tiny model's data preprocessor, with their garment labels
    (a new pass over the pairs per call)."""
    cfg = synthetic_pairs_config(root)
    init_default_scope('mmagic')
    model = MODELS.build(cfg.model)
    loader = Runner.build_dataloader(cfg.test_dataloader)
    return lambda: labelled_batches(model, loader)
