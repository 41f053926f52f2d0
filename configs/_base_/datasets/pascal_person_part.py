# PASCAL-Person-Part (7 labels, no left/right pairs). Layout (as Graphonomy):
#   data/PASCAL-Person-Part/{JPEGImages,SegmentationPart}/<id>.*, list/{train,val}_id.txt
_base_ = ['./lip.py']
dataset_type = 'PascalPersonPartDataset'
data_root = 'data/PASCAL-Person-Part'
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='list/train_id.txt',
        data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationPart')))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='list/val_id.txt',
        data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationPart')))
test_dataloader = val_dataloader
