"""Parsing NMS (QANet ``parsing_nms``): pairwise mean part IoU and greedy suppression."""
import numpy as np
import pytest
import torch

from hp_mm.structures import pairwise_parsing_miou, parsing_nms


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


# ---------------------------------------------------------------- painting and mean part IoU
from hp_mm.structures import (mean_part_iou, paint_persons, paired_parsing_miou,  # noqa: E402
                              person_instance_maps)


def test_paint_persons_by_hand_numpy_equals_torch():
    # 2 x 4 image: a (score .2) covers cols 0-2, b (.7) cols 1-3, c (.7) col 3 only (tie with
    # b: the later person wins), d (.05) below the threshold
    a = np.array([[1, 1, 1, 0], [2, 2, 2, 0]])
    b = np.array([[0, 3, 3, 3], [0, 3, 3, 3]])
    c = np.array([[0, 0, 0, 4], [0, 0, 0, 0]])
    d = np.array([[5, 5, 5, 5], [5, 5, 5, 5]])
    maps = np.stack([a, b, c, d]).astype(np.uint8)
    scores = np.array([0.2, 0.7, 0.7, 0.05])
    owner, label = paint_persons(maps, scores, score_thr=0.1)
    np.testing.assert_array_equal(owner, [[0, 1, 1, 2], [0, 1, 1, 1]])
    np.testing.assert_array_equal(label, [[1, 3, 3, 4], [2, 3, 3, 3]])
    assert owner.dtype == np.int64 and label.dtype == np.int64
    t_owner, t_label = paint_persons(torch.as_tensor(maps), torch.as_tensor(scores), 0.1)
    assert isinstance(t_owner, torch.Tensor)
    np.testing.assert_array_equal(t_owner.numpy(), owner)
    np.testing.assert_array_equal(t_label.numpy(), label)
    # nobody painted: owner -1, label 0
    owner, label = paint_persons(maps, scores, score_thr=0.9)
    assert (owner == -1).all() and (label == 0).all()
    owner, label = paint_persons(maps[:0], scores[:0])
    assert owner.shape == (2, 4) and (owner == -1).all()
    with pytest.raises(ValueError, match='n = 3'):
        paint_persons(maps, scores[:3])


def test_person_instance_maps_keep_drops_suppressed_persons():
    a = np.array([[1, 1, 0], [1, 1, 0]])
    b = np.array([[0, 2, 2], [0, 2, 2]])
    maps = np.stack([a, b])
    # b scores higher but was suppressed (keep False): a alone is drawn, id 1, one region
    out = person_instance_maps(maps, [0.5, 0.9], keep=[True, False])
    np.testing.assert_array_equal(out['human_ids'], [[1, 1, 0], [1, 1, 0]])
    assert out['person_human_id'].tolist() == [1, 0]
    assert out['regions'] == [(1, 1, 1, 0, 4)]
    out = person_instance_maps(maps, [0.5, 0.9], score_thr=None)
    np.testing.assert_array_equal(out['human_ids'], [[2, 1, 1], [2, 1, 1]])
    # no person at all (an image without detections): empty maps, no region
    out = person_instance_maps(maps[:0], [])
    assert out['human_ids'].shape == (2, 3) and not out['human_ids'].any()
    assert not out['instance_ids'].any() and out['regions'] == []


def test_mean_part_iou_by_hand():
    inter = np.array([[2, 0, 1], [0, 0, 0]])
    union = np.array([[4, 0, 2], [0, 0, 0]])
    # (2/4 + 1/2) / 2 classes present; the second row has no class: NaN (or `empty`)
    res = mean_part_iou(inter, union)
    assert res[0] == pytest.approx(0.5) and np.isnan(res[1])
    res = mean_part_iou(torch.tensor(inter), torch.tensor(union), empty=0.0)
    torch.testing.assert_close(res, torch.tensor([0.5, 0.0]))
    # paired: a map against itself is 1, against an all-different map of the same classes 0
    pred = torch.tensor([[[1, 1], [2, 2]], [[1, 1], [2, 2]]])
    target = torch.tensor([[[1, 1], [2, 2]], [[2, 2], [1, 1]]])
    torch.testing.assert_close(paired_parsing_miou(pred, target, 3), torch.tensor([1.0, 0.0]))
