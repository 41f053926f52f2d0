# CUHK03-NP (new protocol, zhunzhong07/person-re-ranking), hand-labelled boxes, PNG images:
#   data/cuhk03-np/labeled/{bounding_box_train,query,bounding_box_test}/0001_c1_1.png
# 7,368 train images (767 ids), 1,400 queries, 5,328 gallery images (700 ids), 2 cameras.
_base_ = ['./market1501.py']
dataset_type = 'CUHK03NPDataset'
data_root = 'data/cuhk03-np'
subset = 'labeled'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root, subset=subset))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root, subset=subset))
test_dataloader = val_dataloader
