# SSL step 1 (LIP paper Sec. 5): the baseline parser, ResNet-50-D8 + DeepLabV2-style ASPP, cross-entropy.
# 321x321 crops as the paper, 4 GPUs x 4 images, SGD 0.01 poly, 80k iterations.
_base_ = ['../lip/deeplabv3_r50-d8_lip.py']
crop_size = (321, 321)
meta_keys = ('img_path', 'seg_map_path', 'ori_shape', 'img_shape', 'pad_shape', 'scale_factor',
             'flip', 'flip_direction', 'reduce_zero_label', 'flip_pairs', 'attributes')
train_pipeline = [
    dict(type='LoadParsingImageFromFile'),
    dict(type='LoadParsingAnnotations'),
    dict(type='RandomResize', scale=crop_size, ratio_range=(0.75, 1.25), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=1.0),
    dict(type='ParsingRandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs', meta_keys=meta_keys),
]
test_pipeline = [
    dict(type='LoadParsingImageFromFile'),
    dict(type='Resize', scale=crop_size, keep_ratio=True),
    dict(type='LoadParsingAnnotations'),
    dict(type='PackSegInputs', meta_keys=meta_keys),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
model = dict(
    data_preprocessor=dict(size=crop_size),
    decode_head=dict(
        _delete_=True,
        type='ASPPV2Head',
        in_channels=2048,
        in_index=3,
        channels=512,
        dilations=(6, 12, 18, 24),
        dropout_ratio=0.1,
        num_classes=20,
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)))
