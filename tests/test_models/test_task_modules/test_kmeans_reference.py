"""The test references themselves: the adjusted Rand index on hand-computed values."""
import pytest

from kmeans_reference import adjusted_rand_index


def test_adjusted_rand_index_hand_values():
    # sklearn's documented example: ARI([0, 0, 1, 1], [0, 0, 1, 2]) = 4/7
    assert adjusted_rand_index([0, 0, 1, 1], [0, 0, 1, 2]) == pytest.approx(4 / 7)
    assert adjusted_rand_index([0, 0, 1, 1], [5, 5, 3, 3]) == 1.0  # label names do not matter
    assert adjusted_rand_index([0, 1, 0, 1], [0, 0, 1, 1]) == pytest.approx(-0.5)
