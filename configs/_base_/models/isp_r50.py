# ISP with a ResNet-50 backbone (paper Table 6, the ResNet variant): ImageNet ResNet-50 with the
# last stage at stride 1, its map (2048 channels, 1/16) bilinearly upsampled to the 1/4 map
# (UpsampleResNet), then ISP's neck and heads as isp_hrnet-w32.py: one 1x1 conv + BN + ReLU to
# 256 channels (no per-branch Bottleneck: a single input) -> M_g, part classifier, three BN-necks.
_base_ = ['./isp_hrnet-w32.py']
model = dict(
    pretrained='torchvision://resnet50',
    backbone=dict(
        _delete_=True,
        type='UpsampleResNet',
        depth=50,
        strides=(1, 2, 2, 1),
        out_indices=(3, ),
        norm_cfg={{_base_.norm_cfg}},
        norm_eval=False),
    neck=dict(in_channels=[2048], incre_channels=None))
