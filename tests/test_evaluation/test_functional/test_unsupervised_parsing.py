import itertools

import numpy as np
import pytest
import torch

from hp_mm.evaluation.functional import (cluster_histogram, cluster_loss,
                                         eval_unsupervised_parsing)
from hp_mm.structures import cluster_loss as structures_cluster_loss


def test_reexport_is_the_structures_function():
    assert cluster_loss is structures_cluster_loss


def test_hand_computed_two_by_two():
    # rows = gt classes, cols = clusters; best matching: class 0 <-> cluster 1, class 1 <-> 0
    hist = np.array([[0, 8], [6, 2]])
    res = eval_unsupervised_parsing(hist)
    assert res['assignment'].tolist() == [1, 0]
    assert res['cluster_to_class'].tolist() == [1, 0]
    # tp = (8, 6); class 0: fn 0, fp 2 -> 8/10; class 1: fn 2, fp 0 -> 6/8
    assert res['iou'].tolist() == pytest.approx([80.0, 75.0])
    assert res['mIoU'] == pytest.approx(77.5)
    assert res['acc'] == pytest.approx(87.5)
    assert res['class_acc'].tolist() == pytest.approx([100.0, 75.0])
    assert res['mean_class_acc'] == pytest.approx(87.5)


def test_three_by_three_hand_computation():
    hist = np.array([[10, 0, 2], [3, 1, 6], [0, 7, 1]])
    res = eval_unsupervised_parsing(hist)
    assert res['assignment'].tolist() == [0, 2, 1]  # 10 + 6 + 7 = 23 matched of 30
    assert res['acc'] == pytest.approx(100 * 23 / 30)
    # class 0: tp 10, gt 12, pred col0 13 -> 10/15; class 1: tp 6, gt 10, pred col2 9 -> 6/13;
    # class 2: tp 7, gt 8, pred col1 8 -> 7/9
    expected = [100 * 10 / 15, 100 * 6 / 13, 100 * 7 / 9]
    assert res['iou'].tolist() == pytest.approx(expected)
    assert res['mIoU'] == pytest.approx(np.mean(expected))


def test_invariant_to_relabelling_clusters():
    g = np.random.default_rng(0)
    hist = g.integers(0, 50, size=(4, 4))
    ref = eval_unsupervised_parsing(hist)
    for perm in ([1, 0, 3, 2], [3, 1, 2, 0], [2, 3, 0, 1]):
        res = eval_unsupervised_parsing(hist[:, perm])
        assert res['mIoU'] == pytest.approx(ref['mIoU'])
        assert res['acc'] == pytest.approx(ref['acc'])
        # the matched cluster of each class moves with the relabelling
        assert [perm[a] for a in res['assignment']] == ref['assignment'].tolist()


def test_hungarian_maximises_matched_pixels():
    g = np.random.default_rng(1)
    for _ in range(5):
        hist = g.integers(0, 100, size=(4, 4))
        best = max(sum(hist[c, p[c]] for c in range(4)) for p in itertools.permutations(range(4)))
        res = eval_unsupervised_parsing(hist)
        assert res['acc'] == pytest.approx(100 * best / hist.sum())


def test_more_clusters_than_classes():
    hist = np.array([[5, 1, 4], [0, 6, 0]])
    # one-to-one: cluster 2 stays unmatched, its 4 pixels are misses of class 0
    res = eval_unsupervised_parsing(hist)
    assert res['assignment'].tolist() == [0, 1] and res['cluster_to_class'].tolist() == [0, 1, -1]
    assert res['acc'] == pytest.approx(100 * 11 / 16)
    assert res['iou'].tolist() == pytest.approx([100 * 5 / 10, 100 * 6 / 7])
    # many-to-one majority: clusters 0 and 2 -> class 0
    res = eval_unsupervised_parsing(hist, many_to_one=True)
    assert res['cluster_to_class'].tolist() == [0, 1, 0]
    assert res['assignment'] == ((0, 2), (1, ))
    assert res['acc'] == pytest.approx(100 * 15 / 16)
    assert res['iou'].tolist() == pytest.approx([100 * 9 / 10, 100 * 6 / 7])


def test_absent_class_is_nan_and_left_out_of_the_mean():
    hist = np.array([[4, 0, 0], [0, 0, 0], [0, 0, 6]])
    res = eval_unsupervised_parsing(hist)
    assert np.isnan(res['iou'][1])
    assert res['mIoU'] == pytest.approx(100.0)
    assert res['acc'] == pytest.approx(100.0)


def test_cluster_histogram_ignores_gt_outside_range():
    gt = torch.tensor([[0, 1, 255], [1, -1, 2]])
    pred = torch.tensor([[2, 0, 1], [0, 3, 1]])
    hist = cluster_histogram(gt, pred, num_classes=3, num_clusters=4)
    expected = np.zeros((3, 4), np.int64)
    expected[0, 2] = 1
    expected[1, 0] = 2
    expected[2, 1] = 1
    assert hist.dtype == np.int64 and np.array_equal(hist, expected)
    assert np.array_equal(cluster_histogram(gt.numpy(), pred.numpy(), 3, 4), expected)
    with pytest.raises(ValueError, match='outside'):
        cluster_histogram(gt, torch.tensor([[4, 0, 0], [0, 0, 0]]), 3, 4)
    with pytest.raises(ValueError, match='same shape'):
        cluster_histogram(gt, pred[:, :2], 3, 4)
