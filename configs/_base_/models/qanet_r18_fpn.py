# A tiny QANet for CPU runs on MiniHumans: ResNet-18 (from scratch) -> narrow FPN (64) -> QANetHead
# (64 channels, IoU branch 2 x 64). Same losses and scores as qanet_r50_fpn.py; crops of 96 x 128
# (W x H) as configs/_base_/datasets/minihumans_cihp_instance.py (test_cfg.input_size must equal the
# training pipeline's crop size).
_base_ = ['./qanet_r50_fpn.py']
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    pretrained=None,
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=18,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch'),
    neck=dict(in_channels=[64, 128, 256, 512], out_channels=64, norm_cfg=norm_cfg),
    decode_head=dict(
        in_channels=[64, 64, 64, 64],
        channels=64,
        norm_cfg=norm_cfg,
        iou_channels=64),
    test_cfg=dict(input_size=(96, 128)))
