# ISP on Market-1501 with ResNet-50 (paper Table 6: the ResNet variant, last stage at stride 1,
# final map bilinearly upsampled to the 1/4 map; Table 6 reports it on DukeMTMC-reID: R1 88.7,
# mAP 78.9 vs 89.6 / 80.0 for HRNet-W32). Everything else as isp_hrnet-w32_market1501.py.
_base_ = [
    '../_base_/models/isp_r50.py', '../_base_/datasets/market1501.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_isp_120e.py'
]
model = dict(part_head=dict(num_classes=4), reid_head=dict(num_classes=751))
train_dataloader = dict(dataset=dict(pipeline={{_base_.pseudo_label_train_pipeline}}))
default_hooks = dict(clustering=dict(pipeline={{_base_.test_pipeline}}))
val_evaluator = dict(type='ReIDMetric', distance='euclidean', normalize_feature=True)
test_evaluator = val_evaluator
randomness = dict(seed=0)
