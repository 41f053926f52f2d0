# SCHP ResNet-101 on ATR (18 classes), 512x512 input: the model of the official checkpoint
# exp-schp-201908301523-atr.pth (ATR test mIoU 82.29 published).
# Convert, test, parse your images:
#   python tools/model_converters/schp2hpmm.py exp-schp-201908301523-atr.pth \
#       checkpoints/schp_r101_atr.pth --dataset atr
#   python tools/test.py configs/schp/schp_r101_atr.py checkpoints/schp_r101_atr.pth
#   python tools/infer.py configs/schp/schp_r101_atr.py checkpoints/schp_r101_atr.pth \
#       imgs/ --out-dir out/
# Flip test: --cfg-options model.test_cfg.flip=True (left/right labels swapped)
_base_ = [
    '../_base_/models/schp_r101.py', '../_base_/datasets/atr.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_80k.py'
]
crop_size = (512, 512)
data_preprocessor = dict(size=crop_size, test_cfg=dict(size=crop_size))
model = dict(data_preprocessor=data_preprocessor, decode_head=dict(num_classes=18))
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
