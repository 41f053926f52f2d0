# QANet on the ImageNet-pretrained EfficientNet-Lite0 (packaged weights, no download) -> narrow FPN (64)
# -> QANetHead (64 channels, IoU branch 2 x 64). Same losses and scores as qanet_r50_fpn.py.
_base_ = ['./qanet_r50_fpn.py', './efficientnet_lite0.py']
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    pretrained=None,
    backbone={{_base_.lite0_backbone}},
    neck=dict(in_channels=[24, 40, 112, 320], out_channels=64, norm_cfg=norm_cfg),
    decode_head=dict(
        in_channels=[64, 64, 64, 64],
        channels=64,
        norm_cfg=norm_cfg,
        iou_channels=64),
    test_cfg=dict(input_size=(96, 128)))
