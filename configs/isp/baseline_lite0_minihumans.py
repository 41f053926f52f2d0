# The global re-ID baseline (GAP, BN-neck, label-smoothed CE + batch-hard triplet) on the
# ImageNet EfficientNet-Lite0 (its last MBConv stage: 320 channels, stride 32), otherwise
# baseline_r18_minihumans.py (24 epochs, Adam 1e-3, x0.1 at 18): the control of
# isp_lite0_minihumans.py, same backbone and schedule.
#   OMP_NUM_THREADS=1 python tools/train.py configs/isp/baseline_lite0_minihumans.py
_base_ = ['./baseline_r18_minihumans.py', '../_base_/models/efficientnet_lite0.py']
model = dict(
    channels_last=False,
    backbone={{_base_.lite0_backbone_last_stage}},
    head=dict(in_channels=320))
