# mmdet's Mask R-CNN R50-FPN 1x (COCO) with its person masks re-scored by QANet's QAM
# (S_q = sqrt(S_b * S_p), paper Table 7 weights (1.0, 0.0, 1.0)); the other classes keep their
# scores. Run from the repository root with PYTHONPATH=$PWD (custom_imports loads the module).
_base_ = 'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py'
custom_imports = dict(imports=['projects.qam_rescoring.qam_rescoring'],
                      allow_failed_imports=False)
model = dict(
    _delete_=True,
    type='QAMRescoredDetector',
    detector={{_base_.model}},
    classes=('person', ),
    quality_weights=(1.0, 0.0, 1.0),
    pixel_score_thr=0.2)
