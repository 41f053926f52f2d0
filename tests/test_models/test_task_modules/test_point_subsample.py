"""subsample: faiss' max_points_per_centroid rule, per problem, valid points only."""
import torch

from hp_mm.models.task_modules.clustering.point_subsample import subsample


def test_subsample_keeps_valid_points_only():
    x = torch.arange(40.).reshape(2, 20, 1)
    mask = torch.zeros(2, 20, dtype=torch.bool)
    mask[0, 5:15] = True      # 10 valid points > 6: drawn with replacement among them
    mask[1, [2, 9, 17]] = True  # 3 valid points <= 6: kept, each once
    xs, ms = subsample(x, mask, 6, torch.tensor([3, 4]))
    assert xs.shape == (2, 6, 1) and ms[0].all() and ms[1].tolist() == [True] * 3 + [False] * 3
    assert ((xs[0] >= 5) & (xs[0] < 15)).all()
    assert xs[1, :3].flatten().tolist() == [22., 29., 37.]
    # no subsampling needed: the input itself
    assert subsample(x, mask, 20, torch.tensor([3, 4]))[0] is x
