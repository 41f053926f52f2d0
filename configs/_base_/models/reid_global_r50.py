# The strong re-ID baseline (Luo et al., "Bag of Tricks", CVPRW 2019): ImageNet ResNet-50 with
# last stride 1 -> global average pooling -> BN-neck -> label-smoothed cross-entropy (eps 0.1)
# + batch-hard triplet (margin 0.3, on the feature before the BN); retrieval on the BN feature.
data_preprocessor = dict(
    type='ImgDataPreprocessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True)
model = dict(
    type='GlobalReID',
    data_preprocessor=data_preprocessor,
    pretrained='torchvision://resnet50',
    backbone=dict(
        type='ResNet', depth=50, num_stages=4, strides=(1, 2, 2, 1), dilations=(1, 1, 1, 1),
        out_indices=(3, ), style='pytorch', norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False),
    head=dict(
        type='BNNeckHead',
        in_channels=2048,
        num_classes=751,  # training identities (Market-1501); DatasetMetaHook checks it
        loss_cls=dict(type='LabelSmoothCrossEntropyLoss', epsilon=0.1, loss_weight=1.0),
        loss_triplet=dict(type='mmdet.TripletLoss', margin=0.3, loss_weight=1.0),
        triplet_on='pre_bn',
        test_feature='post_bn'))
