# A tiny variant of configs/lip/fpn_r18_minihumans.py for tests: 64x64 crops, batch 2, no workers,
# 6 iterations with checkpoints every 3. The data root is set by the tests (--cfg-options).
_base_ = ['../../configs/lip/fpn_r18_minihumans.py']
crop_size = (64, 64)
meta_keys = ('img_path', 'seg_map_path', 'ori_shape', 'img_shape', 'pad_shape', 'scale_factor',
             'flip', 'flip_direction', 'reduce_zero_label', 'flip_pairs', 'attributes')
train_pipeline = [
    dict(type='LoadParsingImageFromFile'),
    dict(type='LoadParsingAnnotations'),
    dict(type='RandomResize', scale=crop_size, ratio_range=(0.8, 1.2), keep_ratio=True),
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
model = dict(data_preprocessor=dict(size=crop_size))
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=1, num_workers=0, persistent_workers=False,
                      dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
max_iters = 6
param_scheduler = [dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=0, end=max_iters,
                        by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=3), logger=dict(interval=1))
