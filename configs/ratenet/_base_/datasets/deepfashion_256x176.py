# DeepFashion In-shop with PATN's split: 101,966 train / 8,570 test pairs,
# images 176 wide x 256 high, 18 OpenPose keypoints (COCO-18 order).
# Prepare with tools/prepare_deepfashion.py (docs/data.md).
dataset_type = 'DeepFashionPoseDataset'
data_root = 'data/deepfashion'
image_size = (256, 176)  # (H, W)

train_pipeline = [
    dict(type='LoadPosePairFromFile'),
    # Gaussian heatmaps, sigma 6 px at 256 px height (PATN), kept as floats.
    dict(type='GeneratePoseHeatmap', sigma=6.0),
    dict(type='PackPoseInputs'),
]
test_pipeline = train_pipeline

train_dataloader = dict(
    batch_size=7,  # the paper gives none; PATN's batch size
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,  # page-locked batches: asynchronous GPU copies
    # Stack the batch in the workers (one tensor per key, one copy each to
    # the GPU) instead of in the training process (docs/benchmarks.md).
    collate_fn=dict(type='default_collate'),
    sampler=dict(type='ResumableInfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='fasion-resize-annotation-train.csv',
        pairs_file='fasion-resize-pairs-train.csv',
        data_prefix=dict(img='train'),
        keypoint_frame=image_size,
        pipeline=train_pipeline))

test_dataset = dict(
    type=dataset_type,
    data_root=data_root,
    ann_file='fasion-resize-annotation-test.csv',
    pairs_file='fasion-resize-pairs-test.csv',
    data_prefix=dict(img='test'),
    keypoint_frame=image_size,
    test_mode=True,
    pipeline=test_pipeline)
test_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,  # page-locked batches: asynchronous GPU copies
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=test_dataset)

# Validation during training on the first 1,000 test pairs (the full 8,570
# in tools/test.py).
val_dataloader = dict(test_dataloader, dataset=dict(test_dataset, indices=1000))
