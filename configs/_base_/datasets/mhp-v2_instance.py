# LV-MHP-v2 (background + 58 labels), official layout, one label PNG per person:
#   data/LV-MHP-v2/list/{train,val}.txt
#   data/LV-MHP-v2/{train,val}/images/<n>.jpg
#   data/LV-MHP-v2/{train,val}/parsing_annos/<n>_<NN>_<II>.png
# Boxes are the extent of each person's pixels (the official mhp_data.py), computed when loaded.
# For detector boxes: val_dataloader.dataset.bbox_file=<prefix>.bbox.json, whose image ids are the
# integer image names (96.jpg -> 96). Pipelines as cihp_instance.py.
_base_ = ['./cihp_instance.py']
dataset_type = 'MHPv2InstanceDataset'
data_root = 'data/LV-MHP-v2'
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='list/train.txt',
        data_prefix=dict(_delete_=True, img_path='train/images',
                         seg_map_path='train/parsing_annos')))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='list/val.txt',
        data_prefix=dict(_delete_=True, img_path='val/images', seg_map_path='val/parsing_annos')))
test_dataloader = val_dataloader
val_evaluator = dict(type='MultiHumanParsingMetric')
test_evaluator = val_evaluator
