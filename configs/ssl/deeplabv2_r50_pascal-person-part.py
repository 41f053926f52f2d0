# SSL step 1 on PASCAL-Person-Part (7 labels, no left/right pairs: flip swaps nothing).
_base_ = ['./deeplabv2_r50_lip.py']
dataset_type = 'PascalPersonPartDataset'
data_root = 'data/PASCAL-Person-Part'
train_dataloader = dict(
    dataset=dict(
        type=dataset_type, data_root=data_root, ann_file='list/train_id.txt',
        data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationPart')))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type, data_root=data_root, ann_file='list/val_id.txt',
        data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationPart')))
test_dataloader = val_dataloader
model = dict(decode_head=dict(num_classes=7), auxiliary_head=dict(num_classes=7))
train_cfg = dict(max_iters=20000, val_interval=2000)
param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=20000,
                        by_epoch=False)]
