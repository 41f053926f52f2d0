# QANet on CPU: half-width ResNet-18 (32 base channels, from scratch) + narrow FPN (64) + QANetHead
# (64 channels, IoU branch 2 x 64) on 96 x 128 (W x H) person crops of MiniHumans (CIHP layout),
# 1 process x 8 crops, Adam 2e-3 x0.1 at 65% / 85% of 4,000 iterations (QANet's 90 / 120 of 140
# epochs), ~8 epochs of the 2,055 training persons. configs/qanet/README.md has the results and the
# comparison with the full-width ResNet-18 / 2,000 iterations (mIoU 23.9 -> 34.0, GT boxes).
# ~15 min on 2 idle cores (0.22 s / iteration); on a shared machine run it with
# OMP_NUM_THREADS=1 (2 threads on an oversubscribed CPU were 15-25x slower here).
# Generate the data first:
#   python tools/dataset_converters/generate_minihumans.py cihp data/minihumans/CIHP \
#       --num-train 600 --num-val 100 --seed 0 --workers 2 --max-size 256
#   python tools/train.py configs/qanet/qanet_r18_minihumans.py
_base_ = [
    '../_base_/models/qanet_r18_fpn.py', '../_base_/datasets/minihumans_cihp_instance.py',
    '../_base_/default_runtime.py'
]
model = dict(
    backbone=dict(stem_channels=32, base_channels=32),
    neck=dict(in_channels=[32, 64, 128, 256]))
max_iters = 4000
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=2e-3))
param_scheduler = [
    dict(type='MultiStepLR', milestones=[2600, 3400], gamma=0.1, begin=0, end=max_iters,
         by_epoch=False)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=500, max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
randomness = dict(seed=0)
