# ISP on CUHK03-NP (detected boxes): HRNet-W32, K = 6 (paper Table 4's best, = Table 1: R1 75.2,
# mAP 71.4; official ISP-CUHK03_detected.sh: K = 6), global feature from the 1920-channel
# concatenation (official MODEL.IF_BIGG=True) as isp_hrnet-w32_cuhk03-np-labeled.py. Everything
# else as isp_hrnet-w32_market1501.py.
_base_ = [
    '../_base_/models/isp_hrnet-w32.py', '../_base_/datasets/cuhk03-np-detected.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_isp_120e.py'
]
model = dict(part_head=dict(num_classes=6), reid_head=dict(num_classes=767),
             global_feature='concat')
train_dataloader = dict(dataset=dict(pipeline={{_base_.pseudo_label_train_pipeline}}))
default_hooks = dict(clustering=dict(pipeline={{_base_.test_pipeline}}))
val_evaluator = dict(type='ReIDMetric', distance='euclidean', normalize_feature=True)
test_evaluator = val_evaluator
randomness = dict(seed=0)
