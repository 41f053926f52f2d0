# MiniHumans in the LIP layout (generate it first):
#   python tools/dataset_converters/generate_minihumans.py lip data/minihumans/LIP --num-train 4000 --num-val 100
# Same reader (LIPDataset) and layout as the real LIP, small images for CPU training.
_base_ = ['./lip.py']
data_root = 'data/minihumans/LIP'
crop_size = (160, 160)
train_pipeline = [
    dict(type='LoadParsingImageFromFile'),
    dict(type='LoadParsingAnnotations'),
    dict(type='RandomResize', scale=crop_size, ratio_range=(0.8, 1.2), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=1.0),
    dict(type='ParsingRandomFlip', prob=0.5),
    # no PhotoMetricDistortion: hue/saturation jitter erases the skin-vs-clothes colour cue that a
    # 1k-iteration CPU run relies on
    dict(type='PackSegInputs', meta_keys={{_base_.meta_keys}}),
]
test_pipeline = [
    dict(type='LoadParsingImageFromFile'),
    dict(type='Resize', scale=crop_size, keep_ratio=True),
    dict(type='LoadParsingAnnotations'),
    dict(type='PackSegInputs', meta_keys={{_base_.meta_keys}}),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=1,  # one loader process keeps up; more steal the 2 cores from the model
    persistent_workers=True,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,  # mmseg tests equal-size batches only
    num_workers=1,
    persistent_workers=True,
    dataset=dict(
        data_root=data_root,
        attribute_file='TrainVal_images/val_attributes.json',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
