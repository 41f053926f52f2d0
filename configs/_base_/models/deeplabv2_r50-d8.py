# DeepLabV2-style ASPP (the LIP paper's baseline parsers, Sec. 5) on the dilated ResNet-50-D8 of
# deeplabv3_r50-d8.py: ASPPV2Head, four parallel branches (a 3x3 convolution at dilation 6 / 12 /
# 18 / 24, then a 1x1 convolution) summed before the classifier (no image pooling); channels,
# dropout, loss, the auxiliary FCN head and the flip test as deeplabv3_r50-d8.py.
_base_ = ['./deeplabv3_r50-d8.py']
model = dict(decode_head=dict(type='ASPPV2Head', dilations=(6, 12, 18, 24)))
