# ISP on CUHK03-NP (labeled boxes): HRNet-W32, K = 7 (paper Table 4's best, = Table 1: R1 76.5,
# mAP 74.1; official ISP-CUHK03_labeled.sh: K = 7) and the global feature pooled from the
# 1920-channel concatenation before the 1x1 reduction (official MODEL.IF_BIGG=True on CUHK03).
# Data layout: configs/_base_/datasets/cuhk03-np-labeled.py.
_base_ = ['./isp_hrnet-w32_market1501.py']
dataset_type = 'CUHK03NPDataset'
data_root = 'data/cuhk03-np'
subset = 'labeled'
model = dict(part_head=dict(num_classes=7), reid_head=dict(num_classes=767),
             global_feature='concat')
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root, subset=subset))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root, subset=subset))
test_dataloader = val_dataloader
