# CPU version of C²L Table 1 row 1 (PiCIE) on MiniHumans-ATR merged to 3 classes: the first 400
# training images at 64x64 (features 16x16), half-width ResNet-18 (32 base channels) FPN 128-d from
# scratch (no ImageNet weights offline), k-means buffer 192 images, batch 16, Adam 1e-3, 8 epochs,
# clustering before every epoch (one extraction pass: features cached).
# python tools/train.py configs/c2l/picie_fpn-r18_minihumans-atr-3class.py
_base_ = [
    '../_base_/models/picie_fpn_r18.py', '../_base_/datasets/minihumans_atr_3class.py',
    '../_base_/default_runtime.py'
]
model = dict(
    backbone=dict(stem_channels=32, base_channels=32, init_cfg=None),
    neck=dict(in_channels=[32, 64, 128, 256]))
train_dataloader = dict(dataset=dict(indices=400))
max_epochs = 8
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3, weight_decay=0.0))
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=10, log_metric_by_epoch=True),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=True, interval=max_epochs, max_keep_ckpts=1),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # k-means of the pixel embeddings before every epoch (a hook under default_hooks: the
    # C2L configs add theirs by key, a config changes one argument by merging)
    clustering=dict(
        type='C2LClusteringHook',
        pipeline={{_base_.cluster_pipeline}},
        buffer_size=192,
        dataloader=dict(batch_size=32, num_workers=1, persistent_workers=True),
        kmeans=dict(type='MiniBatchKMeans', kmeans=dict(type='FaissKMeans', max_iter=20)),
        cache_features=True,
        show_progress=False))
log_processor = dict(by_epoch=True)
randomness = dict(seed=0)
env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo'))
