# QAM re-scoring of every class (the paper's Table 7 setting: COCO AP^m 35.2 -> 36.2).
_base_ = './mask-rcnn_r50_fpn_1x_coco_qam-person.py'
model = dict(classes=None)
