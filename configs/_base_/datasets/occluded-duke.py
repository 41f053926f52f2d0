# Occluded-DukeMTMC (lightas/Occluded-DukeMTMC-Dataset): DukeMTMC-reID's folders and names,
# re-split so that the queries are occluded:
#   data/Occluded_Duke/{bounding_box_train,query,bounding_box_test}/0005_c2_f0046985.jpg
# 15,618 train images, 2,210 queries, 17,661 gallery images.
_base_ = ['./market1501.py']
dataset_type = 'OccludedDukeDataset'
data_root = 'data/Occluded_Duke'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
