# The global re-ID baseline (GAP, BN-neck, label-smoothed CE + batch-hard triplet) on the
# ImageNet EfficientNet-Lite0 (its last MBConv stage: 320 channels, stride 32), otherwise
# baseline_r18_minihumans.py (24 epochs, Adam 1e-3, x0.1 at 18): the control of
# isp_lite0_minihumans.py, same backbone and schedule.
#   OMP_NUM_THREADS=1 python tools/train.py configs/isp/baseline_lite0_minihumans.py
_base_ = ['./baseline_r18_minihumans.py']
model = dict(
    channels_last=False,
    backbone=dict(
        _delete_=True,
        type='EfficientNetLite',
        arch='lite0',
        out_indices=(6, ),
        norm_cfg=dict(type='BN', eps=1e-3, requires_grad=True),
        norm_eval=False,
        init_cfg=dict(type='Pretrained', checkpoint='efficientnet-lite://lite0')),
    head=dict(in_channels=320))
