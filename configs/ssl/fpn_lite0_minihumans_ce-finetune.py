# Control for the SSL comparison on the pretrained quick-start model (configs/lip/fpn_lite0_minihumans.py):
# 400 more iterations with plain (unweighted) cross-entropy, the L_parsing term of the structure-
# sensitive loss, so this and fpn_lite0_minihumans_ssl.py differ only in the per-image joint weight.
_base_ = ['../lip/fpn_lite0_minihumans.py']
load_from = 'work_dirs/fpn_lite0_minihumans/iter_1550.pth'
model = dict(
    backbone=dict(init_cfg=None),  # every weight comes from load_from
    decode_head=dict(loss_decode=dict(_delete_=True, type='CrossEntropyLoss')))
max_iters = 400
optim_wrapper = dict(optimizer=dict(lr=2e-4))
param_scheduler = [dict(type='PolyLR', eta_min=1e-6, power=0.9, begin=0, end=max_iters,
                        by_epoch=False)]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
