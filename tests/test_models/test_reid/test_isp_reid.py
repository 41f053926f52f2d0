"""The ISP model: losses of eq. 7 and the predict fields ReIDMetric and the parsing metric read."""
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

import hp_mm  # noqa: F401
from conftest import ROOT
from hp_mm.models.heads.isp_part_head import part_visibility
from hp_mm.registry import MODELS


def tiny_isp(k=4, num_ids=3, **kw):
    init_default_scope('hp_mm')
    model = MODELS.build(dict(
        type='ISPReID',
        data_preprocessor=dict(type='ImgDataPreprocessor', mean=[123.675, 116.28, 103.53],
                               std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
        backbone=dict(type='UpsampleResNet', depth=18, stem_channels=8, base_channels=8),
        neck=dict(type='ISPNeck', in_channels=[64], out_channels=16),
        part_head=dict(type='ISPPartHead', num_classes=k),
        reid_head=dict(type='BNNeckHead', num_classes=num_ids), **kw))
    model.init_weights()
    return model


def batch(n=6, num_ids=3, k=4, size=(64, 32)):
    g = torch.Generator().manual_seed(0)
    inputs = list(torch.randint(0, 256, (n, 3) + size, dtype=torch.uint8, generator=g))
    samples = []
    for i in range(n):
        ds = SegDataSample(metainfo=dict(label=i % num_ids, img_path=f'{i}.jpg',
                                         ori_shape=(size[0] // 2, size[1] // 2)))
        ds.gt_pseudo_seg = PixelData(data=torch.randint(0, k, (1, ) + size, generator=g))
        samples.append(ds)
    return dict(inputs=inputs, data_samples=samples)


def test_isp_losses_are_eq7():
    torch.manual_seed(0)
    model = tiny_isp()
    data = model.data_preprocessor(batch(), True)
    losses = model(**data, mode='loss')
    expected_keys = {f'loss_{p}_{t}' for p in ('part', 'fore', 'global')
                     for t in ('cls', 'triplet')} | {'loss_parsing'}
    assert expected_keys <= set(losses)
    # recompute every term from the pooled features (eq. 5-7)
    out = model._forward_features(data['inputs'])
    labels = torch.tensor([i % 3 for i in range(6)])
    ref = {}
    for name, head, feat in (('part', model.parts_head, out['parts'].flatten(1)),
                             ('fore', model.foreground_head, out['foreground']),
                             ('global', model.global_head, out['glob'])):
        ref.update(head.loss(feat, labels, prefix=f'{name}_'))
    for key in expected_keys - {'loss_parsing'}:
        assert math.isclose(losses[key].item(), ref[key].item(), rel_tol=1e-4), key
    # F_f is the sum of the parts, F_g the plain GAP of M_g
    assert torch.allclose(out['foreground'], out['parts'].sum(1), atol=1e-5)
    assert torch.allclose(out['glob'], out['feats'].mean((2, 3)), atol=1e-6)
    # alpha = 0.1 times the mean CE of the part map against the pseudo-labels (nearest to 16 x 8)
    pseudo = torch.stack([ds.gt_pseudo_seg.data[0, ::4, ::4] for ds in data['data_samples']])
    ce = torch.nn.functional.cross_entropy(out['logits'], pseudo)
    assert math.isclose(losses['loss_parsing'].item(), 0.1 * ce.item(), rel_tol=1e-4)
    # total is differentiable down to the backbone
    total = sum(v for k, v in losses.items() if k.startswith('loss_'))
    total.backward()
    assert model.backbone.conv1.weight.grad.abs().sum() > 0


def test_isp_predict_fields():
    model = tiny_isp()
    model.eval()
    data = batch()
    results = model.test_step(data)
    with torch.no_grad():
        x = model.data_preprocessor(data, False)['inputs']
        out = model._forward_features(x)
    vis = part_visibility(out['logits'])
    for i, ds in enumerate(results):
        parts = model.parts_head.predict(out['parts'].flatten(1))[i]
        glob = model.global_head.predict(out['glob'])[i]
        fore = model.foreground_head.predict(out['foreground'])[i]
        assert ds.pred_feature.shape == (3 * 16 + 16 + 16, )  # [(K-1) C parts, C, C]
        assert torch.allclose(ds.pred_feature, torch.cat([parts, glob, fore]), atol=1e-5)
        assert torch.allclose(ds.pred_part_features, parts.view(3, 16), atol=1e-5)
        assert torch.allclose(ds.pred_global_feature, glob, atol=1e-5)
        assert torch.allclose(ds.pred_foreground_feature, fore, atol=1e-5)
        assert torch.equal(ds.pred_part_visibility, vis[i])
        assert ds.pred_part_seg.data.shape == (1, 32, 16)  # the original image size
        assert ds.pred_part_seg.data.max() < 4
    assert torch.equal(model.extract_clustering_feat(x), out['feats'])


def test_isp_concat_global_feature_and_errors():
    model = tiny_isp(global_feature='concat')
    assert model.global_head.in_channels == 64 and model.parts_head.in_channels == 48
    with pytest.raises(ValueError, match='global_feature'):
        tiny_isp(global_feature='big')
    plain = tiny_isp()
    data = batch()
    for ds in data['data_samples']:
        del ds.gt_pseudo_seg
    with pytest.raises(KeyError, match="LoadPseudoLabels.*default_hooks = dict\\(clustering="
                       "dict\\(type='ISPClusteringHook'"):
        plain(**plain.data_preprocessor(data, True), mode='loss')
    # the message names the form of the repository's ISP configs
    hooks = Config.fromfile(osp.join(ROOT, 'configs/isp/isp_r18_minihumans.py')).default_hooks
    assert hooks.clustering.type == 'ISPClusteringHook'
