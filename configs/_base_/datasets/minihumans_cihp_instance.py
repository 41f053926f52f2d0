# MiniHumans in the CIHP layout (generate it first):
#   python tools/dataset_converters/generate_minihumans.py cihp data/minihumans/CIHP \
#       --num-train 1200 --num-val 100
# Same reader (CIHPInstanceDataset, QANet's json) and pipelines as the real CIHP, with small crops
# (96 x 128, W x H, still 3:4) for CPU training.
_base_ = ['./cihp_instance.py']
data_root = 'data/minihumans/CIHP/instance-level_human_parsing'
input_size = (96, 128)
train_pipeline = [
    dict(type='LoadParsingImageFromFile'),
    dict(type='LoadPersonParsingAnnotation'),
    dict(type='PersonBBoxCenterScale', input_size=input_size, padding=1.25),
    dict(type='PersonRandomFlip', prob=0.5),
    dict(type='PersonRandomScaleRotate', scale_factor=0.3, rotate_factor=40, rotate_prob=0.6),
    dict(type='PersonAffine', input_size=input_size),
    dict(type='PackSegInputs', meta_keys={{_base_.train_meta_keys}}),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=1,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(num_workers=1, dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
