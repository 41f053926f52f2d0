# SCHP / CE2P (Li et al., "Self-Correction for Human Parsing", TPAMI 2020): a dilated ResNet-101
# (3-conv stem 64/64/128, output stride 16) + CE2PHead (PSP context, 1/4 decoder with a 48-channel
# skip, edge branch over layers 1-3, fusion), as GoGoDuck912/Self-Correction-Human-Parsing
# networks/AugmentCE2P.py. Its InPlaceABNSync is a BN with scale |w| + 1e-5 (folded into the weights
# by tools/model_converters/schp2hpmm.py) and, in the head, LeakyReLU(0.01).
# Input as SCHP's simple_extractor.py: BGR on [0, 1], mean [0.406, 0.456, 0.485],
# std [0.225, 0.224, 0.229]; the image is scaled into the square input keeping its aspect ratio.
norm_cfg = dict(type='SyncBN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[103.53, 116.28, 123.675],  # x255, BGR order
    std=[57.375, 57.12, 58.395],
    bgr_to_rgb=False,  # SCHP feeds cv2's BGR images
    size=(473, 473),  # LIP; 512x512 for ATR and PASCAL-Person-Part
    # test images (resized keeping the aspect ratio) are padded to the square input at the
    # right / bottom; the padding is removed again before resizing back (mmseg postprocess_result)
    test_cfg=dict(size=(473, 473)),
    pad_val=0,
    seg_pad_val=255)
model = dict(
    type='ParsingEncoderDecoder',
    data_preprocessor=data_preprocessor,
    pretrained=None,  # SCHP's ImageNet ResNet-101 has a 128-channel stem (not open-mmlab's v1c)
    backbone=dict(
        type='ResNetV1c',
        depth=101,
        stem_channels=128,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 2),
        contract_dilation=False,  # every layer-4 block has dilation 2 (multi_grid (1, 1, 1))
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch'),
    decode_head=dict(
        type='CE2PHead',
        in_channels=[256, 512, 1024, 2048],
        in_index=[0, 1, 2, 3],
        channels=256,
        psp_channels=512,
        pool_scales=(1, 2, 3, 6),
        skip_channels=48,
        edge_channels=256,
        dropout_ratio=0.1,
        num_classes=20,
        norm_cfg=norm_cfg,
        act_cfg=dict(type='LeakyReLU', negative_slope=0.01),
        align_corners=True,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    # SCHP's extractor has no flip test; flip=True averages with the mirrored image, left/right
    # channels swapped back (flip_pairs from the checkpoint's / dataset's metainfo)
    test_cfg=dict(mode='whole', flip=False))
