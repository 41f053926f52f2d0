# CIHP, instance view for top-down multi-person parsers (QANet). Layout:
#   data/CIHP/instance-level_human_parsing/{Training,Validation}/
#     {Images,Category_ids,Human_ids}/<id>.*
#   data/CIHP/instance-level_human_parsing/annotations/CIHP_{train,val}.json  (QANet's COCO json
#   with parsing_id; an id list such as Training/train_id.txt also works: persons from Human_ids)
# Training: one sample per person (data_mode='person'), QANet's augmentation (qanet/core/config.py:
# TRAIN.SCALE_FACTOR 0.3, TRAIN.ROT_FACTOR 40; lib/data/structures/instance.py: rotate with p=0.6,
# box padding 1.25; lib/data/transforms/transforms.py: flip with p=0.5).
# Evaluation: one sample per image (data_mode='image') with GT boxes; for detector boxes set
#   --cfg-options val_dataloader.dataset.bbox_file=work_dirs/<det>/cihp_val.bbox.json
# (mmdet CocoMetric format_only output; image ids = this json's image ids).
dataset_type = 'CIHPInstanceDataset'
data_root = 'data/CIHP/instance-level_human_parsing'
input_size = (384, 512)  # (W, H), QANet TRAIN.SCALES ([384, 512],)
train_meta_keys = ('img_path', 'seg_map_path', 'ori_shape', 'img_shape', 'flip', 'flip_direction',
                   'reduce_zero_label', 'input_size', 'input_center', 'input_scale',
                   'input_rotation', 'parsing_id', 'flip_pairs', 'num_classes')
train_pipeline = [
    dict(type='LoadParsingImageFromFile'),
    dict(type='LoadPersonParsingAnnotation'),
    dict(type='PersonBBoxCenterScale', input_size=input_size, padding=1.25),
    dict(type='PersonRandomFlip', prob=0.5),
    dict(type='PersonRandomScaleRotate', scale_factor=0.3, rotate_factor=40, rotate_prob=0.6),
    dict(type='PersonAffine', input_size=input_size),
    dict(type='PackSegInputs', meta_keys=train_meta_keys),
]
test_pipeline = [
    dict(type='LoadParsingImageFromFile'),
    dict(type='LoadMultiPersonAnnotations'),
    dict(type='PackMultiPersonParsingInputs'),
]
train_dataloader = dict(
    batch_size=12,  # QANet: TRAIN.BATCH_SIZE 96 in all, i.e. 12 per GPU on 8 GPUs
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/CIHP_train.json',
        data_prefix=dict(img_path='Training/Images', seg_map_path='Training/Category_ids',
                         human_map_path='Training/Human_ids'),
        data_mode='person',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/CIHP_val.json',
        data_prefix=dict(img_path='Validation/Images', seg_map_path='Validation/Category_ids',
                         human_map_path='Validation/Human_ids'),
        data_mode='image',
        bbox_file=None,
        bbox_score_thr=0.0,
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='MultiHumanParsingMetric')
test_evaluator = val_evaluator
