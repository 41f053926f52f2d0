import pytest
import torch
import torch.nn as nn
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.models import SegDataPreProcessor
from mmseg.structures import SegDataSample

from hp_mm.registry import MODELS
from hp_mm.structures import apply_view_geometry


@MODELS.register_module(force=True)
class _C2LTestIdentity(nn.Module):
    """A backbone that returns its input (stride 1, C = 3) or its 4x4 average pool."""

    def __init__(self, stride=1):
        super().__init__()
        self.stride = stride
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return (x if self.stride == 1 else nn.functional.avg_pool2d(x, self.stride)) + self.dummy


def _samples(crops, flips, labels=None):
    out = []
    for i, (c, f) in enumerate(zip(crops, flips)):
        s = SegDataSample(metainfo=dict(view_crop=tuple(c), view_flip=f, img_shape=(8, 8),
                                        ori_shape=(8, 8), sample_idx=i))
        if labels is not None:
            s.gt_pseudo_seg = PixelData(data=labels[i])
        out.append(s)
    return out


def _model(stride=1, channels=3, **kwargs):
    init_default_scope('hp_mm')
    return MODELS.build(dict(
        type='C2L', backbone=dict(type='_C2LTestIdentity', stride=stride),
        decode_head=dict(type='ClusterHead', num_classes=2, channels=channels), **kwargs))


def test_geometry_on_features_equals_features_of_transformed_image():
    """Algorithm 1: G(f(x)) (view 1) == f(G(x)) (view 2) for an identity backbone, so the two
    views' pixel features are aligned; exactly so for a pooling backbone and a flip/grid crop."""
    g = torch.Generator().manual_seed(0)
    x = torch.rand(3, 3, 8, 8, generator=g)
    crops = [[0.1, 0.2, 0.7, 0.8], [0.0, 0.0, 1.0, 1.0], [0.5, 0.25, 1.0, 0.75]]
    flips = [True, False, True]
    model = _model()
    m1, m2 = model.view_features(torch.cat([x, x], 1), _samples(crops, flips))
    assert torch.allclose(m1, m2, atol=1e-6)
    assert torch.allclose(m2, apply_view_geometry(x, crops, flips), atol=1e-6)
    assert not torch.allclose(m2, x)
    pooled = _model(stride=4)
    crops = [[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0]]
    m1, m2 = pooled.view_features(torch.cat([x, x], 1), _samples(crops, [True, False, True]))
    assert m1.shape == m2.shape == (3, 3, 2, 2)
    assert torch.allclose(m1, m2, atol=1e-6)


def test_two_view_data_preprocessor_normalises_each_view_like_an_image():
    init_default_scope('hp_mm')
    cfg = dict(mean=[10.0, 20.0, 30.0], std=[2.0, 4.0, 8.0], bgr_to_rgb=True)
    two = MODELS.build(dict(type='TwoViewSegDataPreProcessor', **cfg))
    one = SegDataPreProcessor(**cfg)
    g = torch.Generator().manual_seed(0)
    v1 = torch.randint(0, 256, (2, 3, 6, 5), generator=g, dtype=torch.uint8)
    v2 = torch.randint(0, 256, (2, 3, 6, 5), generator=g, dtype=torch.uint8)
    samples = [SegDataSample() for _ in range(2)]
    out = two(dict(inputs=list(torch.cat([v1, v2], 1)), data_samples=samples), training=True)
    ref1 = one(dict(inputs=list(v1), data_samples=samples), training=False)['inputs']
    ref2 = one(dict(inputs=list(v2), data_samples=samples), training=False)['inputs']
    assert out['inputs'].shape == (2, 6, 6, 5)
    assert torch.allclose(out['inputs'], torch.cat([ref1, ref2], 1))
    # 3-channel inputs take SegDataPreProcessor's path
    assert torch.allclose(two(dict(inputs=list(v1), data_samples=samples))['inputs'], ref1)


def test_loss_and_predict_of_a_small_c2l():
    torch.manual_seed(0)
    init_default_scope('hp_mm')
    model = MODELS.build(dict(
        type='C2L',
        backbone=dict(type='ResNet', depth=18, stem_channels=8, base_channels=8,
                      out_indices=(0, 1, 2, 3)),
        neck=dict(type='FPN', in_channels=[8, 16, 32, 64], out_channels=16, num_outs=4),
        pixel_module=dict(type='PixelConsistentModule', embed_dims=16, num_heads=2,
                          ffn='sparse', num_atoms=8),
        part_head=dict(type='PartContrastiveHead', in_channels=16, num_parts=3, part_channels=4),
        decode_head=dict(type='ClusterHead', num_classes=3, channels=16)))
    model.decode_head.set_centroids(1, torch.randn(3, 16), torch.ones(3))
    model.decode_head.set_centroids(2, torch.randn(3, 16), torch.ones(3))
    inputs = torch.randn(2, 6, 32, 32)
    labels = torch.randint(0, 3, (2, 2, 8, 8))
    samples = _samples([[0, 0, 1, 1], [0.25, 0.25, 0.75, 0.75]], [False, True], labels)
    losses = model.loss(inputs, samples)
    assert set(losses) == {'loss_view', 'view_within', 'view_cross', 'loss_part_contrast',
                           'loss_sparse_code'}
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert model.backbone.conv1.weight.grad is not None
    assert model.pixel_module.ffn.dictionary.grad is not None
    model.eval()
    with torch.no_grad():
        preds = model.predict(inputs[:, :3], _samples([[0, 0, 1, 1]] * 2, [False] * 2))
    seg = preds[0].pred_sem_seg.data
    assert seg.shape == (1, 8, 8) and int(seg.min()) >= 0 and int(seg.max()) < 3
    with pytest.raises(ValueError, match='gt_pseudo_seg must have shape'):
        model.loss(inputs, _samples([[0, 0, 1, 1]] * 2, [False] * 2, labels[:, :, :4]))
    with pytest.raises(ValueError, match='two stacked views'):
        model.loss(inputs[:, :3], samples)
