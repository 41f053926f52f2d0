# ISP on CUHK03-NP (labeled boxes): HRNet-W32, K = 7 (paper Table 4's best, = Table 1: R1 76.5,
# mAP 74.1; official ISP-CUHK03_labeled.sh: K = 7) and the global feature pooled from the
# 1920-channel concatenation before the 1x1 reduction (official MODEL.IF_BIGG=True on CUHK03).
# Everything else as isp_hrnet-w32_market1501.py.
_base_ = [
    '../_base_/models/isp_hrnet-w32.py', '../_base_/datasets/cuhk03-np-labeled.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_isp_120e.py'
]
model = dict(part_head=dict(num_classes=7), reid_head=dict(num_classes=767),
             global_feature='concat')
train_dataloader = dict(dataset=dict(pipeline={{_base_.pseudo_label_train_pipeline}}))
default_hooks = dict(clustering=dict(pipeline={{_base_.test_pipeline}}))
val_evaluator = dict(type='ReIDMetric', distance='euclidean', normalize_feature=True)
test_evaluator = val_evaluator
randomness = dict(seed=0)
