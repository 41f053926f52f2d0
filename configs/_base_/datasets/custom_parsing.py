# Your own human parsing data (docs/custom_data.md), read by CustomParsingDataset:
#   (a) images + single-channel index PNG masks + a class list (this file's default layout):
#         data/my_parsing/classes.txt           one class per line, background first;
#                                               "l_sleeve <-> r_sleeve" declares a left/right pair
#         data/my_parsing/images/<id>.jpg
#         data/my_parsing/masks/<id>.png        pixel = class index (255 = ignore)
#         data/my_parsing/{train,val}.txt       image ids, one per line
#   (b) a CVAT "Segmentation mask 1.1" export (colour masks): in the dataloaders set
#         classes_file='labelmap.txt', ann_file='ImageSets/Segmentation/<subset>.txt',
#         data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass')
#   (c) LabelMe polygons: tools/dataset_converters/labelme2parsing.py turns them into (a).
# LoadColorParsingAnnotations reads both index and colour masks. Check the data first:
#   python tools/analysis_tools/check_dataset.py CONFIG
dataset_type = 'CustomParsingDataset'
data_root = 'data/my_parsing'
classes_file = 'classes.txt'
crop_size = (384, 384)
meta_keys = ('img_path', 'seg_map_path', 'ori_shape', 'img_shape', 'pad_shape', 'scale_factor',
             'flip', 'flip_direction', 'reduce_zero_label', 'flip_pairs')
train_pipeline = [
    dict(type='LoadParsingImageFromFile'),
    dict(type='LoadColorParsingAnnotations'),
    dict(type='RandomResize', scale=crop_size, ratio_range=(0.75, 1.25), keep_ratio=True),
    dict(type='RandomRotate', prob=0.5, degree=30, pad_val=0, seg_pad_val=255),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=1.0),
    dict(type='ParsingRandomFlip', prob=0.5),  # swaps the class file's left/right pairs
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs', meta_keys=meta_keys),
]
test_pipeline = [
    dict(type='LoadParsingImageFromFile'),
    dict(type='Resize', scale=crop_size, keep_ratio=True),
    dict(type='LoadColorParsingAnnotations'),
    dict(type='PackSegInputs', meta_keys=meta_keys),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        classes_file=classes_file,
        ann_file='train.txt',
        data_prefix=dict(img_path='images', seg_map_path='masks'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        classes_file=classes_file,
        ann_file='val.txt',
        data_prefix=dict(img_path='images', seg_map_path='masks'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='HumanParsingMetric', attributes=())
test_evaluator = val_evaluator
