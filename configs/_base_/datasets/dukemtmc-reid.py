# DukeMTMC-reID (layumi/DukeMTMC-reID_evaluation), the layout torchreid reads:
#   data/dukemtmc-reid/DukeMTMC-reID/{bounding_box_train,query,bounding_box_test}/
#   0005_c2_f0046985.jpg = pid 0005, camera 2 (1-8), frame 0046985
# 16,522 train images (702 ids), 2,228 queries, 17,661 gallery images (+408 distractor ids).
_base_ = ['./market1501.py']
dataset_type = 'DukeMTMCReIDDataset'
data_root = 'data/dukemtmc-reid/DukeMTMC-reID'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
