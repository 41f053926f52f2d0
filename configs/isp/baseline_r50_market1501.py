# Global-feature re-ID baseline (the "Bag of Tricks" strong baseline that ISP builds on):
# ImageNet ResNet-50, last stride 1, GAP, BN-neck, label-smoothed CE + batch-hard triplet;
# 256 x 128 input, P x K = 16 x 4 on 1 GPU, Adam 3.5e-4 with 10 warm-up epochs, x0.1 at
# epochs 40 and 70, 120 epochs. Ranking by cosine distance of the BN feature (no re-ranking;
# add test_evaluator.rerank=True for k-reciprocal re-ranking). Plain feature distance: the
# aligned distance (paper eq. 10 / official variant) is ISP's, see the ISP configs.
#   python tools/train.py configs/isp/baseline_r50_market1501.py
#   python tools/test.py configs/isp/baseline_r50_market1501.py work_dirs/.../best_reid_mAP_*.pth
_base_ = [
    '../_base_/models/reid_global_r50.py', '../_base_/datasets/market1501.py',
    '../_base_/default_runtime.py'
]
max_epochs = 120
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='Adam', lr=3.5e-4, weight_decay=5e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=10,
         convert_to_iter_based=True),
    dict(type='MultiStepLR', milestones=[40, 70], gamma=0.1, by_epoch=True, begin=0,
         end=max_epochs),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=20)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=True, interval=20, max_keep_ckpts=2,
                    save_best='reid/mAP', rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
log_processor = dict(by_epoch=True)
randomness = dict(seed=0)
