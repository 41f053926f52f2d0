# The global re-ID baseline of reid_global_r50.py on an ImageNet ResNet-18 (last stride 1, GAP,
# BN-neck on its 512-channel map, label-smoothed CE + batch-hard triplet).
_base_ = ['./reid_global_r50.py']
model = dict(
    pretrained='torchvision://resnet18', backbone=dict(depth=18), head=dict(in_channels=512))
