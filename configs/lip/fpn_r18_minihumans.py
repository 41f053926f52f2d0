# CPU quick-start config: MiniHumans (LIP format), half-width ResNet-18 (32 base channels, from
# scratch) -> FPN -> FPNHead, 160x160 crops, 1 process x 8 images, AdamW 2e-3 poly, 2500 iterations
# (~0.21 s each on 2 cores), OHEM on the pixels below 0.7 confidence (at least 8k per image).
# A narrower net for more steps beat the full-width one in the same ~9 min (README.md).
# python tools/train.py configs/lip/fpn_r18_minihumans.py
_base_ = [
    '../_base_/models/fpn_r18.py', '../_base_/datasets/minihumans_lip.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_80k.py'
]
crop_size = (160, 160)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(stem_channels=32, base_channels=32),
    neck=dict(in_channels=[32, 64, 128, 256]),
    decode_head=dict(sampler=dict(type='OHEMPixelSampler', thresh=0.7, min_kept=8000)))
max_iters = 2500
optimizer = dict(_delete_=True, type='AdamW', lr=2e-3, weight_decay=1e-4)
optim_wrapper = dict(optimizer=optimizer)
param_scheduler = [
    dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=0, end=max_iters, by_epoch=False),
]
# validate once, at the end; a checkpoint every 500 iterations (resume), the last two kept
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=500, max_keep_ckpts=2))
randomness = dict(seed=0)
env_cfg = dict(cudnn_benchmark=False)
