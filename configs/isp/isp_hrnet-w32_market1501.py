# ISP (Zhu et al., "Identity-Guided Human Semantic Parsing for Person Re-Identification", ECCV 2020)
# on Market-1501: HRNet-W32 (ImageNet), 256 x 128 input, K = 4 (background + 3 parts; paper
# Table 4's best on Market-1501, whose numbers are Table 1's: R1 95.3, mAP 88.6; the official
# script ISP-Market1501.sh uses K = 7: --cfg-options model.part_head.num_classes=7).
# Cascaded clustering of M_g per identity every 2 epochs, not after epoch 101 (official
# CLUSTERING.PERIOD / STOP; the paper: every epoch, default_hooks.clustering.interval=1), sharpened
# activation (official CLUSTERING.ENHANCED). Adam 3.5e-4, 10 warm-up epochs, x0.1 at 40 / 70,
# 120 epochs, 16 identities x 4 images. Retrieval: Euclidean distance of the l2-normalised
# concatenation [parts, global, foreground] of the BN-neck features (the official TEST.FEAT_NORM
# ranking without aligned matching; the same ranking as their cosine distance).
#   python tools/train.py configs/isp/isp_hrnet-w32_market1501.py
#   bash tools/dist_train.sh configs/isp/isp_hrnet-w32_market1501.py 4
#   python tools/test.py configs/isp/isp_hrnet-w32_market1501.py work_dirs/.../best_reid_mAP_*.pth
_base_ = [
    '../_base_/models/isp_hrnet-w32.py', '../_base_/datasets/market1501.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_isp_120e.py'
]
model = dict(part_head=dict(num_classes=4), reid_head=dict(num_classes=751))
# ISP on a re-ID dataset base: train with its pseudo-label pipeline, cluster with its test
# pipeline (whole un-augmented images), rank by the l2-normalised concatenation
train_dataloader = dict(dataset=dict(pipeline={{_base_.pseudo_label_train_pipeline}}))
default_hooks = dict(clustering=dict(pipeline={{_base_.test_pipeline}}))
val_evaluator = dict(type='ReIDMetric', distance='euclidean', normalize_feature=True)
test_evaluator = val_evaluator
randomness = dict(seed=0)
