"""Helpers for tests on synthetic pairs (the fixture is in conftest.py)."""
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


