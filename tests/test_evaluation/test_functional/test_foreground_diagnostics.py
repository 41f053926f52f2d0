"""ROC AUC, best threshold IoU and the best fixed box, against hand computations."""
import itertools
import math

import pytest
import torch

from hp_mm.evaluation.functional import (best_fixed_box_iou, best_threshold_iou,
                                         foreground_report, roc_auc)


def test_roc_auc_by_hand():
    # the classic 4-sample case: 3 of the 4 (positive, negative) pairs are ordered right
    s = torch.tensor([0.1, 0.4, 0.35, 0.8])
    p = torch.tensor([False, False, True, True])
    assert roc_auc(s, p) == pytest.approx(0.75)
    assert roc_auc(-s, p) == pytest.approx(0.25)
    assert roc_auc(torch.ones(4), p) == pytest.approx(0.5)  # ties count one half
    assert roc_auc(torch.tensor([1.0, 1.0, 2.0]), torch.tensor([True, False, False])) == \
        pytest.approx(0.25)  # pairs: (1 vs 1) = 1/2, (1 vs 2) = 0
    assert math.isnan(roc_auc(s, torch.zeros(4, dtype=torch.bool)))
    with pytest.raises(ValueError, match='differ'):
        roc_auc(s, p[:3])


def test_best_threshold_iou():
    p = torch.zeros(2, 4, 4, dtype=torch.bool)
    p[:, 1:3, 1:3] = True
    assert best_threshold_iou(p.float() + 0.1, p) == pytest.approx(100)
    # a score that ranks one background pixel above the person: best is 4 / 5 per map
    s = p.float()
    s[:, 0, 0] = 2.0
    assert best_threshold_iou(s, p) == pytest.approx(80)
    rep = foreground_report(s, p)
    assert rep['auc'] == pytest.approx(1 - 4 / (4 * 12)) and rep['best_threshold_iou'] == \
        pytest.approx(80)


def test_best_fixed_box_equals_brute_force():
    g = torch.Generator().manual_seed(0)
    masks = torch.rand(3, 5, 4, generator=g) > 0.5
    masks[:, 1:4, 1:3] = True  # a common core
    best = 0.0
    for y0, y1, x0, x1 in itertools.product(range(6), range(6), range(5), range(5)):
        if y1 <= y0 or x1 <= x0:
            continue
        box = torch.zeros(5, 4, dtype=torch.bool)
        box[y0:y1, x0:x1] = True
        inter = (masks & box).sum()
        union = (masks | box).sum()
        best = max(best, float(inter) / float(union))
    iou, (y0, y1, x0, x1) = best_fixed_box_iou(masks)
    assert iou == pytest.approx(100 * best)
    box = torch.zeros(5, 4, dtype=torch.bool)
    box[y0:y1, x0:x1] = True
    assert 100 * float((masks & box).sum()) / float((masks | box).sum()) == pytest.approx(iou)
    with pytest.raises(ValueError, match=r'\(N, h, w\)'):
        best_fixed_box_iou(masks[0])


def test_best_threshold_iou_equals_a_sweep_of_every_threshold():
    g = torch.Generator().manual_seed(1)
    p = torch.rand(2, 6, 5, generator=g) > 0.6
    s = torch.round(torch.rand(2, 6, 5, generator=g) * 8) / 8 + 0.3 * p  # ties included
    best = max(float(((s >= t) & p).sum()) / float(((s >= t) | p).sum()) for t in s.unique())
    assert best_threshold_iou(s, p) == pytest.approx(100 * best)
