# ISP on Occluded-DukeMTMC: HRNet-W32, K = 6 (official ISP-Occluded_DukeMTMC.sh), no activation
# sharpening (official CLUSTERING.ENHANCED=False) and aligned matching over the shared-visible
# parts (paper Sec. 3.4, Table 2: R1 62.8, mAP 52.3; without it 59.5 / 51.4). The official code
# ranks by its variant of eq. 10 ([global, foreground] as one term, similarity (1 + cos) / 2,
# denominator + 1): aligned_mode='official'; aligned_mode='paper' is eq. 10 as printed.
# Data layout: configs/_base_/datasets/occluded-duke.py.
_base_ = ['./isp_hrnet-w32_market1501.py']
dataset_type = 'OccludedDukeDataset'
data_root = 'data/Occluded_Duke'
model = dict(part_head=dict(num_classes=6), reid_head=dict(num_classes=702))
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
custom_hooks = [
    dict(type='DatasetMetaHook'),
    dict(type='ISPClusteringHook', interval=2, stop_epoch=101, sharpen=False,
         pipeline={{_base_.cluster_pipeline}}, dataloader=dict(batch_size=128), chunk_size=256),
]
val_evaluator = dict(_delete_=True, type='ReIDMetric', distance='aligned', aligned_mode='official')
test_evaluator = val_evaluator
