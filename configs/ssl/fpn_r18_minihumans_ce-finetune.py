# Control for the SSL comparison on MiniHumans: continue the quick-start model with plain
# cross-entropy for the same extra iterations as fpn_r18_minihumans_ssl.py.
_base_ = ['../lip/fpn_r18_minihumans.py']
load_from = 'work_dirs/fpn_r18_minihumans/iter_2500.pth'
max_iters = 400
optim_wrapper = dict(optimizer=dict(lr=2e-4))
param_scheduler = [dict(type='PolyLR', eta_min=1e-6, power=0.9, begin=0, end=max_iters,
                        by_epoch=False)]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
