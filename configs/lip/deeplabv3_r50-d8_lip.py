# LIP baseline: ResNet-50-D8 + ASPP, 473x473 crops, 4 GPUs x 4 images, SGD 0.01 poly, 80k iterations.
# python tools/train.py configs/lip/deeplabv3_r50-d8_lip.py
# Data root: configs/_base_/datasets/lip.py (data/LIP); another root:
#   --cfg-options train_dataloader.dataset.data_root=/path/LIP val_dataloader.dataset.data_root=/path/LIP
#   test_dataloader.dataset.data_root=/path/LIP
_base_ = [
    '../_base_/models/deeplabv3_r50-d8.py', '../_base_/datasets/lip.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_80k.py'
]
crop_size = (473, 473)
data_preprocessor = dict(size=crop_size)
model = dict(data_preprocessor=data_preprocessor)
