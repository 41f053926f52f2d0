"""Label-smoothed cross-entropy against the formula."""
import math

import pytest
import torch

from hp_mm.models.reid import LabelSmoothCrossEntropyLoss


def test_matches_formula():
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.5, 0.5, 3.0]])
    labels = torch.tensor([0, 1])
    eps, n = 0.1, 3
    expected = 0.0
    for row, y in zip(logits.tolist(), labels.tolist()):
        z = sum(math.exp(v) for v in row)
        logp = [v - math.log(z) for v in row]
        q = [eps / n + (1 - eps if i == y else 0) for i in range(n)]  # q_y = 1 - (N-1)/N eps
        assert q[y] == pytest.approx(1 - (n - 1) / n * eps)
        expected -= sum(qi * lp for qi, lp in zip(q, logp))
    expected /= 2
    loss = LabelSmoothCrossEntropyLoss(epsilon=eps, loss_weight=2.0)
    assert loss(logits, labels).item() == pytest.approx(2 * expected, rel=1e-6)
    assert loss.loss_name == 'loss_cls'
    plain = LabelSmoothCrossEntropyLoss(epsilon=0.0)(logits, labels)
    assert plain.item() == pytest.approx(torch.nn.functional.cross_entropy(logits, labels).item())
    with pytest.raises(ValueError, match='epsilon'):
        LabelSmoothCrossEntropyLoss(epsilon=1.0)
