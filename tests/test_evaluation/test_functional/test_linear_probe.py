"""Linear probe: separable features give 100, uninformative ones give the majority class."""
import math

import pytest
import torch

from hp_mm.evaluation.functional import linear_probe_miou


def blobs(n, seed, informative=True):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 3, (n, ), generator=g)
    centres = torch.tensor([[4.0, 0, 0, 0], [0, 4.0, 0, 0], [0, 0, 4.0, 0]])
    x = torch.randn(n, 4, generator=g) * 0.3
    if informative:
        x = x + centres[y]
    return x, y


def test_separable_features_are_probed_perfectly():
    (xa, ya), (xb, yb) = blobs(600, 0), blobs(300, 1)
    ya[:5] = 255  # ignored labels
    res = linear_probe_miou(xa * 1e3 + 7, ya, xb * 1e3 + 7, yb, 3)  # scale / shift invariant
    assert res['mIoU'] == pytest.approx(100) and res['acc'] == pytest.approx(100)
    assert res['iou'] == pytest.approx([100, 100, 100]) and res['train_acc'] == pytest.approx(100)


def test_uninformative_features_give_the_majority_class():
    xa, _ = blobs(900, 0, informative=False)
    ya = torch.tensor([0] * 600 + [1] * 200 + [2] * 100)  # unrelated to the features
    xb = torch.zeros(100, 4)  # one point: a single prediction for the whole test set
    yb = torch.tensor([0] * 70 + [1] * 20 + [2] * 10)
    res = linear_probe_miou(xa, ya, xb, yb, 3)
    # everything called class 0: IoU 70 / 0 / 0, acc 70
    assert res['iou'][0] == pytest.approx(70) and res['iou'][1:] == [0.0, 0.0]
    assert res['mIoU'] == pytest.approx(70 / 3) and res['acc'] == pytest.approx(70)


def test_absent_class_is_nan_and_bad_shapes_raise():
    (xa, ya), (xb, yb) = blobs(300, 0), blobs(100, 1)
    keep = yb != 2
    res = linear_probe_miou(xa, ya, xb[keep], yb[keep], 3)
    assert math.isnan(res['iou'][2]) and res['mIoU'] == pytest.approx(100)
    with pytest.raises(ValueError, match='same C'):
        linear_probe_miou(xa, ya, xb[:, :3], yb, 3)
    with pytest.raises(ValueError, match='one per feature row'):
        linear_probe_miou(xa, ya[:-1], xb, yb, 3)
    with pytest.raises(ValueError, match='no labelled pixels'):
        linear_probe_miou(xa, torch.full_like(ya, 255), xb, yb, 3)
