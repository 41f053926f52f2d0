# ATR (18 labels). Layout: data/ATR/humanparsing/{JPEGImages,SegmentationClassAug}/<id>.*,
# split lists data/ATR/humanparsing/list/{train,val}_id.txt (ATR has no official split).
_base_ = ['./lip.py']
dataset_type = 'ATRDataset'
data_root = 'data/ATR/humanparsing'
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='list/train_id.txt',
        data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClassAug')))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='list/val_id.txt',
        data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClassAug')))
test_dataloader = val_dataloader
