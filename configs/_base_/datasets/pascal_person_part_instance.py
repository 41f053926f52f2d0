# PASCAL-Person-Part, instance view in QANet's CIHP-like re-pack (7 labels, no left/right pairs):
#   data/PASCAL-Person-Part/{Training,Testing}/{Images,Category_ids,Human_ids}/<id>.*
#   data/PASCAL-Person-Part/annotations/PASCAL-Person-Part_{train,test}.json
# Pipelines as cihp_instance.py (QANet uses the same config for every dataset).
_base_ = ['./cihp_instance.py']
dataset_type = 'PascalPersonPartInstanceDataset'
data_root = 'data/PASCAL-Person-Part'
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/PASCAL-Person-Part_train.json',
        data_prefix=dict(img_path='Training/Images', seg_map_path='Training/Category_ids',
                         human_map_path='Training/Human_ids')))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/PASCAL-Person-Part_test.json',
        data_prefix=dict(img_path='Testing/Images', seg_map_path='Testing/Category_ids',
                         human_map_path='Testing/Human_ids')))
test_dataloader = val_dataloader
