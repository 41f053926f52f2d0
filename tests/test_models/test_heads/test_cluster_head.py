import os.path as osp

import pytest
import torch
from mmengine.config import Config

from conftest import ROOT
from hp_mm.models.heads import ClusterHead
from hp_mm.structures import cluster_loss


def _head(**kwargs):
    head = ClusterHead(num_classes=3, channels=4, **kwargs)
    g = torch.Generator().manual_seed(0)
    head.set_centroids(1, torch.randn(3, 4, generator=g), torch.tensor([1.0, 2.0, 5.0]))
    head.set_centroids(2, torch.randn(3, 4, generator=g), torch.tensor([4.0, 4.0, 0.0]))
    return head


def test_picie_loss_within_and_cross():
    head = _head()
    g = torch.Generator().manual_seed(1)
    y1, y2 = torch.randn(2, 4, 3, 3, generator=g), torch.randn(2, 4, 3, 3, generator=g)
    z1 = torch.randint(0, 3, (2, 3, 3), generator=g)
    z2 = torch.randint(0, 3, (2, 3, 3), generator=g)
    mu1, mu2 = head.centroids
    w1, w2 = torch.tensor([0.125, 0.25, 0.625]), torch.tensor([0.5, 0.5, 0.0])
    assert torch.allclose(head.cluster_weight, torch.stack([w1, w2]))
    within = (cluster_loss(y1, mu1, z1, w1) + cluster_loss(y2, mu2, z2, w2)) / 2
    cross = (cluster_loss(y1, mu2, z2, w2) + cluster_loss(y2, mu1, z1, w1)) / 2
    out = head.loss(y1, y2, z1, z2)
    assert out['view_within'].item() == pytest.approx(within.item(), rel=1e-6)
    assert out['view_cross'].item() == pytest.approx(cross.item(), rel=1e-6)
    assert out['loss_view'].item() == pytest.approx((within + cross).item() / 2, rel=1e-6)
    # eq. 7 alone, unbalanced
    out = _head(cross_view=False, balance=False).loss(y1, y2, z1, z2)
    within = (cluster_loss(y1, mu1, z1) + cluster_loss(y2, mu2, z2)) / 2
    assert 'view_cross' not in out
    assert out['loss_view'].item() == pytest.approx(within.item(), rel=1e-6)


def test_predict_uses_view_one_centroids_and_needs_clustering():
    head = _head()
    y = torch.randn(1, 4, 2, 2)
    logits = head.predict(y)
    f = torch.nn.functional.normalize(y, dim=1)
    assert torch.allclose(logits, torch.einsum('bchw,kc->bkhw', f, head.centroids[0]))
    with pytest.raises(RuntimeError, match="default_hooks = dict\\(clustering=dict\\("
                       "type='C2LClusteringHook'"):
        ClusterHead(num_classes=3, channels=4).predict(y)
    # the message names the form of the repository's C2L configs
    hooks = Config.fromfile(osp.join(ROOT, 'configs/c2l/c2l_fpn-r18_atr-3class.py')).default_hooks
    assert hooks.clustering.type == 'C2LClusteringHook'
    with pytest.raises(ValueError, match='shape'):
        head.set_centroids(1, torch.zeros(2, 4))
