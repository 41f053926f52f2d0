# QANet, ResNet-50c + semantic FPN, CIHP, 512x384 person crops, 8 GPUs x 32 = batch 256, 140 epochs.
#   python tools/train.py configs/qanet/qanet_r50_cihp.py                # data in data/CIHP
#   bash tools/dist_train.sh configs/qanet/qanet_r50_cihp.py 8
# Evaluation with a detector's boxes (written by mmdet's test run, see configs/qanet/README.md):
#   python tools/test.py configs/qanet/qanet_r50_cihp.py CKPT \
#       --cfg-options test_dataloader.dataset.bbox_file=work_dirs/fcos_r50_fpn_cihp/cihp_val.bbox.json
_base_ = [
    '../_base_/models/qanet_r50_fpn.py', '../_base_/datasets/cihp_instance.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_qanet_140e.py'
]
train_dataloader = dict(batch_size=32)  # x 8 GPUs = 256 (paper)
