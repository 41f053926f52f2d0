# FCOS-R50 person detector for CIHP: the boxes QANet is evaluated with (QANet README: "FCOS-R50 ...
# 73.1 AP on CIHP val"; paper Sec. 4.1). A plain mmdet config (default_scope='mmdet'): mmdet's FCOS
# with the center-sampling / norm-bbox / centerness-on-reg / GIoU improvements (38.7 COCO box AP),
# one class 'person', fine-tuned from mmdet's COCO checkpoint (its 80-class classifier is skipped
# with a size-mismatch warning and re-initialised).
#
# Data (CIHP's official layout + QANet's COCO json; MiniHumans writes the same with
# `python tools/dataset_converters/generate_minihumans.py cihp data/CIHP`):
#   data/CIHP/instance-level_human_parsing/{Training,Validation}/Images/<id>.jpg
#   data/CIHP/instance-level_human_parsing/annotations/CIHP_{train,val}.json
# Train (8 GPUs x 2 images, mmdet's 1x schedule):
#   bash tools/dist_train.sh configs/qanet/detectors/fcos_r50_fpn_cihp.py 8
# Person boxes of CIHP val for the parser (writes work_dirs/fcos_r50_fpn_cihp/cihp_val.bbox.json):
#   python tools/test.py configs/qanet/detectors/fcos_r50_fpn_cihp.py CKPT \
#       --cfg-options test_evaluator.format_only=True \
#       test_evaluator.outfile_prefix=work_dirs/fcos_r50_fpn_cihp/cihp_val
_base_ = 'mmdet::fcos/fcos_r50-caffe_fpn_gn-head-center-normbbox-centeronreg-giou_1x_coco.py'

data_root = 'data/CIHP/instance-level_human_parsing/'
metainfo = dict(classes=('person', ), palette=[(220, 20, 60)])

model = dict(bbox_head=dict(num_classes=1))

train_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations/CIHP_train.json',
        data_prefix=dict(img='Training/Images/')))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations/CIHP_val.json',
        data_prefix=dict(img='Validation/Images/')))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/CIHP_val.json')
test_evaluator = val_evaluator

load_from = ('https://download.openmmlab.com/mmdetection/v2.0/fcos/'
             'fcos_center-normbbox-centeronreg-giou_r50_caffe_fpn_gn-head_1x_coco/'
             'fcos_center-normbbox-centeronreg-giou_r50_caffe_fpn_gn-head_1x_coco-0a0d75a8.pth')
# mmdet's 1x schedule was set for 8 GPUs x 2 images; scale the lr with the real batch size
auto_scale_lr = dict(enable=False, base_batch_size=16)
