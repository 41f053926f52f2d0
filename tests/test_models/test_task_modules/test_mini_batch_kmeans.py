"""MiniBatchKMeans: PiCIE's streaming k-means (full k-means init + Sculley updates)."""
import numpy as np
import torch
from scipy.optimize import linear_sum_assignment

from hp_mm.models.task_modules import MiniBatchKMeans, TorchKMeans
from hp_mm.registry import TASK_UTILS
from kmeans_reference import adjusted_rand_index, blobs


def _stream(x, size):
    return [x[s:s + size] for s in range(0, len(x), size)]


def test_close_to_full_kmeans_on_blobs():
    x, y = blobs(num_per_cluster=(400, 300, 300, 200), dim=8, seed=5)
    mb = TASK_UTILS.build(dict(type='MiniBatchKMeans', num_clusters=4, seed=0))
    for buf in _stream(x, 150):
        mb.partial_fit(buf)
    full, _ = TorchKMeans(4, seed=0).fit(x)
    d = torch.cdist(mb.centroids, full)
    rows, cols = linear_sum_assignment(d.numpy())
    # within 0.1 of full k-means (blob noise 0.5 per dim, separation ~ 10 * sqrt(2 * 8))
    assert float(d[rows, cols].max()) < 0.1
    assert adjusted_rand_index(y, mb.assign(x)) >= 0.99
    assert int(mb.counts.sum()) == len(x) and mb.num_updates == 8


def test_updates_follow_sculley_rule():
    x, _ = blobs(num_per_cluster=(200, 200, 200), dim=4, seed=6)
    bufs = _stream(x, 100)
    mb = MiniBatchKMeans(3, seed=0)
    mb.partial_fit(bufs[0])
    # the first buffer = a full k-means of that buffer (same seed)
    c0, l0 = TorchKMeans(3, seed=0).fit(bufs[0])
    assert torch.equal(mb.centroids, c0)
    c = c0.double().numpy()
    n = np.bincount(l0.numpy(), minlength=3).astype(np.float64)
    for buf in bufs[1:]:
        mb.partial_fit(buf)
        b = buf.double().numpy()
        lab = ((b[:, None] - c[None])**2).sum(-1).argmin(1)
        for k in np.unique(lab):        # PiCIE run_mini_batch_kmeans
            m = (lab == k).sum()
            n[k] += m
            lr = m / n[k]
            c[k] = (1 - lr) * c[k] + lr * b[lab == k].mean(0)
    torch.testing.assert_close(mb.centroids, torch.from_numpy(c).float(), atol=1e-5, rtol=1e-5)
    assert mb.counts.tolist() == n.astype(np.int64).tolist()


def test_cluster_without_points_keeps_its_centroid():
    x, _ = blobs(num_per_cluster=(100, 100, 100), dim=4, seed=7)
    mb = MiniBatchKMeans(3).partial_fit(x)
    before, counts = mb.centroids.clone(), mb.counts.clone()
    near0 = x[mb.assign(x) == 0][:20]
    mb.partial_fit(near0)                # only cluster 0 receives points
    assert torch.equal(mb.centroids[1:], before[1:])
    assert mb.counts.tolist() == [int(counts[0]) + 20] + counts[1:].tolist()


def test_sharded_stats_equal_partial_fit():
    x, _ = blobs(num_per_cluster=(100, 100, 100), dim=4, seed=8)
    a, b = MiniBatchKMeans(3), MiniBatchKMeans(3, kmeans=dict(type='FaissKMeans', max_iter=20))
    a.partial_fit(x[:150])
    b.partial_fit(x[:150])
    torch.testing.assert_close(a.centroids, b.centroids, atol=1e-4, rtol=1e-4)
    # two "ranks" each compute the stats of half of the next buffer; summed -> update
    s1, n1 = b.batch_stats(x[150:220])
    s2, n2 = b.batch_stats(x[220:])
    b.update(s1 + s2, n1 + n2)
    a.partial_fit(x[150:])
    torch.testing.assert_close(a.centroids, b.centroids, atol=1e-4, rtol=1e-4)
    assert torch.equal(a.counts, b.counts)
