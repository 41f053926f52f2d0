# ISP on Market-1501 with ResNet-50 (paper Table 6: the ResNet variant, last stage at stride 1,
# final map bilinearly upsampled to the 1/4 map; Table 6 reports it on DukeMTMC-reID: R1 88.7,
# mAP 78.9 vs 89.6 / 80.0 for HRNet-W32). Everything else as isp_hrnet-w32_market1501.py.
_base_ = ['./isp_hrnet-w32_market1501.py']
model = dict(
    pretrained='torchvision://resnet50',
    backbone=dict(
        _delete_=True,
        type='UpsampleResNet',
        depth=50,
        strides=(1, 2, 2, 1),
        out_indices=(3, ),
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False),
    neck=dict(in_channels=[2048], incre_channels=None))
