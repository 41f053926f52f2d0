# CPU quick-start config: MiniHumans (LIP format, 4,000 training images), half-width ResNet-18
# (32 base channels, from scratch) -> FPN -> FPNHead, 160x160 crops, 1 process x 8 images, NHWC
# (channels_last: ~18 % faster convolutions on CPU), AdamW 2e-3 poly, 3,000 iterations (~0.17 s each
# on 2 cores), OHEM on the pixels below 0.7 confidence (at least 8k per image) with class-weighted
# cross-entropy. README.md has the measured run and what was tried.
# python tools/train.py configs/lip/fpn_r18_minihumans.py
_base_ = [
    '../_base_/models/fpn_r18.py', '../_base_/datasets/minihumans_lip.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_80k.py'
]
crop_size = (160, 160)
# sqrt of median-frequency balancing, w_c = (median_k f_k / f_c) ** 0.5, from the class pixel
# frequencies f_c of the generated training set (background 68.6 %, sunglasses 0.08 %, ...)
class_weight = [
    0.12, 1.40, 0.64, 1.34, 3.46, 0.35, 0.59, 0.44, 2.02, 0.52, 0.55, 1.61, 1.04, 0.97, 0.82, 0.83,
    1.52, 1.51, 1.75, 1.75
]
model = dict(
    data_preprocessor=dict(size=crop_size),
    channels_last=True,
    backbone=dict(stem_channels=32, base_channels=32),
    neck=dict(in_channels=[32, 64, 128, 256]),
    decode_head=dict(
        sampler=dict(type='OHEMPixelSampler', thresh=0.7, min_kept=8000),
        loss_decode=dict(
            _delete_=True, type='ClassWeightedCrossEntropyLoss', class_weight=class_weight)))
max_iters = 3000
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
