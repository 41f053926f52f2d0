# SSL step 2 (LIP paper Sec. 4-5): fine-tune the baseline with the structure-sensitive loss
# L_structure = L_joint * L_parsing (per image). Joint groups come from LIPDataset's metainfo
# (DatasetMetaHook in default_runtime). sigma/stride are in label pixels: 48/8 at 321x321 as the
# official code (6 px at 1/8 resolution).
# python tools/train.py configs/ssl/deeplabv2_r50_lip_ssl.py \
#     --cfg-options load_from=work_dirs/deeplabv2_r50_lip/iter_80000.pth
_base_ = ['./deeplabv2_r50_lip.py']
load_from = 'work_dirs/deeplabv2_r50_lip/iter_80000.pth'
model = dict(
    pretrained=None,
    decode_head=dict(
        loss_decode=dict(_delete_=True, type='StructureSensitiveLoss', sigma=48.0, heatmap_stride=8,
                         loss_weight=1.0)))
# the paper fine-tunes for ~2/3 of the baseline's epochs
train_cfg = dict(max_iters=50000, val_interval=5000)
param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=50000,
                        by_epoch=False)]
optimizer = dict(type='SGD', lr=0.001, momentum=0.9, weight_decay=0.0005)
optim_wrapper = dict(type='OptimWrapper', optimizer=optimizer)
