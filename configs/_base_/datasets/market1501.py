# Market-1501 (Zheng et al., ICCV 2015), the layout torchreid reads:
#   data/market1501/Market-1501-v15.09.15/{bounding_box_train,query,bounding_box_test}/
#   0002_c1s1_000451_03.jpg = pid 0002, camera 1, sequence 1, frame 000451, box 03
# Junk (pid -1) images are dropped; distractors (pid 0000) stay in the gallery.
# The test dataset is query + gallery (split='test'); ReIDMetric splits them by the
# samples' `split`. Override the root with --cfg-options data_root=... or the dataloaders'.
dataset_type = 'Market1501Dataset'
data_root = 'data/market1501/Market-1501-v15.09.15'
# "Bag of tricks" / ISP input pipeline: 256 x 128 (H x W), flip, pad 10 + crop, random erasing
input_size = (128, 256)  # (w, h), mmcv's order
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ReIDResize', scale=input_size),
    dict(type='ReIDRandomFlip', prob=0.5),
    dict(type='ReIDRandomPadCrop', padding=10),
    dict(type='ReIDRandomErasing', prob=0.5, area_range=(0.02, 0.4), aspect_range=(0.3, 1 / 0.3)),
    dict(type='PackReIDInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ReIDResize', scale=input_size),
    dict(type='PackReIDInputs'),
]
# Models trained on per-epoch pseudo part labels (ISP): the labels enter before the geometric
# transforms and move with the image, erased rectangles become background (ISP's
# ImageDataset_train); the clustering hook extracts with test_pipeline (whole, un-augmented images).
pseudo_label_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadPseudoLabels'),
    dict(type='ReIDResize', scale=input_size),
    dict(type='ReIDRandomFlip', prob=0.5),
    dict(type='ReIDRandomPadCrop', padding=10),
    dict(type='ReIDRandomErasing', prob=0.5, area_range=(0.02, 0.4), aspect_range=(0.3, 1 / 0.3),
         fill='image_mean', seg_fill=0),
    dict(type='PackReIDInputs'),
]
# P x K = 16 identities x 4 images per process
train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='IdentityBalancedSampler', num_identities=16, num_instances=4),
    dataset=dict(type=dataset_type, data_root=data_root, split='train',
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, split='test', pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='ReIDMetric', distance='cosine')
test_evaluator = val_evaluator
