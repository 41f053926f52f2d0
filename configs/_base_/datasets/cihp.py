# CIHP, semantic view (Category_ids; label 10 = Torso-skin). Layout:
#   data/CIHP/instance-level_human_parsing/{Training,Validation}/{Images,Category_ids}/<id>.*
#   data/CIHP/instance-level_human_parsing/{Training,Validation}/{train,val}_id.txt
_base_ = ['./lip.py']
dataset_type = 'CIHPDataset'
data_root = 'data/CIHP/instance-level_human_parsing'
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='Training/train_id.txt',
        data_prefix=dict(img_path='Training/Images', seg_map_path='Training/Category_ids')))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='Validation/val_id.txt',
        data_prefix=dict(img_path='Validation/Images', seg_map_path='Validation/Category_ids')))
test_dataloader = val_dataloader
