# QANet, ResNet-101c + semantic FPN, CIHP (8 GPUs x 32, 140 epochs).
_base_ = [
    '../_base_/models/qanet_r101_fpn.py', '../_base_/datasets/cihp_instance.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_qanet_140e.py'
]
train_dataloader = dict(batch_size=32)  # x 8 GPUs = 256 (paper)
