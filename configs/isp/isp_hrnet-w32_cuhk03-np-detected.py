# ISP on CUHK03-NP (detected boxes): HRNet-W32, K = 6 (paper Table 4's best, = Table 1: R1 75.2,
# mAP 71.4; official ISP-CUHK03_detected.sh: K = 6), global feature from the 1920-channel
# concatenation (official MODEL.IF_BIGG=True). Data: configs/_base_/datasets/cuhk03-np-detected.py.
_base_ = ['./isp_hrnet-w32_cuhk03-np-labeled.py']
subset = 'detected'
model = dict(part_head=dict(num_classes=6))
train_dataloader = dict(dataset=dict(subset=subset))
val_dataloader = dict(dataset=dict(subset=subset))
test_dataloader = val_dataloader
