# ATR merged to 3 classes (background / upper body / lower body; C²L Sec. 4.1), for unsupervised
# parsing: the merge is ATR_3CLASS_MERGE (hp_mm/datasets/atr_merged_dataset.py, read from the
# label-set table hp_mm/datasets/label_set_table.py), also in configs/c2l/README.md. Layout as
# ATRDataset: data/ATR/humanparsing/{JPEGImages,SegmentationClassAug}/<id>.*, split lists
# list/{train,val}_id.txt (ATR has no official split).
#
# Training samples are two views of the whole image resized to 320x320 (paper Sec. 4.2), with
# PiCIE's photometric augmentations (MoCo v2 colour jitter 0.3/0.3/0.3/0.1 at p=0.8 -> mmseg's
# PhotoMetricDistortion, grey p=0.2, Gaussian blur sigma 0.1-2 p=0.5) drawn independently per view,
# and one geometric transform G (crop of side 0.5-1, flip p=0.5), all fixed per (seed, epoch,
# sample). The clustering hook extracts with `cluster_pipeline` (the same views, no labels).
dataset_type = 'ATRMergedDataset'
data_root = 'data/ATR/humanparsing'
crop_size = (320, 320)
two_view = dict(
    type='GenerateTwoViews',
    crop_scale=(0.5, 1.0),
    flip_prob=0.5,
    photometric=[
        dict(
            type='RandomApply',
            prob=0.8,
            transforms=[
                dict(
                    type='PhotoMetricDistortion',
                    brightness_delta=38,
                    contrast_range=(0.7, 1.3),
                    saturation_range=(0.7, 1.3),
                    hue_delta=18)
            ]),
        dict(type='RandomGrayscale', prob=0.2, keep_channels=True),
        dict(type='RandomGaussianBlur', sigma=(0.1, 2.0), prob=0.5),
    ])
cluster_pipeline = [
    dict(type='LoadParsingImageFromFile'),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    two_view,
    dict(type='PackTwoViewInputs'),
]
train_pipeline = [
    dict(type='LoadParsingImageFromFile'),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    two_view,
    # the hook's labels are at feature resolution, already aligned with the views: no resizing
    dict(type='LoadPseudoLabels', store='view1', key='gt_pseudo_seg_1', resize_to_img=False),
    dict(type='LoadPseudoLabels', store='view2', key='gt_pseudo_seg_2', resize_to_img=False),
    dict(type='PackTwoViewInputs'),
]
test_pipeline = [
    dict(type='LoadParsingImageFromFile'),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='LoadParsingAnnotations'),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    batch_size=96,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='list/train_id.txt',
        data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClassAug'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=96,  # all images are resized to 320x320, so batches stack
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='list/val_id.txt',
        data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClassAug'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='UnsupervisedParsingMetric')
test_evaluator = val_evaluator
