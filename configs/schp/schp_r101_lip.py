# SCHP ResNet-101 on LIP (20 classes), 473x473 input: the model of the official checkpoint
# exp-schp-201908261155-lip.pth (LIP val mIoU 59.36 published). Convert, test, parse your images:
#   python tools/model_converters/schp2hpmm.py exp-schp-201908261155-lip.pth \
#       checkpoints/schp_r101_lip.pth --dataset lip
#   python tools/test.py configs/schp/schp_r101_lip.py checkpoints/schp_r101_lip.pth
#   python tools/infer.py configs/schp/schp_r101_lip.py checkpoints/schp_r101_lip.pth imgs/ \
#       --out-dir out/
# Flip test with the left/right swap: --cfg-options model.test_cfg.flip=True
# The schedule is mmseg's 80k SGD (../_base_/schedules/schedule_80k.py), not SCHP's 150-epoch
# self-correction training (not in hp_mm).
_base_ = [
    '../_base_/models/schp_r101.py', '../_base_/datasets/lip.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_80k.py'
]
