# QANet, ResNet-50c + semantic FPN, MHP-v2 (59 classes, 8 GPUs x 32, 140 epochs).
_base_ = [
    '../_base_/models/qanet_r50_fpn.py', '../_base_/datasets/mhp-v2_instance.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_qanet_140e.py'
]
# QANet paints the semantic (mIoU) map with the persons whose box score is >= 0.05 on MHP-v2
# (0.3 on CIHP; PARSING.SEMSEG_SCORE_THRESH)
model = dict(decode_head=dict(num_classes=59), test_cfg=dict(semseg_score_thr=0.05))
train_dataloader = dict(batch_size=32)
