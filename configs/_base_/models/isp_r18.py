# ISP with a ResNet-18 backbone: isp_r50.py's UpsampleResNet at depth 18 (ImageNet ResNet-18, last
# stage at stride 1, its 512-channel map upsampled to the 1/4 map), ISP's neck and heads unchanged.
_base_ = ['./isp_r50.py']
model = dict(
    pretrained='torchvision://resnet18', backbone=dict(depth=18), neck=dict(in_channels=[512]))
