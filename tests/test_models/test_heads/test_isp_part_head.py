"""ISP part classifier, weighted pooling (eq. 2, 5-7) and visibility (eq. 8) by hand."""
import math

import pytest
import torch
import torch.nn.functional as F

import hp_mm  # noqa: F401
from hp_mm.models.heads.isp_part_head import ISPPartHead, part_visibility, weighted_part_pooling
from hp_mm.registry import MODELS


def test_weighted_part_pooling_by_hand():
    # M_g: 1 image, C = 2, 1 x 2 map; K = 3 (background + 2 parts)
    feats = torch.tensor([[[[2., 4.]], [[1., -1.]]]])  # channel 0: (2, 4), channel 1: (1, -1)
    probs = torch.tensor([[[[0.5, 0.0]],   # P_0 (background)
                           [[0.5, 0.25]],  # P_1
                           [[0.0, 0.75]]]])  # P_2
    parts, fore, glob = weighted_part_pooling(feats, probs)
    # F_1 = GAP(P_1 * M_g) = ((0.5*2 + 0.25*4) / 2, (0.5*1 + 0.25*-1) / 2) = (1.0, 0.125)
    # F_2 = ((0 + 0.75*4) / 2, (0 + 0.75*-1) / 2) = (1.5, -0.375)
    assert torch.allclose(parts, torch.tensor([[[1.0, 0.125], [1.5, -0.375]]]))
    # F_f = GAP((P_1 + P_2) * M_g) = F_1 + F_2 = (2.5, -0.25); F_g = GAP(M_g) = (3, 0)
    assert torch.allclose(fore, torch.tensor([[2.5, -0.25]]))
    assert torch.allclose(glob, torch.tensor([[3.0, 0.0]]))


def test_weighted_part_pooling_matches_loop():
    torch.manual_seed(0)
    feats = torch.randn(3, 5, 4, 2)
    probs = torch.randn(3, 4, 4, 2).softmax(1)
    parts, fore, glob = weighted_part_pooling(feats, probs)
    for k in range(1, 4):  # M_k = P_k o M_g, F_k = GAP(M_k)
        assert torch.allclose(parts[:, k - 1], (probs[:, k:k + 1] * feats).mean((2, 3)), atol=1e-6)
    assert torch.allclose(fore, (probs[:, 1:].sum(1, keepdim=True) * feats).mean((2, 3)), atol=1e-6)
    assert torch.allclose(glob, feats.mean((2, 3)))
    with pytest.raises(ValueError, match='must agree'):
        weighted_part_pooling(feats, probs[:, :, :2])


def test_part_visibility_by_hand():
    # K = 4, 2 images on a 1 x 3 map; argmax per position:
    # image 0: (1, 1, 3) -> parts 1 and 3 visible; image 1: (0, 0, 2) -> part 2 only
    logits = torch.full((2, 4, 1, 3), -5.0)
    for n, arg in enumerate([(1, 1, 3), (0, 0, 2)]):
        for x, k in enumerate(arg):
            logits[n, k, 0, x] = 5.0
    vis = part_visibility(logits)
    assert vis.dtype == torch.bool
    assert vis.tolist() == [[True, False, True], [False, True, False]]


def test_part_head_forward_and_loss_formula():
    torch.manual_seed(0)
    head = MODELS.build(dict(type='ISPPartHead', in_channels=6, num_classes=3))
    assert isinstance(head, ISPPartHead)
    feats = torch.randn(2, 6, 4, 2)
    logits = head(feats)
    assert logits.shape == (2, 3, 4, 2)
    # eq. 5: a linear layer (1x1 conv with bias) followed by a softmax over K
    w, b = head.conv_part.weight[:, :, 0, 0], head.conv_part.bias
    assert torch.allclose(logits, torch.einsum('kc,nchw->nkhw', w, feats) + b[None, :, None, None],
                          atol=1e-5)
    # labels at 2x the map's size: nearest sampling keeps the top-left of each 2x2 cell
    small = torch.tensor([[[0, 1], [2, 255], [1, 1], [0, 2]],
                          [[2, 2], [1, 0], [255, 255], [0, 1]]])
    big = small.repeat_interleave(2, 1).repeat_interleave(2, 2)
    loss = head.loss(logits, big)['loss_parsing']
    # hand: alpha * mean over labelled positions of -log P_{k_i} (eq. 6, official averaging)
    logp = F.log_softmax(logits, 1)
    terms = [-logp[n, small[n, y, x], y, x] for n in range(2) for y in range(4) for x in range(2)
             if small[n, y, x] != 255]
    expected = 0.1 * torch.stack(terms).mean()
    assert len(terms) == 13
    assert math.isclose(loss.item(), expected.item(), rel_tol=1e-5)
    # the sum of P_k * M_g over k (all K) is M_g: pooling is a partition of GAP(M_g)
    parts, fore, glob = head.pool(feats, logits)
    bg = (logits.softmax(1)[:, :1] * feats).mean((2, 3))
    assert torch.allclose(fore + bg, glob, atol=1e-5)


def test_part_head_rejects_labels_beyond_k():
    head = ISPPartHead(in_channels=4, num_classes=3)
    with pytest.raises(ValueError, match='same K'):
        head.loss(torch.zeros(1, 3, 2, 2), torch.full((1, 2, 2), 5))
    with pytest.raises(ValueError, match='>= 2'):
        ISPPartHead(in_channels=4, num_classes=1)
