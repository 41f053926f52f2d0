# QANet's schedule (paper Sec. 4.1): Adam, base lr 2e-3, x0.1 at epochs 90 and 120, 140 epochs,
# batch 256 in all (set per GPU in the dataset part: GPUs x per-GPU batch = 256), no warm-up.
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=2e-3, weight_decay=0.0))
param_scheduler = [
    dict(type='MultiStepLR', milestones=[90, 120], gamma=0.1, begin=0, end=140, by_epoch=True)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=140, val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
log_processor = dict(by_epoch=False)  # log lines count iterations
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=True, interval=5, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
# the per-GPU lr is not rescaled: auto_scale_lr is off unless --auto-scale-lr is given
auto_scale_lr = dict(enable=False, base_batch_size=256)
