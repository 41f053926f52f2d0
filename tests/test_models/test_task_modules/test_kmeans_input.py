"""check_features: shapes, non-finite rows (counted), too few points, masked padding."""
import pytest
import torch

from hp_mm.models.task_modules.clustering.kmeans_input import check_features


def test_check_features_errors_and_masking():
    x = torch.randn(10, 3)
    x[2, 1] = float('nan')
    x[7, 0] = float('inf')
    with pytest.raises(ValueError, match='2 of 10 rows are not finite'):
        check_features(x, 3)
    with pytest.raises(ValueError, match=r'num_clusters=11 > number of points N=10'):
        check_features(torch.randn(10, 3), 11)
    with pytest.raises(ValueError, match=r'shape \(N, C\)'):
        check_features(torch.randn(10), 2)
    xb = torch.randn(2, 4, 3)
    xb[1, 3] = float('nan')  # in padding: ignored and zeroed
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]], dtype=torch.bool)
    out, m = check_features(xb, 3, mask=mask, batched=True)
    assert torch.equal(out[1, 3], torch.zeros(3)) and torch.equal(m, mask)
    assert torch.equal(out[0], xb[0])
    with pytest.raises(ValueError, match=r'problem\(s\) \[1\] \(they have \[3\] points\)'):
        check_features(xb, 4, mask=mask, batched=True)
