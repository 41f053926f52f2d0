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
    '../_base_/models/reid_global_r18.py', '../_base_/datasets/minihumans_market1501.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_reid_cpu.py'
]
# half-width ResNet-18 (32 base channels, 256 at the last stage), from scratch
model = dict(
    pretrained=None,
    channels_last=True,
    backbone=dict(stem_channels=32, base_channels=32),
    head=dict(in_channels=256, num_classes=150))
env_cfg = dict(cudnn_benchmark=False)
default_hooks = dict(visualization=dict(type='SegVisualizationHook'))
randomness = dict(seed=0)
