# SSL step 1 (LIP paper Sec. 5): the baseline parser, ResNet-50-D8 + DeepLabV2-style ASPP,
# cross-entropy. 321x321 crops as the paper, 4 GPUs x 4 images, SGD 0.01 poly, 80k iterations.
_base_ = [
    '../_base_/models/deeplabv2_r50-d8.py', '../_base_/datasets/lip.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_80k.py'
]
crop_size = (321, 321)
data_preprocessor = dict(size=crop_size)
model = dict(data_preprocessor=data_preprocessor)
# LIP's pipelines at 321x321, without the random rotation
train_pipeline = [
    dict(type='LoadParsingImageFromFile'),
    dict(type='LoadParsingAnnotations'),
    dict(type='RandomResize', scale=crop_size, ratio_range=(0.75, 1.25), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=1.0),
    dict(type='ParsingRandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs', meta_keys={{_base_.meta_keys}}),
]
test_pipeline = [
    dict(type='LoadParsingImageFromFile'),
    dict(type='Resize', scale=crop_size, keep_ratio=True),
    dict(type='LoadParsingAnnotations'),
    dict(type='PackSegInputs', meta_keys={{_base_.meta_keys}}),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
