# QANet on HRNet-W48, the model of soeaver/QANet cfgs/CIHP/QANet/QANet_H-W48_512x384_1x.yaml:
# no FPN neck (FPN.PANOPTIC.USE_FPN False), the semantic-FPN head (PFPN) of qanet_r50_fpn.py
# straight on the four HRNet branches (48/96/192/384 channels at strides 4/8/16/32), HRNet fuse
# layers upsampling with nearest (lib/backbone/hrnet.py StageModule), IoU branch 2 x 512; losses
# and scores as qanet_r50_fpn.py.
_base_ = ['./qanet_r50_fpn.py']
model = dict(
    pretrained='open-mmlab://msra/hrnetv2_w48',
    backbone=dict(
        _delete_=True,
        type='NearestFuseHRNet',
        upsample_mode='nearest',
        norm_cfg={{_base_.norm_cfg}},
        norm_eval=False,
        extra=dict(
            stage1=dict(num_modules=1, num_branches=1, block='BOTTLENECK', num_blocks=(4, ),
                        num_channels=(64, )),
            stage2=dict(num_modules=1, num_branches=2, block='BASIC', num_blocks=(4, 4),
                        num_channels=(48, 96)),
            stage3=dict(num_modules=4, num_branches=3, block='BASIC', num_blocks=(4, 4, 4),
                        num_channels=(48, 96, 192)),
            stage4=dict(num_modules=3, num_branches=4, block='BASIC', num_blocks=(4, 4, 4, 4),
                        num_channels=(48, 96, 192, 384)))),
    neck=None,
    decode_head=dict(in_channels=[48, 96, 192, 384]))
