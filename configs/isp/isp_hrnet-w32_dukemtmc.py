# ISP on DukeMTMC-reID: HRNet-W32, K = 7 (paper Table 4's best, = Table 1: R1 89.6, mAP 80.0;
# official ISP-DukeMTMC.sh: K = 7). Everything else as isp_hrnet-w32_market1501.py.
_base_ = [
    '../_base_/models/isp_hrnet-w32.py', '../_base_/datasets/dukemtmc-reid.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_isp_120e.py'
]
model = dict(part_head=dict(num_classes=7), reid_head=dict(num_classes=702))
train_dataloader = dict(dataset=dict(pipeline={{_base_.pseudo_label_train_pipeline}}))
default_hooks = dict(clustering=dict(pipeline={{_base_.test_pipeline}}))
val_evaluator = dict(type='ReIDMetric', distance='euclidean', normalize_feature=True)
test_evaluator = val_evaluator
randomness = dict(seed=0)
