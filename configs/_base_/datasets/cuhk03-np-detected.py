# CUHK03-NP (new protocol), DPM-detected boxes, PNG images:
#   data/cuhk03-np/detected/{bounding_box_train,query,bounding_box_test}/0001_c1_1.png
# 7,365 train images (767 ids), 1,400 queries, 5,332 gallery images (700 ids), 2 cameras.
_base_ = ['./cuhk03-np-labeled.py']
subset = 'detected'
train_dataloader = dict(dataset=dict(subset=subset))
val_dataloader = dict(dataset=dict(subset=subset))
test_dataloader = val_dataloader
