# CPU person detector for MiniHumans in CIHP's format: FCOS with a half-width ResNet-18 (base 32
# channels) trained from scratch, a narrow FPN (64) and a light head (2 x 64 convs), images at most
# 256 px (MiniHumans' CIHP images already are), 1 process x 8 images, AdamW, 24 epochs (~11 min on
# 2 idle cores; 38.0 box AP on the MiniHumans val images, see README.md).
# A plain mmdet config (default_scope='mmdet'); the data of
# configs/_base_/datasets/minihumans_cihp_instance.py:
#   python tools/dataset_converters/generate_minihumans.py cihp data/minihumans/CIHP \
#       --num-train 600 --num-val 100 --workers 2
#   nice -n 19 python tools/train.py configs/qanet/detectors/fcos_r18_fpn_minihumans-cihp.py
# Boxes of the val images for the parser (mmdet CocoMetric format_only ->
# work_dirs/fcos_r18_fpn_minihumans-cihp/cihp_val.bbox.json):
#   python tools/test.py configs/qanet/detectors/fcos_r18_fpn_minihumans-cihp.py \
#       work_dirs/fcos_r18_fpn_minihumans-cihp/epoch_24.pth --cfg-options \
#       test_evaluator.format_only=True \
#       test_evaluator.outfile_prefix=work_dirs/fcos_r18_fpn_minihumans-cihp/cihp_val
_base_ = 'mmdet::fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.py'

data_root = 'data/minihumans/CIHP/instance-level_human_parsing/'
metainfo = dict(classes=('person', ), palette=[(220, 20, 60)])
img_scale = (256, 256)  # longer side <= 256, aspect ratio kept

model = dict(
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(
        depth=18,
        base_channels=32,
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch',
        init_cfg=None),
    neck=dict(in_channels=[32, 64, 128, 256], out_channels=64),
    bbox_head=dict(num_classes=1, in_channels=64, feat_channels=64, stacked_convs=2),
    test_cfg=dict(score_thr=0.05, nms=dict(type='nms', iou_threshold=0.6), max_per_img=50))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='RandomResize', scale=img_scale, ratio_range=(0.8, 1.2), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]
train_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    dataset=dict(
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations/CIHP_train.json',
        data_prefix=dict(img='Training/Images/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=4),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=1,
    dataset=dict(
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations/CIHP_val.json',
        data_prefix=dict(img='Validation/Images/'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/CIHP_val.json')
test_evaluator = val_evaluator

max_epochs = 24
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-3, weight_decay=1e-4),
    clip_grad=dict(max_norm=35, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=100),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-5, begin=0, end=max_epochs,
         by_epoch=True, convert_to_iter_based=True)
]
default_hooks = dict(
    logger=dict(interval=25),
    checkpoint=dict(interval=max_epochs, max_keep_ckpts=1))
env_cfg = dict(cudnn_benchmark=False)
randomness = dict(seed=0)
auto_scale_lr = dict(enable=False, base_batch_size=8)
