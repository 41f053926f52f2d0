# PiCIE / C²L model (C²L Sec. 4.2): ResNet-18 -> FPN with 128-d fusion, the stride-4 map is the
# pixel embedding (PiCIE's FPNDecoder output o4); K = 3 clusters (ATR merged to 3 classes);
# PiCIE's cluster loss (within + cross view, frequency-balanced). The C²L modules are in
# `part_head_cfg` / `pixel_module_cfg` / `sparse_module_cfg`, switched on by the Table 1 configs.
norm_cfg = dict(type='BN', requires_grad=True)
num_clusters = 3
embed_dims = 128
model = dict(
    type='C2L',
    data_preprocessor=dict(
        type='TwoViewSegDataPreProcessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_val=0,
        seg_pad_val=255),
    backbone=dict(
        type='ResNet',
        depth=18,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet18')),
    neck=dict(type='FPN', in_channels=[64, 128, 256, 512], out_channels=embed_dims, num_outs=4),
    feature_index=0,
    decode_head=dict(
        type='ClusterHead',
        num_classes=num_clusters,
        channels=embed_dims,
        cross_view=True,
        balance=True))
# Table 1 row 2: part contrastive module, alpha = 0.5 (eq. 8), tau = 0.07 (the paper's [18])
part_head_cfg = dict(
    type='PartContrastiveHead',
    in_channels=embed_dims,
    num_parts=num_clusters,
    part_channels=32,
    temperature=0.07,
    loss_weight=0.5)
# Table 1 row 3: pixel consistent module with an ordinary FFN
pixel_module_cfg = dict(
    type='PixelConsistentModule', embed_dims=embed_dims, num_heads=4, ffn='mlp',
    feedforward_channels=4 * embed_dims)
# Table 1 row 4: pixel consistent module with the sparse-code FFN, beta = 0.3 (eq. 8)
sparse_module_cfg = dict(
    type='PixelConsistentModule', embed_dims=embed_dims, num_heads=4, ffn='sparse',
    num_atoms=embed_dims // 2, lam=0.1, num_steps=3, loss_weight=0.3)
