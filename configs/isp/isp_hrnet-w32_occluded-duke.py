# ISP on Occluded-DukeMTMC: HRNet-W32, K = 6 (official ISP-Occluded_DukeMTMC.sh), no activation
# sharpening (official CLUSTERING.ENHANCED=False) and aligned matching over the shared-visible
# parts (paper Sec. 3.4, Table 2: R1 62.8, mAP 52.3; without it 59.5 / 51.4). The official code
# ranks by its variant of eq. 10 ([global, foreground] as one term, similarity (1 + cos) / 2,
# denominator + 1): aligned_mode='official'; aligned_mode='paper' is eq. 10 as printed.
# Everything else as isp_hrnet-w32_market1501.py.
_base_ = [
    '../_base_/models/isp_hrnet-w32.py', '../_base_/datasets/occluded-duke.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_isp_120e.py'
]
model = dict(part_head=dict(num_classes=6), reid_head=dict(num_classes=702))
train_dataloader = dict(dataset=dict(pipeline={{_base_.pseudo_label_train_pipeline}}))
default_hooks = dict(clustering=dict(pipeline={{_base_.test_pipeline}}, sharpen=False))
val_evaluator = dict(type='ReIDMetric', distance='aligned', aligned_mode='official')
test_evaluator = val_evaluator
randomness = dict(seed=0)
