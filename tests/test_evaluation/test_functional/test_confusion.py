"""The one confusion matrix and the IoU read from it, by hand."""
import math

import numpy as np
import pytest
import torch

from hp_mm.evaluation.functional import (iou_from_confusion, merge_confusion_columns,
                                         rectangular_confusion_matrix)


def _nan_equal(a, b):
    np.testing.assert_array_equal(np.asarray(a, dtype=float), np.asarray(b, dtype=float))


# ----------------------------------------------------------- rectangular_confusion_matrix
def test_rectangular_hand_case_with_counted_mask():
    gt = torch.tensor([[0, 1, 1], [0, 255, 1]])  # N = 2 classes
    pred = torch.tensor([[2, 0, 1], [2, 1, 2]])  # M = 3 clusters
    conf = rectangular_confusion_matrix(pred, gt, 2, 3, counted=gt != 255)
    assert conf.dtype == torch.int64 and conf.device == pred.device
    # rows = gt: class 0 -> cluster 2 twice; class 1 -> clusters 0, 1, 2 once each
    assert conf.tolist() == [[0, 0, 2], [1, 1, 1]]
    # numpy in, same counts; square by default
    conf = rectangular_confusion_matrix(np.array([0, 1, 1, 2]), np.array([0, 1, 2, 2]), 3)
    assert conf.tolist() == [[1, 0, 0], [0, 1, 0], [0, 1, 1]]


def test_rectangular_matches_brute_force():
    rng = np.random.default_rng(0)
    gt = rng.integers(0, 5, size=(3, 17, 11))
    pred = rng.integers(0, 8, size=gt.shape)
    counted = rng.random(gt.shape) < 0.7
    pred[~counted & (rng.random(gt.shape) < 0.5)] = 99  # anything where not counted
    expected = np.zeros((5, 8), np.int64)
    for g, p, c in zip(gt.ravel(), pred.ravel(), counted.ravel()):
        if c:
            expected[g, p] += 1
    conf = rectangular_confusion_matrix(torch.from_numpy(pred), gt, 5, 8, counted=counted)
    np.testing.assert_array_equal(conf.numpy(), expected)
    # marginals: rows are the gt histogram, columns the prediction histogram
    np.testing.assert_array_equal(conf.sum(1).numpy(), np.bincount(gt[counted], minlength=5))
    np.testing.assert_array_equal(conf.sum(0).numpy(), np.bincount(pred[counted], minlength=8))


def test_rectangular_errors():
    with pytest.raises(ValueError, match=r'same shape.*pred \(2,\).*gt \(3,\)'):
        rectangular_confusion_matrix(torch.zeros(2, dtype=torch.long),
                                     torch.zeros(3, dtype=torch.long), 2)
    with pytest.raises(ValueError, match=r'^gt has values outside \[0, 2\).*: \[2\]'):
        rectangular_confusion_matrix(torch.tensor([0, 1]), torch.tensor([2, 0]), 2, 4)
    # a prediction at a counted pixel must fit the columns; an uncounted one may be anything
    with pytest.raises(ValueError, match=r'^pred has values outside \[0, 4\).*: \[4\]'):
        rectangular_confusion_matrix(torch.tensor([4, 9]), torch.tensor([0, 1]), 2, 4,
                                     counted=torch.tensor([True, False]))
    conf = rectangular_confusion_matrix(torch.tensor([3, 9]), torch.tensor([0, 7]), 2, 4,
                                        counted=torch.tensor([True, False]))
    assert conf.tolist() == [[0, 0, 0, 1], [0, 0, 0, 0]]
    with pytest.raises(ValueError, match='counted must have the shape of gt'):
        rectangular_confusion_matrix(torch.tensor([0, 1]), torch.tensor([0, 1]), 2,
                                     counted=torch.tensor([True]))
    with pytest.raises(ValueError, match='class counts must be >= 1'):
        rectangular_confusion_matrix(torch.tensor([0]), torch.tensor([0]), 1, 0)
    with pytest.raises(TypeError, match='pred must hold integers'):
        rectangular_confusion_matrix(torch.tensor([0.5]), torch.tensor([0]), 1)
    # empty maps count nothing
    empty = torch.zeros(0, 4, dtype=torch.long)
    assert rectangular_confusion_matrix(empty, empty, 2, 3).tolist() == [[0] * 3] * 2


# ----------------------------------------------------------------- iou_from_confusion
def test_iou_from_confusion_hand_case():
    conf = np.array([[3, 1, 0], [2, 4, 0], [0, 0, 0]])
    # class 0: tp 3, gt 4, pred 5 -> 3 / 6; class 1: 4 / (6 + 5 - 4); class 2 absent -> NaN
    iou = iou_from_confusion(conf)
    assert isinstance(iou, np.ndarray) and iou.dtype == np.float64
    _nan_equal(iou, [0.5, 4 / 7, math.nan])
    # QANet's epsilon: an absent class scores 0
    np.testing.assert_allclose(iou_from_confusion(conf, eps=1e-10), [0.5, 4 / 7, 0.0])
    # a tensor in, a float64 tensor out (same values)
    t = iou_from_confusion(torch.from_numpy(conf))
    assert isinstance(t, torch.Tensor) and t.dtype == torch.float64
    _nan_equal(t.numpy(), iou)


def test_iou_from_confusion_rectangular():
    # an extra column (e.g. unmatched clusters) counts as misses of each row's class
    iou = iou_from_confusion(np.array([[3, 1, 2], [0, 4, 1]]))
    np.testing.assert_allclose(iou, [3 / 6, 4 / 6])  # class 0: tp 3, gt 6, pred 3
    # fewer columns than rows: the last class is never predicted
    iou = iou_from_confusion(np.array([[3, 1], [2, 4], [1, 0]]))
    np.testing.assert_allclose(iou, [3 / 7, 4 / 7, 0.0])
    with pytest.raises(ValueError, match=r'\(N, M\) matrix'):
        iou_from_confusion(np.zeros(3))


# ----------------------------------------------------------- merge_confusion_columns
def test_merge_confusion_columns_hand_case():
    conf = np.array([[1, 2, 3, 4], [5, 6, 7, 8]])
    merged = merge_confusion_columns(conf, np.array([0, 1, 0, 2]), 3)
    assert isinstance(merged, np.ndarray) and merged.dtype == conf.dtype
    assert merged.tolist() == [[4, 2, 4], [12, 6, 8]]
    merged = merge_confusion_columns(torch.from_numpy(conf).double(), torch.tensor([1, 1, 1, 1]), 2)
    assert merged.dtype == torch.float64 and merged.tolist() == [[0, 10], [0, 26]]
    with pytest.raises(ValueError, match='one entry per column'):
        merge_confusion_columns(conf, np.array([0, 1]), 3)
    with pytest.raises(ValueError, match=r'in \[0, 3\), got \[-1, 0, 3\]'):
        merge_confusion_columns(conf, np.array([0, -1, 3, 0]), 3)
