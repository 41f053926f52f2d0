"""Batched Lloyd iterations: nearest-centroid assignment, per-cluster sums, the
empty-cluster rule (pure torch).

All functions work on *batched* problems, ``x`` of shape (B, N, C) with a validity
``mask`` (B, N); a single problem is ``B = 1``. There is no Python loop over problems;
the only loops run over row chunks (memory bound).

Note:
    B: number of problems. N: points per problem (padded). C: feature channels.
    K: number of clusters.
"""
from typing import Optional, Tuple

import torch
from torch import Tensor

from hp_mm.structures.distances import squared_norms

#: rows per chunk when computing point-to-centroid distances (bounds the B x chunk x K buffer)
ASSIGN_CHUNK = 65536


def _assign_chunks(x: Tensor, centroids: Tensor, mask: Optional[Tensor], chunk: int,
                   with_sums: bool):
    """One pass over ``x`` in row chunks: nearest centroid, the ranking score
    ``min_k ||c_k||^2 - 2 x.c_k`` (add ``||x||^2`` for the squared distance) and, when
    ``with_sums``, the per-cluster sums (one-hot matmul, deterministic on GPU) and
    counts of that assignment. Masked points get label -1."""
    B, N, C = x.shape
    K = centroids.shape[1]
    c = centroids.to(x.dtype)
    c_sq = (c * c).sum(-1)[:, None, :]
    ct = (-2.0 * c).transpose(1, 2)  # a transposed view: the faster "NT" GEMM on CPU
    if mask is not None and bool(mask.all()):
        mask = None
    labels = torch.empty(B, N, dtype=torch.int64, device=x.device)
    score = torch.empty(B, N, dtype=x.dtype, device=x.device)
    sums = x.new_zeros(B, K + 1, C) if with_sums else None
    for s in range(0, N, chunk):
        xs = x[:, s:s + chunk]
        dmin, lab = torch.bmm(xs, ct).add_(c_sq).min(dim=-1)
        if mask is not None:
            lab.masked_fill_(~mask[:, s:s + chunk], -1)
        labels[:, s:s + chunk] = lab
        score[:, s:s + chunk] = dmin
        if with_sums:
            sums.baddbmm_(_one_hot(lab, K, x.dtype), xs)
    if not with_sums:
        return labels, score
    return labels, score, sums[:, :K], _counts(labels, K)


def _one_hot(labels: Tensor, K: int, dtype: torch.dtype) -> Tensor:
    """(B, K + 1, n) one-hot of labels (B, n) in [-1, K); -1 (masked) goes to row K."""
    onehot = torch.zeros(labels.shape[0], K + 1, labels.shape[1], dtype=dtype,
                         device=labels.device)
    return onehot.scatter_(1, torch.where(labels < 0, K, labels)[:, None], 1.0)


def _counts(labels: Tensor, K: int) -> Tensor:
    """(B, K) int64 number of points per cluster of labels (B, N) in [-1, K)."""
    B = labels.shape[0]
    offset = torch.arange(B, device=labels.device)[:, None] * (K + 1)
    flat = torch.where(labels < 0, K, labels) + offset
    return torch.bincount(flat.reshape(-1), minlength=B * (K + 1)).view(B, K + 1)[:, :K]


def _moved_sums(x: Tensor, prev: Tensor, labels: Tensor, K: int) -> Tuple[Tensor, Tensor]:
    """Change of the per-cluster sums and counts when the points whose label changed
    from ``prev`` to ``labels`` (B, N) move: only those rows of ``x`` are read (gathered
    per problem, padded), summed with a signed one-hot matmul (deterministic on GPU).

    Returns:
        tuple: (B, K, C) sum change in the dtype of ``x`` and (B, K) int64 count change.
    """
    B, N, C = x.shape
    b, n = (labels != prev).nonzero(as_tuple=True)  # row-major: by problem, then point
    num = torch.bincount(b, minlength=B)
    slot = torch.arange(b.numel(), device=x.device) - (torch.cumsum(num, 0) - num)[b]
    width = int(num.max()) if B else 0
    rows = torch.zeros(B, width, dtype=torch.int64, device=x.device)
    new = torch.full((B, width), -1, dtype=torch.int64, device=x.device)
    old = torch.full_like(new, -1)
    rows[b, slot], new[b, slot], old[b, slot] = n, labels[b, n], prev[b, n]
    points = torch.gather(x, 1, rows[..., None].expand(-1, -1, C))         # (B, width, C)
    sign = _one_hot(new, K, x.dtype) - _one_hot(old, K, x.dtype)           # (B, K + 1, width)
    return torch.bmm(sign, points)[:, :K], _counts(new, K) - _counts(old, K)


def _distances(score: Tensor, x_sq: Tensor, mask: Optional[Tensor]) -> Tensor:
    """Squared distance to the nearest centroid from the ranking score (0 where masked)."""
    d = (score + x_sq).clamp_(min=0.0)
    return d if mask is None else d.masked_fill_(~mask, 0.0)


def nearest_centroid(x: Tensor, centroids: Tensor, mask: Optional[Tensor] = None,
                     chunk: int = ASSIGN_CHUNK) -> Tuple[Tensor, Tensor]:
    """Nearest centroid (squared L2) of every point, in row chunks.

    Args:
        x (Tensor): (B, N, C).
        centroids (Tensor): (B, K, C).
        mask (Tensor, optional): (B, N) bool; masked points get label -1, distance 0.
        chunk (int): Rows per chunk.

    Returns:
        tuple: labels (B, N) int64 and squared distances to that centroid (B, N).
    """
    labels, score = _assign_chunks(x, centroids, mask, chunk, with_sums=False)
    return labels, _distances(score, squared_norms(x), mask)


def nearest_labels(x: Tensor, centroids: Tensor, mask: Optional[Tensor] = None,
                   chunk: int = ASSIGN_CHUNK) -> Tensor:
    """Labels of :func:`nearest_centroid` only (B, N) int64, without the distances."""
    return _assign_chunks(x, centroids, mask, chunk, with_sums=False)[0]


def cluster_sums(x: Tensor, centroids: Tensor, mask: Optional[Tensor] = None,
                 chunk: int = ASSIGN_CHUNK):
    """Assign to the nearest centroid and sum the points of each cluster, in one pass.

    Args:
        x (Tensor): (B, N, C).
        centroids (Tensor): (B, K, C).
        mask (Tensor, optional): (B, N) bool; masked points count nowhere.
        chunk (int): Rows per chunk.

    Returns:
        tuple: labels (B, N) int64 (-1 where masked), squared distances (B, N),
        per-cluster sums (B, K, C) and counts (B, K) int64 of that assignment.
    """
    labels, score, sums, counts = _assign_chunks(x, centroids, mask, chunk, with_sums=True)
    return labels, _distances(score, squared_norms(x), mask), sums, counts


def reseed_empty(centroids: Tensor, counts: Tensor, x: Tensor, dists: Tensor,
                 mask: Tensor) -> Tuple[Tensor, int]:
    """Empty-cluster rule of the torch back-ends: re-seed every empty cluster at a
    point farthest from its assigned centroid.

    With ``e`` empty clusters in a problem, the ``e`` farthest valid points (by the
    distances of the current assignment, descending) go to the empty clusters in
    increasing cluster index. The other centroids are left as they are.

    Args:
        centroids (Tensor): (B, K, C) updated centroids (modified in place).
        counts (Tensor): (B, K) points per cluster in the current assignment.
        x (Tensor): (B, N, C) points.
        dists (Tensor): (B, N) squared distance of each point to its centroid.
        mask (Tensor): (B, N) bool.

    Returns:
        tuple: the centroids and the number of re-seeded clusters.
    """
    empty = counts == 0
    num_empty = int(empty.sum())
    if num_empty == 0:
        return centroids, 0
    B, K, C = centroids.shape
    far = dists.masked_fill(~mask, -1.0).topk(K, dim=1).indices          # (B, K) farthest first
    rank = (torch.cumsum(empty.long(), dim=1) - 1).clamp_(min=0)        # j-th empty -> j-th farthest
    pick = torch.gather(far, 1, rank)                                   # (B, K) point per cluster
    seeds = torch.gather(x, 1, pick[..., None].expand(-1, -1, C))
    centroids[empty] = seeds[empty].to(centroids.dtype)
    return centroids, num_empty


def lloyd(x: Tensor, mask: Tensor, centroids: Tensor, max_iter: int,
          chunk: int = ASSIGN_CHUNK) -> Tuple[Tensor, Tensor, int]:
    """Batched Lloyd iterations from given initial centroids.

    One iteration = assign every valid point to its nearest centroid (squared L2),
    then move each centroid to the mean of its points (empty clusters:
    :func:`reseed_empty`). The loop stops early once no label changes (a fixed point:
    further iterations would change nothing). The returned labels are the assignment
    to the returned centroids, exactly as ``max_iter`` plain iterations followed by an
    assignment.

    Cost: the per-cluster sums are computed in full once (a one-hot matmul over
    ``x``) and then kept up to date in float64 from the points whose label changed,
    so an iteration reads ``x`` about once (the distances), not twice.

    Args:
        x (Tensor): (B, N, C) float32, masked rows finite (e.g. zero padding).
        mask (Tensor): (B, N) bool.
        centroids (Tensor): (B, K, C) initial centroids.
        max_iter (int): Maximum number of centroid updates.
        chunk (int): Rows per distance chunk.

    Returns:
        tuple: centroids (B, K, C) float32, labels (B, N) int64 (-1 where masked),
        number of centroid updates made.
    """
    centroids = centroids.to(x.dtype).clone()
    K = centroids.shape[1]
    x_sq = None  # ||x||^2, computed only if a cluster goes empty
    prev, sums, counts, reseeded, steps = None, None, None, 0, 0
    for _ in range(max_iter):
        if prev is None:
            labels, score, sums, counts = _assign_chunks(x, centroids, mask, chunk, True)
            sums = sums.to(torch.float64)
        else:
            labels, score = _assign_chunks(x, centroids, mask, chunk, False)
            if not reseeded and torch.equal(labels, prev):
                return centroids, labels, steps
            d_sums, d_counts = _moved_sums(x, prev, labels, K)
            sums += d_sums
            counts += d_counts
        mean = (sums / counts.clamp(min=1)[..., None]).to(x.dtype)
        centroids = torch.where((counts > 0)[..., None], mean, centroids)
        reseeded = 0
        if bool((counts == 0).any()):
            sums[counts == 0] = 0.0  # exactly empty, whatever the rounding of the updates
            x_sq = squared_norms(x) if x_sq is None else x_sq
            centroids, reseeded = reseed_empty(centroids, counts, x,
                                               _distances(score, x_sq, mask), mask)
        prev, steps = labels, steps + 1
    labels, _ = _assign_chunks(x, centroids, mask, chunk, False)
    return centroids, labels, steps
