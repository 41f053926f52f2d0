# QANet on ResNet-101c (ImageNet): qanet_r50_fpn.py at depth 101 (soeaver/QANet
# cfgs/CIHP/QANet/QANet_R-101c_512x384_1x.yaml), FPN, head and scores unchanged.
_base_ = ['./qanet_r50_fpn.py']
model = dict(pretrained='open-mmlab://resnet101_v1c', backbone=dict(depth=101))
