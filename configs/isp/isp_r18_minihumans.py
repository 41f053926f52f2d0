# CPU check of ISP (minutes): MiniHumans in Market-1501's layout, 128 x 64 crops, the same
# half-width ResNet-18 from scratch, P x K = 8 x 4, Adam 1e-3 and 12 epochs as the global
# baseline configs/isp/baseline_r18_minihumans.py, so the two compare directly. ISP's
# ResNet variant: last stage at stride 1, its map (256 x 8 x 4) bilinearly upsampled to the 1/4
# map (32 x 16), M_g = 256 channels; K = 6 (background + 5 parts, paper Table 3's K); cascaded
# clustering every epoch (the paper's n = 1). The clustering pass also loads MiniHumans'
# ground-truth LIP part masks to log the pseudo-labels' IoU per group (clustering/iou_*).
# Generate the data first (150 train / 50 test identities):
#   python tools/dataset_converters/generate_minihumans.py market1501 data/minihumans/market1501 \
#       --num-train 150 --num-val 50 --seed 0 --workers 2
#   OMP_NUM_THREADS=2 python tools/train.py configs/isp/isp_r18_minihumans.py
# Results and the comparison with the baseline: configs/isp/README.md.
_base_ = [
    '../_base_/models/isp_r18.py', '../_base_/datasets/minihumans_market1501.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_reid_cpu.py'
]
# half-width ResNet-18 (32 base channels, 256 at the last stage), from scratch
model = dict(
    pretrained=None,
    backbone=dict(stem_channels=32, base_channels=32),
    neck=dict(in_channels=[256]),
    part_head=dict(num_classes=6),
    reid_head=dict(num_classes=150))
train_dataloader = dict(
    dataset=dict(pipeline={{_base_.pseudo_label_train_pipeline}},
                 part_mask_prefix='hp_mm_part_masks'))
max_epochs = 12
default_hooks = dict(
    checkpoint=dict(interval=max_epochs),
    clustering=dict(
        type='ISPClusteringHook',
        interval=1,
        sharpen=True,
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadReIDPartMask'),  # ground truth for the IoU log only
            dict(type='ReIDResize', scale={{_base_.input_size}}),
            dict(type='PackReIDInputs'),
        ],
        dataloader=dict(batch_size=64, num_workers=1),
        chunk_size=256))
val_evaluator = dict(type='ReIDMetric', distance='euclidean', normalize_feature=True)
test_evaluator = val_evaluator
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=2,
         convert_to_iter_based=True),
    dict(type='MultiStepLR', milestones=[8], gamma=0.1, by_epoch=True, begin=0,
         end=max_epochs),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
env_cfg = dict(cudnn_benchmark=False)
randomness = dict(seed=0)
