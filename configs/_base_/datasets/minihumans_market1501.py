# MiniHumans in the Market-1501 layout (generate it first; sizes are identities):
#   python tools/dataset_converters/generate_minihumans.py market1501 data/minihumans/market1501 \
#       --num-train 150 --num-val 50 --seed 0 --workers 2
# Same reader (Market1501Dataset) and names as the real Market-1501: 128 x 64 crops, 2-6 of 6
# cameras per identity, one query per camera, pid 0000 distractors and pid -1 junk in the
# gallery. Ground-truth LIP part masks lie on the side in hp_mm_part_masks/<folder>/<stem>.png:
# give the datasets part_mask_prefix='hp_mm_part_masks' and add dict(type='LoadReIDPartMask')
# after LoadImageFromFile to get `gt_part_seg`.
_base_ = ['./market1501.py']
data_root = 'data/minihumans/market1501/Market-1501-v15.09.15'
input_size = (64, 128)  # (w, h): MiniHumans' native crop size
lip_flip_pairs = ((14, 15), (16, 17), (18, 19))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ReIDResize', scale=input_size),
    dict(type='ReIDRandomFlip', prob=0.5, seg_swap_pairs=dict(gt_part_seg=lip_flip_pairs)),
    dict(type='ReIDRandomPadCrop', padding=5),
    dict(type='ReIDRandomErasing', prob=0.5),
    dict(type='PackReIDInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ReIDResize', scale=input_size),
    dict(type='PackReIDInputs'),
]
pseudo_label_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadPseudoLabels'),
    dict(type='ReIDResize', scale=input_size),
    dict(type='ReIDRandomFlip', prob=0.5),
    dict(type='ReIDRandomPadCrop', padding=5),
    dict(type='ReIDRandomErasing', prob=0.5, fill='image_mean', seg_fill=0),
    dict(type='PackReIDInputs'),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=1,
    sampler=dict(type='IdentityBalancedSampler', num_identities=8, num_instances=4),
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=1,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
