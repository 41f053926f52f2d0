# QANet (Yang et al., "Quality-Aware Network for Human Parsing"): ResNet-50c -> FPN -> semantic FPN
# (QANetHead: parsing branch + IoU branch), top-down on 512x384 person crops.
# soeaver/QANet cfgs/CIHP/QANet/QANet_R-50c_512x384_1x.yaml: ResNet-c (3x3x3 stem, stride on the
# 3x3 conv = mmseg ResNetV1c, 'pytorch' style), FPN and semantic FPN with BN, CE + Lovasz (weights 1),
# IoU branch 2 x 512, QAM weights (1.0, 0.5, 3.0), flip test.
norm_cfg = dict(type='SyncBN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],  # QANet PIXEL_MEANS (RGB, x255)
    std=[58.395, 57.12, 57.375],  # QANet PIXEL_STDS
    bgr_to_rgb=True,
    size_divisor=32,  # training batches of equal crops; images in a test batch must match in size
    pad_val=0,
    seg_pad_val=255)
model = dict(
    type='TopDownParser',
    data_preprocessor=data_preprocessor,
    pretrained='open-mmlab://resnet50_v1c',
    backbone=dict(
        type='ResNetV1c',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        dilations=(1, 1, 1, 1),
        strides=(1, 2, 2, 2),
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch',
        contract_dilation=True),
    neck=dict(
        type='FPN',
        in_channels=[256, 512, 1024, 2048],
        out_channels=256,
        num_outs=4,
        norm_cfg=norm_cfg),  # QANet FPN.NORM: "BN"
    decode_head=dict(
        type='QANetHead',
        in_channels=[256, 256, 256, 256],
        in_index=[0, 1, 2, 3],
        feature_strides=[4, 8, 16, 32],
        channels=256,  # FPN.PANOPTIC.CONV_DIM
        dropout_ratio=0.0,
        num_classes=20,
        norm_cfg=norm_cfg,  # FPN.PANOPTIC.NORM: "BN"
        align_corners=False,
        iou_num_convs=2,
        iou_channels=512,
        loss_iou_weight=1.0,
        loss_decode=[
            dict(type='CrossEntropyLoss', use_sigmoid=False, avg_non_ignore=True,
                 loss_weight=1.0, loss_name='loss_ce'),
            dict(type='LovaszLoss', loss_type='multi_class', classes='present', per_image=True,
                 reduction='mean', loss_weight=1.0, loss_name='loss_lovasz'),
        ]),
    train_cfg=dict(),
    test_cfg=dict(
        mode='whole',
        flip=True,
        pixel_score_thr=0.2,
        input_size=(384, 512),  # (W, H) of the person crops
        bbox_padding=1.25,
        # QANet's post-processing (hp_mm.models.utils.qanet_post_process): the first ranking is
        # the model's (QAM, paper Table 1 (h)); box only ("QAM off") and pixel only are the extra
        # rankings of the evaluation table (Table 1 (a), (c))
        score_variants=dict(qam=(1.0, 0.5, 3.0), box=(1.0, 0.0, 0.0), pixel=(0.0, 0.0, 1.0)),
        score_thr=0.01,  # PARSING.SCORE_THRESH
        parsing_nms_thr=0.6,  # PARSING.PARSING_NMS_TH
        semseg_score_thr=0.3,  # PARSING.SEMSEG_SCORE_THRESH (CIHP)
        semseg_order='box'))
