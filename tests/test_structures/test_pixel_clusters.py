import math

import pytest
import torch

from hp_mm.structures import (apply_view_geometry, cluster_balance_weight, cluster_logits,
                              cluster_loss)


def _hand_loss(feats, centroids, labels, weight=None):
    """-log softmax(<f/|f|, mu_k>)[z], weighted mean, written out per pixel."""
    num, den = 0.0, 0.0
    b, c, h, w = feats.shape
    for i in range(b):
        for y in range(h):
            for x in range(w):
                f = feats[i, :, y, x].tolist()
                norm = math.sqrt(sum(v * v for v in f))
                f = [v / norm for v in f]
                logits = [sum(a * m for a, m in zip(f, mu)) for mu in centroids.tolist()]
                z = int(labels[i, y, x])
                if z == 255:
                    continue
                nll = -(logits[z] - math.log(sum(math.exp(l) for l in logits)))
                wz = 1.0 if weight is None else float(weight[z])
                num += wz * nll
                den += wz
    return num / den


def test_cluster_loss_equals_hand_computation():
    feats = torch.tensor([[[[3.0, 0.0]], [[4.0, 2.0]]]])  # (1, 2, 1, 2): (3, 4) and (0, 2)
    centroids = torch.tensor([[1.0, 0.0], [0.0, 2.0], [-1.0, -1.0]])
    labels = torch.tensor([[[0, 1]]])
    # pixel 1: f = (0.6, 0.8), logits (0.6, 1.6, -1.4); pixel 2: f = (0, 1), logits (0, 2, -1)
    p1 = -(0.6 - math.log(math.exp(0.6) + math.exp(1.6) + math.exp(-1.4)))
    p2 = -(2.0 - math.log(1 + math.exp(2.0) + math.exp(-1.0)))
    assert cluster_loss(feats, centroids, labels).item() == pytest.approx((p1 + p2) / 2, abs=1e-6)
    weight = torch.tensor([0.25, 0.75, 0.0])
    expected = (0.25 * p1 + 0.75 * p2) / (0.25 + 0.75)
    got = cluster_loss(feats, centroids, labels, weight).item()
    assert got == pytest.approx(expected, abs=1e-6)


def test_cluster_loss_random_matches_loop_and_ignores_255():
    g = torch.Generator().manual_seed(0)
    feats = torch.randn(2, 4, 3, 2, generator=g)
    centroids = torch.randn(3, 4, generator=g)
    labels = torch.randint(0, 3, (2, 3, 2), generator=g)
    weight = torch.rand(3, generator=g)
    got = cluster_loss(feats, centroids, labels, weight).item()
    assert got == pytest.approx(_hand_loss(feats, centroids, labels, weight), abs=1e-5)
    # an ignored pixel drops out of the numerator and the denominator
    masked = labels.clone()
    masked[0, 0, 0] = 255
    got = cluster_loss(feats, centroids, masked, weight).item()
    assert got == pytest.approx(_hand_loss(feats, centroids, masked, weight), abs=1e-5)
    assert got != pytest.approx(_hand_loss(feats, centroids, labels, weight), abs=1e-5)


def test_cluster_loss_no_gradient_to_centroids_and_shape_errors():
    feats = torch.randn(1, 2, 2, 2, requires_grad=True)
    centroids = torch.randn(3, 2, requires_grad=True)
    cluster_loss(feats, centroids, torch.zeros(1, 2, 2, dtype=torch.long)).backward()
    assert centroids.grad is None and feats.grad is not None
    with pytest.raises(ValueError, match='labels must have shape'):
        cluster_loss(feats, centroids, torch.zeros(1, 3, 2, dtype=torch.long))
    with pytest.raises(ValueError, match='centroids must have shape'):
        cluster_logits(feats, torch.randn(3, 5))


def test_cluster_balance_weight_is_frequency():
    w = cluster_balance_weight(torch.tensor([2, 6, 0, 12]))
    assert w.tolist() == pytest.approx([0.1, 0.3, 0.0, 0.6])
    with pytest.raises(ValueError):
        cluster_balance_weight(torch.zeros(3))


def test_view_geometry_identity_flip_and_crop():
    x = torch.arange(2 * 16, dtype=torch.float32).reshape(2, 1, 4, 4)
    same = apply_view_geometry(x, [[0, 0, 1, 1], [0, 0, 1, 1]], [False, True])
    assert torch.equal(same[0], x[0])
    assert torch.equal(same[1], x[1].flip(-1))
    # quarter crops resized to 2x2 take exactly the pixels of the quarter
    quarter = apply_view_geometry(x, [[0, 0, 0.5, 0.5], [0.5, 0.5, 1, 1]], [False, False],
                                  out_size=(2, 2))
    assert torch.equal(quarter[0, 0], x[0, 0, :2, :2])
    assert torch.equal(quarter[1, 0], x[1, 0, 2:, 2:])
    # integer maps (labels) keep their dtype with nearest sampling
    lab = torch.randint(0, 5, (1, 1, 4, 4))
    out = apply_view_geometry(lab, [[0.5, 0, 1, 0.5]], [True], out_size=(2, 2), mode='nearest')
    assert out.dtype == lab.dtype and torch.equal(out[0, 0], lab[0, 0, :2, 2:].flip(-1))


def test_view_geometry_is_resolution_consistent():
    """The same relative crop on an image and on its 2x2-average-pooled map covers the
    same content (G commutes with pooling for a crop on the pooling grid)."""
    g = torch.Generator().manual_seed(1)
    img = torch.rand(1, 3, 8, 8, generator=g)
    pool = torch.nn.functional.avg_pool2d
    crop, flip = [[0.25, 0.5, 0.75, 1.0]], [True]
    a = pool(apply_view_geometry(img, crop, flip, out_size=(4, 4)), 2)  # crop of 4x4 pixels
    b = apply_view_geometry(pool(img, 2), crop, flip, out_size=(2, 2))
    assert torch.allclose(a, b, atol=1e-6)
    with pytest.raises(ValueError, match='one crop box'):
        apply_view_geometry(img, [[0, 0, 1, 1], [0, 0, 1, 1]], [False])
