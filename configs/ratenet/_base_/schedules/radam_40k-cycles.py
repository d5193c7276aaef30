# The paper's schedule (section 4.2): Rectified Adam, lr 1e-4 for all networks,
# constant for the first 10K cycles then linearly to 0; 40K cycles in all
# (= 200K updates with the 1-1-3 cycle). One runner iteration = one cycle.
num_cycles = 40000
constant_cycles = 10000
lr = 1e-4

train_cfg = dict(
    type='RATELoop',
    max_iters=num_cycles,
    # For each batch: update G_P with L1, update G_P + G_t with L2, update
    # D_S and D_A K=3 times.
    cycle=[('pose_transfer', 1), ('joint', 1), ('discriminator', 3)],
    val_interval=5000)
val_cfg = dict(type='MultiValLoop')
test_cfg = dict(type='MultiTestLoop')

# One optimiser per trainable network. RAdam's betas/eps are PyTorch's
# defaults (the paper gives none). foreach=True: PyTorch's multi-tensor
# step, its default on GPUs; on CPU it defaults to a loop over the tensors,
# which took 1.3 s per step for the 188M-parameter generator against 0.55 s
# (same arithmetic; docs/benchmarks.md).
radam = dict(type='RAdam', lr=lr, foreach=True)
optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    generator=dict(type='OptimWrapper', optimizer=radam),
    shape_discriminator=dict(type='OptimWrapper', optimizer=radam),
    appearance_discriminator=dict(type='OptimWrapper', optimizer=radam),
)

param_scheduler = [
    dict(
        type='ConstantLR',
        factor=1.0,
        begin=0,
        end=constant_cycles,
        by_epoch=False),
    dict(
        type='LinearLR',
        start_factor=1.0,
        end_factor=0.0,
        begin=constant_cycles,
        end=num_cycles,
        by_epoch=False),
]
