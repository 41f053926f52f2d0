# Control for the SSL comparison on MiniHumans: continue the quick-start model for the same extra
# iterations as fpn_r18_minihumans_ssl.py with plain (unweighted) cross-entropy, the L_parsing
# term of the structure-sensitive loss, so the two differ only in the per-image joint weight.
_base_ = ['../lip/fpn_r18_minihumans.py']
load_from = 'work_dirs/fpn_r18_minihumans/iter_3000.pth'
model = dict(decode_head=dict(loss_decode=dict(_delete_=True, type='CrossEntropyLoss')))
max_iters = 400
optim_wrapper = dict(optimizer=dict(lr=2e-4))
param_scheduler = [dict(type='PolyLR', eta_min=1e-6, power=0.9, begin=0, end=max_iters,
                        by_epoch=False)]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
