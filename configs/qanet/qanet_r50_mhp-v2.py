# QANet, ResNet-50c + semantic FPN, MHP-v2 (59 classes, 8 GPUs x 32, 140 epochs).
_base_ = [
    '../_base_/models/qanet_r50_fpn.py', '../_base_/datasets/mhp-v2_instance.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_qanet_140e.py'
]
model = dict(decode_head=dict(num_classes=59))
train_dataloader = dict(batch_size=32)
