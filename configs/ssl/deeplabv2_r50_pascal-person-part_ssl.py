# SSL step 2 on PASCAL-Person-Part: joint groups head / torso / arms / legs
# (PascalPersonPartDataset.METAINFO['joint_groups']; the paper gives no grouping for this label set).
_base_ = ['./deeplabv2_r50_pascal-person-part.py']
load_from = 'work_dirs/deeplabv2_r50_pascal-person-part/iter_20000.pth'
model = dict(
    pretrained=None,
    decode_head=dict(
        loss_decode=dict(_delete_=True, type='StructureSensitiveLoss', sigma=48.0, heatmap_stride=8)))
train_cfg = dict(max_iters=12000, val_interval=2000)
param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=12000,
                        by_epoch=False)]
optim_wrapper = dict(optimizer=dict(lr=0.001))
