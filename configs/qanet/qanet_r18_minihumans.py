# QANet on CPU: half-width ResNet-18 (32 base channels, from scratch) + narrow FPN (64) + QANetHead
# (64 channels, IoU branch 2 x 64) on 96 x 128 (W x H) person crops of MiniHumans (CIHP layout, 1,200
# training images, ~4,000 persons), NHWC convolutions, 1 process x 8 crops, Adam 2e-3 x0.1 at 65% / 85%
# of 5,000 iterations (QANet's 90 / 120 of 140 epochs), ~10 epochs of the training persons.
# configs/qanet/README.md has the results and the schedules tried (mIoU 23.9 -> 34.0 -> 37.4, GT boxes).
# ~17 min on 2 idle cores (0.20 s / iteration); on a shared machine run it with
# OMP_NUM_THREADS=1 (2 threads on an oversubscribed CPU were 15-25x slower here).
# Generate the data first:
#   python tools/dataset_converters/generate_minihumans.py cihp data/minihumans/CIHP \
#       --num-train 1200 --num-val 100 --seed 0 --workers 2 --max-size 256
#   python tools/train.py configs/qanet/qanet_r18_minihumans.py
_base_ = [
    '../_base_/models/qanet_r18_fpn.py', '../_base_/datasets/minihumans_cihp_instance.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_80k.py'
]
model = dict(
    channels_last=True,
    backbone=dict(stem_channels=32, base_channels=32),
    neck=dict(in_channels=[32, 64, 128, 256]))
max_iters = 5000
optimizer = dict(_delete_=True, type='Adam', lr=2e-3)
optim_wrapper = dict(optimizer=optimizer)
param_scheduler = [
    dict(type='MultiStepLR', milestones=[3250, 4250], gamma=0.1, begin=0, end=max_iters,
         by_epoch=False)
]
# validate once, at the end; a checkpoint every 500 iterations (resume), the last two kept
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=500, max_keep_ckpts=2))
randomness = dict(seed=0)
