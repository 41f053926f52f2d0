# C²L Table 1 row 1: the PiCIE baseline on ATR merged to 3 classes. FPN-R18 (ImageNet weights),
# 128-d, 320x320, k-means buffer 192 images, batch 96, Adam 1e-4 (PiCIE), 10 epochs (PiCIE's
# default), clustering before every epoch.
_base_ = [
    '../_base_/models/picie_fpn_r18.py', '../_base_/datasets/atr_3class.py',
    '../_base_/default_runtime.py'
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=10, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4, weight_decay=0.0))
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20, log_metric_by_epoch=True),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=True, interval=1, max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'),
    # k-means of the pixel embeddings before every epoch (a hook under default_hooks: the
    # C2L configs add theirs by key, a config changes one argument by merging)
    clustering=dict(
        type='C2LClusteringHook',
        pipeline={{_base_.cluster_pipeline}},
        buffer_size=192,
        dataloader=dict(batch_size=96),
        kmeans=dict(type='MiniBatchKMeans', kmeans=dict(type='FaissKMeans', max_iter=20))))
log_processor = dict(by_epoch=True)
randomness = dict(seed=0)
