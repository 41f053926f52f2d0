# QANet on an ImageNet backbone, on CPU: EfficientNet-Lite0 with its packaged ImageNet weights
# (no download) + narrow FPN (64) + QANetHead (64 channels, IoU branch 2 x 64) on 96 x 128 (W x H)
# person crops of MiniHumans (CIHP layout, 1,200 training images), NHWC, 1 process x 8 crops,
# Adam 2e-3 x0.1 at 65 % / 85 % of 3,000 iterations. configs/qanet/README.md has the results.
# Generate the data first:
#   python tools/dataset_converters/generate_minihumans.py cihp data/minihumans/CIHP \
#       --num-train 1200 --num-val 100 --seed 0 --workers 2 --max-size 256
#   python tools/train.py configs/qanet/qanet_lite0_minihumans.py
_base_ = [
    '../_base_/models/qanet_lite0_fpn.py', '../_base_/datasets/minihumans_cihp_instance.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_80k.py'
]
model = dict(channels_last=True)
max_iters = 3000
optimizer = dict(_delete_=True, type='Adam', lr=2e-3)
optim_wrapper = dict(optimizer=optimizer)
param_scheduler = [
    dict(type='MultiStepLR', milestones=[1950, 2550], gamma=0.1, begin=0, end=max_iters,
         by_epoch=False)
]
# validate once, at the end; a checkpoint every 500 iterations (resume), the last two kept
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=500, max_keep_ckpts=2))
randomness = dict(seed=0)
