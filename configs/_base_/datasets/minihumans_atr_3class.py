# MiniHumans in ATR's layout, merged to 3 classes (same reader and merge as real ATR). Generate it:
#   python tools/dataset_converters/generate_minihumans.py atr data/minihumans/ATR \
#       --num-train 800 --num-val 100 --max-size 128 --workers 1
# Images are ~128x77; CPU runs resize them to 64x64 (features 16x16 at stride 4).
_base_ = ['./atr_3class.py']
data_root = 'data/minihumans/ATR/humanparsing'
crop_size = (64, 64)
two_view = {{_base_.two_view}}
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
    batch_size=16,
    num_workers=1,
    persistent_workers=True,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=20,
    num_workers=1,
    persistent_workers=True,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
