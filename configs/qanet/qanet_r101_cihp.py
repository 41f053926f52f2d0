# QANet, ResNet-101c + semantic FPN, CIHP (8 GPUs x 32, 140 epochs).
_base_ = ['./qanet_r50_cihp.py']
model = dict(pretrained='open-mmlab://resnet101_v1c', backbone=dict(depth=101))
