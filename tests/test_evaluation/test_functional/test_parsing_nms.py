"""Parsing NMS (QANet ``parsing_nms``): pairwise mean part IoU and greedy suppression."""
import numpy as np
import pytest
import torch

from hp_mm.evaluation.functional import pairwise_parsing_miou, parsing_nms


def _loop_mean_iou(a, b, num_classes):
    """QANet ``cal_one_mean_iou``: confusion of two maps, nanmean of the class IoUs."""
    hist = np.zeros((num_classes, num_classes))
    for x, y in zip(a.ravel(), b.ravel()):
        hist[x, y] += 1
    inter = np.diag(hist)
    with np.errstate(divide='ignore', invalid='ignore'):
        return np.nanmean(inter / (hist.sum(0) + hist.sum(1) - inter))


def test_hand_made_pair():
    # 2 x 4 image, C = 3. a: [[1 1 0 0], [2 2 0 0]]; b: [[1 1 1 0], [0 2 0 0]]
    a = np.array([[1, 1, 0, 0], [2, 2, 0, 0]])
    b = np.array([[1, 1, 1, 0], [0, 2, 0, 0]])
    # bg: a 4 px {(0,2),(0,3),(1,2),(1,3)}, b 4 px {(0,3),(1,0),(1,2),(1,3)}, inter 3 -> 3/5
    # class 1: a 2, b 3, inter 2 -> 2/3; class 2: a 2, b 1, inter 1 -> 1/2
    expected = (3 / 5 + 2 / 3 + 1 / 2) / 3
    miou = pairwise_parsing_miou(np.stack([a, b]).astype(np.uint8), 3)
    assert miou.shape == (2, 2)
    assert miou[0, 1] == pytest.approx(expected) and miou[1, 0] == pytest.approx(expected)
    assert miou[0, 0] == 1.0 and miou[1, 1] == 1.0
    # class 2 absent from both -> NaN, left out: a' = a without class 2, b' = b without it
    a2, b2 = np.where(a == 2, 0, a), np.where(b == 2, 0, b)
    # bg: a' 6 px, b' 5 px, inter 5 -> 5/6; class 1: 2/3
    assert pairwise_parsing_miou(torch.as_tensor(np.stack([a2, b2])), 3)[0, 1] == \
        pytest.approx((5 / 6 + 2 / 3) / 2)


@pytest.mark.parametrize('seed', range(4))
def test_equals_loop_reference(seed):
    rng = np.random.default_rng(seed)
    P, H, W, C = 4, 7, 9, 5
    maps = rng.integers(0, C, (P, H, W)) * (rng.random((P, H, W)) < 0.4)
    maps[3] = 0  # an empty person: only background
    miou = pairwise_parsing_miou(maps.astype(np.int16), C)
    ref = np.array([[_loop_mean_iou(maps[i], maps[j], C) for j in range(P)] for i in range(P)])
    np.testing.assert_allclose(miou, ref)
    assert pairwise_parsing_miou(np.zeros((0, H, W), np.uint8), C).shape == (0, 0)


def test_greedy_suppression():
    miou = np.array([[1.0, 0.7, 0.2, 0.6],
                     [0.7, 1.0, 0.9, 0.1],
                     [0.2, 0.9, 1.0, 0.1],
                     [0.6, 0.1, 0.1, 1.0]])
    # order 0 (.9), 1 (.8), 2 (.7), 3 (.6): 0 suppresses 1 (.7) and 3 (.6 >= .6, QANet's >=);
    # 1 is gone, so 2 (IoU .9 with 1 only) survives
    keep = parsing_nms(miou, [0.9, 0.8, 0.7, 0.6], 0.6)
    assert keep.tolist() == [True, False, True, False]
    # other order: 1 first suppresses 0 and 2; 3 survives (0 is gone)
    assert parsing_nms(miou, torch.tensor([0.5, 0.9, 0.7, 0.6]), 0.6).tolist() == \
        [False, True, False, True]
    # equal scores: input order; a threshold above every IoU keeps everything
    assert parsing_nms(miou, [0.5] * 4, 0.6).tolist() == [True, False, True, False]
    assert parsing_nms(miou, [0.5] * 4, 0.95).all()
    with pytest.raises(ValueError, match='shape'):
        parsing_nms(miou, [0.5] * 3)


def test_bad_inputs():
    with pytest.raises(ValueError, match=r'\(P, H, W\)'):
        pairwise_parsing_miou(np.zeros((3, 3), np.uint8), 2)
    with pytest.raises(TypeError, match='integers'):
        pairwise_parsing_miou(np.zeros((1, 3, 3)), 2)
    with pytest.raises(ValueError, match='outside'):
        pairwise_parsing_miou(np.full((1, 3, 3), 2, np.uint8), 2)
