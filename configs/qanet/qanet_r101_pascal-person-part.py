# QANet, ResNet-101c + semantic FPN, PASCAL-Person-Part instance layout (7 classes, no left/right;
# 8 GPUs x 32, 140 epochs).
_base_ = [
    '../_base_/models/qanet_r101_fpn.py', '../_base_/datasets/pascal_person_part_instance.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_qanet_140e.py'
]
model = dict(decode_head=dict(num_classes=7))
train_dataloader = dict(batch_size=32)
