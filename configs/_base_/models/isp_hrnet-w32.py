# ISP (Zhu et al., ECCV 2020) on HRNet-W32 (the paper's best backbone, official scripts):
# mmseg HRNet-W32 (ImageNet) -> one Bottleneck per branch (to 128/256/512/1024 channels), upsampled
# to the 1/4 map and concatenated (1920) -> 1x1 conv + BN + ReLU to 256 channels -> spatial
# attention = M_g (256 x 64 x 32 for a 256 x 128 input). Part classifier: 1x1 conv to K classes
# (background + K-1 parts; K = model.part_head.num_classes, paper Table 4: 4..8), parsing loss
# weight 0.1. Global / foreground / concatenated part features each: BN-neck + label-smoothed CE
# (eps 0.1) and batch-hard triplet (margin 0.3, official SOLVER.MARGIN) on the pre-BN feature.
data_preprocessor = dict(
    type='ImgDataPreprocessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True)
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    type='ISPReID',
    data_preprocessor=data_preprocessor,
    pretrained='open-mmlab://msra/hrnetv2_w32',
    backbone=dict(
        type='HRNet',
        norm_cfg=norm_cfg,
        norm_eval=False,
        extra=dict(
            stage1=dict(num_modules=1, num_branches=1, block='BOTTLENECK', num_blocks=(4, ),
                        num_channels=(64, )),
            stage2=dict(num_modules=1, num_branches=2, block='BASIC', num_blocks=(4, 4),
                        num_channels=(32, 64)),
            stage3=dict(num_modules=4, num_branches=3, block='BASIC', num_blocks=(4, 4, 4),
                        num_channels=(32, 64, 128)),
            stage4=dict(num_modules=3, num_branches=4, block='BASIC', num_blocks=(4, 4, 4, 4),
                        num_channels=(32, 64, 128, 256)))),
    neck=dict(
        type='ISPNeck',
        in_channels=[32, 64, 128, 256],
        incre_channels=[32, 64, 128, 256],
        out_channels=256,
        spatial_attention=True,
        norm_cfg=norm_cfg),
    part_head=dict(
        type='ISPPartHead',
        num_classes=7,
        loss_parsing=dict(type='CrossEntropyLoss', avg_non_ignore=True, loss_weight=0.1,
                          loss_name='loss_parsing')),
    reid_head=dict(
        type='BNNeckHead',
        num_classes=751,  # training identities; DatasetMetaHook checks it
        loss_cls=dict(type='LabelSmoothCrossEntropyLoss', epsilon=0.1, loss_weight=1.0),
        loss_triplet=dict(type='mmdet.TripletLoss', margin=0.3, loss_weight=1.0),
        triplet_on='pre_bn',
        test_feature='post_bn'),
    global_feature='reduced')
