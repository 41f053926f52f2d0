"""Hand-computed checks of the pure parsing-evaluation arithmetic."""
import math

import numpy as np
import pytest
import torch

from hp_mm.evaluation.functional import (confusion_matrix, mirror_confusion, parsing_scores,
                                         person_bbox, person_size_bin, size_bin)


def _nan_equal(a, b):
    np.testing.assert_array_equal(np.asarray(a, dtype=float), np.asarray(b, dtype=float))


# ---------------------------------------------------------------- confusion_matrix
def test_confusion_matrix_hand_case():
    gt = torch.tensor([[0, 0, 1], [1, 2, 2]])
    pred = torch.tensor([[0, 1, 1], [1, 2, 0]])
    conf = confusion_matrix(pred, gt, num_classes=3)
    assert conf.dtype == torch.int64
    assert conf.device == pred.device
    # rows = gt, cols = pred
    assert conf.tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]


def test_confusion_matrix_drops_ignored_gt_only():
    gt = torch.tensor([[0, 255, 1], [255, 1, 1]])
    # predictions at ignored pixels may be anything, even out of range
    pred = torch.tensor([[0, 7, 1], [255, 0, 1]])
    conf = confusion_matrix(pred, gt, num_classes=2, ignore_index=255)
    assert conf.tolist() == [[1, 0], [1, 2]]
    assert int(conf.sum()) == 4
    # ignore_index=None keeps every pixel, so 255 is then out of range
    with pytest.raises(ValueError, match=r'gt .*\[255\]'):
        confusion_matrix(pred, gt, num_classes=2, ignore_index=None)


def test_confusion_matrix_accepts_numpy_and_mixed_dtypes():
    gt = np.array([[0, 1], [2, 255]], dtype=np.uint8)
    pred = torch.tensor([[0, 2], [2, 1]], dtype=torch.int64)
    conf = confusion_matrix(pred, gt, 3)
    assert conf.tolist() == [[1, 0, 0], [0, 0, 1], [0, 0, 1]]
    conf = confusion_matrix(pred.numpy().astype(np.int32), torch.from_numpy(gt), 3)
    assert conf.tolist() == [[1, 0, 0], [0, 0, 1], [0, 0, 1]]


def test_confusion_matrix_marginals_are_the_class_histograms():
    # 30 x 40 random maps, 10 % ignored and predicted out of range there
    g = torch.Generator().manual_seed(5)
    gt = torch.randint(0, 5, (30, 40), generator=g)
    pred = torch.randint(0, 5, (30, 40), generator=g)
    ignored = torch.rand(30, 40, generator=g) < 0.1
    gt[ignored] = 255
    pred[ignored] = 77
    conf = confusion_matrix(pred, gt, 5)
    kept = ~ignored
    assert int(conf.sum()) == int(kept.sum())
    assert conf.sum(1).tolist() == torch.bincount(gt[kept], minlength=5).tolist()
    assert conf.sum(0).tolist() == torch.bincount(pred[kept], minlength=5).tolist()
    assert int(conf.trace()) == int((pred == gt)[kept].sum())


def test_confusion_matrix_matches_brute_force():
    rng = np.random.default_rng(0)
    gt = rng.integers(0, 6, size=(37, 23))
    gt[rng.random(gt.shape) < 0.1] = 255
    pred = rng.integers(0, 6, size=gt.shape)
    expected = np.zeros((6, 6), dtype=np.int64)
    for g, p in zip(gt.ravel(), pred.ravel()):
        if g != 255:
            expected[g, p] += 1
    conf = confusion_matrix(torch.from_numpy(pred), torch.from_numpy(gt), 6)
    np.testing.assert_array_equal(conf.numpy(), expected)


def test_confusion_matrix_errors_name_the_field():
    with pytest.raises(ValueError, match=r'same shape.*pred \(2, 3\).*gt \(3, 2\)'):
        confusion_matrix(torch.zeros(2, 3, dtype=torch.long), torch.zeros(3, 2, dtype=torch.long),
                         4)
    with pytest.raises(ValueError, match=r'^gt has values outside \[0, 4\).*\[4, 9\]'):
        confusion_matrix(torch.zeros(2, 3, dtype=torch.long),
                         torch.tensor([[0, 9, 4], [4, 1, 255]]), 4)
    with pytest.raises(ValueError, match=r'^gt .*\[-1\]'):
        confusion_matrix(torch.zeros(1, 2, dtype=torch.long), torch.tensor([[-1, 0]]), 4)
    with pytest.raises(ValueError, match=r'^pred has values outside \[0, 4\).*\[-2, 5\]'):
        confusion_matrix(torch.tensor([[5, -2, 0]]), torch.tensor([[1, 1, 1]]), 4)
    # a prediction equal to ignore_index on a kept pixel cannot be counted in (C, C)
    with pytest.raises(ValueError, match=r'^pred .*\[255\]'):
        confusion_matrix(torch.tensor([[255, 0]]), torch.tensor([[1, 0]]), 4)
    with pytest.raises(TypeError, match='pred must hold integer'):
        confusion_matrix(torch.zeros(2, 2), torch.zeros(2, 2, dtype=torch.long), 4)
    with pytest.raises(TypeError, match='gt must be a torch.Tensor'):
        confusion_matrix(torch.zeros(2, 2, dtype=torch.long), [[0, 0], [0, 0]], 4)


def test_confusion_matrix_empty_and_all_ignored():
    empty = torch.zeros(0, 3, dtype=torch.long)
    conf = confusion_matrix(empty, empty.clone(), 3)
    assert conf.tolist() == [[0] * 3] * 3
    conf = confusion_matrix(torch.tensor([[9, 9]]), torch.tensor([[255, 255]]), 3)
    assert int(conf.sum()) == 0


# ---------------------------------------------------------------- parsing_scores
def test_parsing_scores_hand_case():
    # confusion of test_confusion_matrix_hand_case:
    # IoU = 1/(2+2-1), 2/(2+3-2), 1/(2+1-1) = 1/3, 2/3, 1/2 ; Acc = 1/2, 2/2, 1/2
    scores = parsing_scores(np.array([[1, 1, 0], [0, 2, 0], [1, 0, 1]]))
    _nan_equal(scores['IoU'], [33.33, 66.67, 50.0])
    _nan_equal(scores['Acc'], [50.0, 100.0, 50.0])
    assert scores['mIoU'] == 50.0  # (1/3 + 2/3 + 1/2) / 3
    assert scores['mAcc'] == 66.67  # (1/2 + 1 + 1/2) / 3
    assert scores['aAcc'] == 66.67  # 4 / 6


def test_parsing_scores_perfect_prediction_is_100():
    gt = torch.tensor([[0, 0, 1], [3, 3, 255]])
    scores = parsing_scores(confusion_matrix(gt.clone(), gt, 4))
    assert scores['aAcc'] == scores['mAcc'] == scores['mIoU'] == 100.0
    # class 2 is in neither gt nor prediction: NaN, excluded from the means
    _nan_equal(scores['IoU'], [100.0, 100.0, np.nan, 100.0])
    _nan_equal(scores['Acc'], [100.0, 100.0, np.nan, 100.0])


def test_parsing_scores_class_only_predicted():
    # class 2 predicted once but absent from gt: IoU 0 (counts), Acc NaN (excluded)
    conf = confusion_matrix(torch.tensor([[0, 2], [1, 1]]), torch.tensor([[0, 0], [1, 1]]), 3)
    scores = parsing_scores(conf)
    _nan_equal(scores['IoU'], [50.0, 100.0, 0.0])
    _nan_equal(scores['Acc'], [50.0, 100.0, np.nan])
    assert scores['mIoU'] == 50.0
    assert scores['mAcc'] == 75.0
    assert scores['aAcc'] == 75.0


def test_parsing_scores_rounds_after_the_mean():
    # IoU = 1/(2+6-1), 1/(5+2-1), 1/(2+1-1) = 1/7, 1/6, 1/2: the mean of the unrounded
    # values is 26.984 -> 26.98 (IoUMetric); rounding each first would give 26.99
    conf = np.array([[1, 1, 0], [4, 1, 0], [1, 0, 1]])
    scores = parsing_scores(conf)
    _nan_equal(scores['IoU'], [14.29, 16.67, 50.0])
    assert scores['mIoU'] == 26.98
    full = parsing_scores(conf, decimals=None)
    assert full['mIoU'] == pytest.approx(100 * (1 / 7 + 1 / 6 + 1 / 2) / 3)
    assert full['IoU'][0] == pytest.approx(100 / 7)


def test_parsing_scores_empty_confusion_is_nan():
    scores = parsing_scores(np.zeros((3, 3), dtype=np.int64))
    assert math.isnan(scores['aAcc']) and math.isnan(scores['mIoU']) and math.isnan(scores['mAcc'])
    with pytest.raises(ValueError, match='square'):
        parsing_scores(np.zeros((2, 3)))


# ---------------------------------------------------------------- mirror_confusion
def test_mirror_confusion_hand_case():
    conf = np.zeros((5, 5), dtype=np.int64)
    conf[0, 0] = 50
    conf[1, 1], conf[1, 2] = 6, 2  # gt left-arm: 8 pixels, 2 taken for the right arm
    conf[2, 2], conf[2, 1] = 9, 1  # gt right-arm: 10 pixels, 1 taken for the left arm
    conf[3, 3], conf[3, 0] = 3, 1  # gt left-leg: 4 pixels, none mirrored
    conf[4, 4], conf[4, 3] = 3, 3  # gt right-leg: 6 pixels, 3 mirrored
    out = mirror_confusion(conf, [(1, 2), (3, 4)])
    assert out['pairs'][(1, 2)] == 16.67  # (2 + 1) / (8 + 10)
    assert out['pairs'][(3, 4)] == 30.0  # (0 + 3) / (4 + 6)
    assert out['overall'] == 21.43  # (3 + 3) / (18 + 10)


def test_mirror_confusion_empty_and_bad_pairs():
    conf = np.eye(4, dtype=np.int64)
    conf[3, 3] = 0
    out = mirror_confusion(conf, [(1, 2), (3, 0)])
    assert out['pairs'][(1, 2)] == 0.0
    assert out['pairs'][(3, 0)] == 0.0
    out = mirror_confusion(np.zeros((4, 4)), [(1, 2)])
    assert math.isnan(out['pairs'][(1, 2)]) and math.isnan(out['overall'])
    assert math.isnan(mirror_confusion(conf, [])['overall'])
    with pytest.raises(ValueError, match='flip_pairs'):
        mirror_confusion(conf, [(1, 4)])
    with pytest.raises(ValueError, match='flip_pairs'):
        mirror_confusion(conf, [(2, 2)])


# ---------------------------------------------------------------- person size
def _square(side, shape=(400, 400), offset=(10, 20), label=5):
    gt = torch.zeros(shape, dtype=torch.long)
    gt[offset[0]:offset[0] + side, offset[1]:offset[1] + side] = label
    return gt


@pytest.mark.parametrize('side, expected', [(1, 'small'), (152, 'small'), (153, 'medium'),
                                            (320, 'medium'), (321, 'large'), (380, 'large')])
def test_person_size_bin_boundaries(side, expected):
    assert person_size_bin(_square(side)) == expected


def test_person_size_bin_uses_the_tight_box():
    # two single pixels 153 apart in both axes: 2 person pixels, but a 153 x 153 box
    gt = torch.zeros(300, 300, dtype=torch.long)
    gt[5, 7] = 1
    gt[5 + 152, 7 + 152] = 2
    assert person_bbox(gt) == (7, 5, 159, 157)
    assert person_size_bin(gt) == 'medium'
    # a 100 x 300 box: area 30000 >= 153**2 -> medium, though its width is below 153
    gt = torch.zeros(400, 400, dtype=torch.long)
    gt[0:300, 0:100] = 3
    assert person_size_bin(gt) == 'medium'
    assert size_bin(153**2 - 1) == 'small' and size_bin(321**2) == 'large'


def test_person_size_bin_skips_background_and_ignore():
    gt = _square(152)
    gt[399, 399] = 255  # an ignored pixel far away does not grow the box
    assert person_size_bin(gt) == 'small'
    assert person_size_bin(np.asarray(gt)) == 'small'
    gt[399, 399] = 0
    gt[10:162, 20:172] = 0
    assert person_size_bin(gt) == 'none'
    assert person_bbox(gt) is None
    # another background index
    gt = torch.full((400, 400), 7, dtype=torch.long)
    assert person_size_bin(gt, background=7) == 'none'
    gt[0:10, 0:10] = 0
    assert person_size_bin(gt, background=7) == 'small'
    assert person_size_bin(torch.zeros(3, 0, dtype=torch.long)) == 'none'
    with pytest.raises(ValueError, match=r'gt must be a \(H, W\)'):
        person_size_bin(torch.zeros(1, 4, 4, dtype=torch.long))
