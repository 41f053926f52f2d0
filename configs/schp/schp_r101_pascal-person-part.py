# SCHP ResNet-101 on PASCAL-Person-Part (7 classes), 512x512 input: the model of the
# official checkpoint exp-schp-201908270938-pascal-person-part.pth (PPP val mIoU 71.46 published).
# Convert, test, parse your images:
#   python tools/model_converters/schp2hpmm.py exp-schp-201908270938-pascal-person-part.pth \
#       checkpoints/schp_r101_pascal-person-part.pth --dataset pascal-person-part
#   python tools/test.py configs/schp/schp_r101_pascal-person-part.py \
#       checkpoints/schp_r101_pascal-person-part.pth
#   python tools/infer.py configs/schp/schp_r101_pascal-person-part.py \
#       checkpoints/schp_r101_pascal-person-part.pth imgs/ --out-dir out/
# Flip test: --cfg-options model.test_cfg.flip=True (no left/right classes: no swap)
_base_ = [
    '../_base_/models/schp_r101.py', '../_base_/datasets/pascal_person_part.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_80k.py'
]
crop_size = (512, 512)
data_preprocessor = dict(size=crop_size, test_cfg=dict(size=crop_size))
model = dict(data_preprocessor=data_preprocessor, decode_head=dict(num_classes=7))
train_pipeline = [
    dict(type='LoadParsingImageFromFile'),
    dict(type='LoadParsingAnnotations'),
    dict(type='RandomResize', scale=crop_size, ratio_range=(0.75, 1.25), keep_ratio=True),
    dict(type='RandomRotate', prob=0.5, degree=30, pad_val=0, seg_pad_val=255),
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
