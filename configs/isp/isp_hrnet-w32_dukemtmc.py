# ISP on DukeMTMC-reID: HRNet-W32, K = 7 (paper Table 4's best, = Table 1: R1 89.6, mAP 80.0;
# official ISP-DukeMTMC.sh: K = 7). Everything else as isp_hrnet-w32_market1501.py.
# Data layout: configs/_base_/datasets/dukemtmc-reid.py.
_base_ = ['./isp_hrnet-w32_market1501.py']
dataset_type = 'DukeMTMCReIDDataset'
data_root = 'data/dukemtmc-reid/DukeMTMC-reID'
model = dict(part_head=dict(num_classes=7), reid_head=dict(num_classes=702))
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
