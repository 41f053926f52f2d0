# CPU quick-start config: MiniHumans (LIP format), ResNet-18 semantic FPN from scratch,
# 160x160 crops, 1 process x 8 images, AdamW 2e-3 poly, 1000 iterations (~8 min on 2 cores).
# python tools/train.py configs/lip/fpn_r18_minihumans.py
_base_ = [
    '../_base_/models/fpn_r18.py', '../_base_/datasets/minihumans_lip.py',
    '../_base_/default_runtime.py'
]
crop_size = (160, 160)
model = dict(data_preprocessor=dict(size=crop_size))
max_iters = 1000
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='AdamW', lr=2e-3, weight_decay=1e-4))
param_scheduler = [
    dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=0, end=max_iters, by_epoch=False),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=250, max_keep_ckpts=4),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
randomness = dict(seed=0)
env_cfg = dict(cudnn_benchmark=False)
