"""Independent references that the k-means tests compare with: planted Gaussian blobs,
the adjusted Rand index and a plain float64 numpy Lloyd (not a test module)."""
import numpy as np
import torch


def blobs(num_per_cluster=(60, 50, 40, 30), dim=8, spread=10.0, noise=0.5, seed=0):
    """Well-separated Gaussian blobs: centres drawn per coordinate from N(0, spread^2),
    points = centre + N(0, noise^2) per coordinate. (N, C) float32 points and (N,)
    int64 true labels, shuffled."""
    g = torch.Generator().manual_seed(seed)
    centers = torch.randn(len(num_per_cluster), dim, generator=g) * spread
    xs, ys = [], []
    for k, n in enumerate(num_per_cluster):
        xs.append(centers[k] + noise * torch.randn(n, dim, generator=g))
        ys.append(torch.full((n, ), k, dtype=torch.int64))
    x, y = torch.cat(xs), torch.cat(ys)
    perm = torch.randperm(len(y), generator=g)
    return x[perm], y[perm]


def adjusted_rand_index(a, b) -> float:
    """Hubert & Arabie's adjusted Rand index of two labelings (numpy)."""
    a, b = np.asarray(a).ravel(), np.asarray(b).ravel()
    _, ai = np.unique(a, return_inverse=True)
    _, bi = np.unique(b, return_inverse=True)
    table = np.zeros((ai.max() + 1, bi.max() + 1), dtype=np.int64)
    np.add.at(table, (ai, bi), 1)

    def pairs(v):
        return (v * (v - 1) / 2).sum()

    index, rows, cols, total = pairs(table), pairs(table.sum(1)), pairs(table.sum(0)), pairs(
        np.array([a.size]))
    expected = rows * cols / total
    best = (rows + cols) / 2
    return 1.0 if best == expected else float((index - expected) / (best - expected))


def numpy_lloyd(x, init, num_iter):
    """Plain Lloyd in float64: ``num_iter`` (assign, mean) steps, then the labels of the
    final centroids. Asserts no cluster goes empty (the references avoid that case)."""
    x = np.asarray(x, dtype=np.float64)
    c = np.asarray(init, dtype=np.float64).copy()
    for _ in range(num_iter):
        lab = ((x[:, None] - c[None])**2).sum(-1).argmin(1)
        for k in range(len(c)):
            assert (lab == k).any(), 'reference case must not have empty clusters'
            c[k] = x[lab == k].mean(0)
    return c, ((x[:, None] - c[None])**2).sum(-1).argmin(1)
