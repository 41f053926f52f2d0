# CPU check of the re-ID stack: the global baseline (half-width ResNet-18 from scratch, last
# stride 1, GAP, BN-neck, label-smoothed CE + batch-hard triplet) on MiniHumans' Market-1501
# layout, 128 x 64 crops, P x K = 8 x 4, Adam 1e-3 (2 warm-up epochs, x0.1 at 18), 24 epochs
# (744 iterations). Cosine distance of the BN feature, no re-ranking.
# Measured (2 shared cores, OMP_NUM_THREADS=1, 12 min at load ~7): Rank-1 78.85, Rank-5 93.75,
# Rank-10 95.67, mAP 67.58, mINP 42.01 (208 queries x 438 gallery; at epoch 12: R1 57.2, mAP 45.6).
# Generate the data first (150 train / 50 test identities):
#   python tools/dataset_converters/generate_minihumans.py market1501 data/minihumans/market1501 \
#       --num-train 150 --num-val 50 --seed 0 --workers 2
#   OMP_NUM_THREADS=2 python tools/train.py configs/isp/baseline_r18_minihumans.py
_base_ = [
    '../_base_/models/reid_global_r50.py', '../_base_/datasets/minihumans_market1501.py',
    '../_base_/default_runtime.py'
]
model = dict(
    pretrained=None,
    channels_last=True,
    backbone=dict(depth=18, stem_channels=32, base_channels=32),
    head=dict(in_channels=256, num_classes=150))
max_epochs = 24
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3, weight_decay=5e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=2,
         convert_to_iter_based=True),
    dict(type='MultiStepLR', milestones=[18], gamma=0.1, by_epoch=True, begin=0,
         end=max_epochs),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=10),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=True, interval=max_epochs, max_keep_ckpts=1),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
log_processor = dict(by_epoch=True)
env_cfg = dict(cudnn_benchmark=False)
randomness = dict(seed=0)
