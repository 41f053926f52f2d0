"""Batched Lloyd iterations: nearest-centroid assignment, per-cluster sums, the
empty-cluster rule (pure torch).

All functions work on *batched* problems, ``x`` of shape (B, N, C) with a validity
``mask`` (B, N); a single problem is ``B = 1``. There is no Python loop over problems;
the only loops run over row chunks (memory bound).

Note:
    B: number of problems. N: points per problem (padded). C: feature channels.
    K: number of clusters.
"""
from typing import NamedTuple, Optional, Tuple

import torch
from torch import Tensor

from hp_mm.structures.distances import squared_norms
from .distance_bounds import (bounds_from_scores, half_separation, rows_to_check,
                              score_tolerance, shift_bounds_)

#: rows per chunk when computing point-to-centroid distances (bounds the B x chunk x K buffer)
ASSIGN_CHUNK = 65536
#: values per gathered slice when only some rows are re-assigned (16 MB of float32)
GATHER_ELEMENTS = 1 << 22
#: above this fraction of a problem's rows to re-check, a bounded assignment reads all rows
#: (gathering copies the rows it reads; 0.6-1.0 measured alike on the CPU, 0.7 makes the
#: first update after the seeding, where every point must be checked, a plain pass)
GATHER_MAX_FRACTION = 0.7


class Assignment(NamedTuple):
    """Result of one assignment pass (fields not asked for are None).

    labels (B, N) int64, -1 where masked; score (B, N) ``min_k ||c_k||^2 - 2 x.c_k``
    (add ``||x||^2`` for the squared distance); second (B, N) the second smallest
    score (``inf`` when K = 1); sums (B, K, C) and counts (B, K) int64 of the points
    per cluster."""
    labels: Tensor
    score: Tensor
    second: Optional[Tensor] = None
    sums: Optional[Tensor] = None
    counts: Optional[Tensor] = None


def _centroid_terms(centroids: Tensor, dtype: torch.dtype) -> Tuple[Tensor, Tensor]:
    """``ct = -2 c^T`` (B, C, K), a transposed view (the faster "NT" GEMM on CPU), and
    ``||c||^2`` (B, 1, K) of centroids (B, K, C), in ``dtype``."""
    c = centroids.to(dtype)
    return (-2.0 * c).transpose(1, 2), (c * c).sum(-1)[:, None, :]


def _scores(xs: Tensor, ct: Tensor, c_sq: Tensor, with_second: bool):
    """Best score, its centroid and (optionally) the second best score of rows xs
    (B, n, C) against ``ct = -2 c^T`` (B, C, K) and ``c_sq`` (B, 1, K)."""
    d = torch.bmm(xs, ct).add_(c_sq)
    dmin, lab = d.min(dim=-1)
    second = d.scatter_(-1, lab[..., None], float('inf')).amin(-1) if with_second else None
    return dmin, lab, second


def _assign_chunks(x: Tensor, centroids: Tensor, mask: Optional[Tensor], chunk: int,
                   with_sums: bool, with_second: bool = False) -> Assignment:
    """One pass over ``x`` in row chunks: nearest centroid, the ranking score, and when
    asked the second best score and the per-cluster sums (one-hot matmul, deterministic
    on GPU) and counts of that assignment. Masked points get label -1."""
    B, N, C = x.shape
    K = centroids.shape[1]
    ct, c_sq = _centroid_terms(centroids, x.dtype)
    if mask is not None and bool(mask.all()):
        mask = None
    labels = torch.empty(B, N, dtype=torch.int64, device=x.device)
    score = torch.empty(B, N, dtype=x.dtype, device=x.device)
    second = torch.empty(B, N, dtype=x.dtype, device=x.device) if with_second else None
    sums = x.new_zeros(B, K + 1, C) if with_sums else None
    for s in range(0, N, chunk):
        xs = x[:, s:s + chunk]
        dmin, lab, dsec = _scores(xs, ct, c_sq, with_second)
        if mask is not None:
            lab.masked_fill_(~mask[:, s:s + chunk], -1)
        labels[:, s:s + chunk] = lab
        score[:, s:s + chunk] = dmin
        if with_second:
            second[:, s:s + chunk] = dsec
        if with_sums:
            sums.baddbmm_(_one_hot(lab, K, x.dtype), xs)
    if not with_sums:
        return Assignment(labels, score, second)
    return Assignment(labels, score, second, sums[:, :K], _counts(labels, K))


def _pad_rows(b: Tensor, n: Tensor, B: int) -> Tuple[Tensor, Tensor]:
    """Row indices ``n`` of problems ``b`` (sorted by problem) packed per problem:
    rows (B, width) int64 (0 in the padding) and the slot of each index within its
    problem (M,)."""
    num = torch.bincount(b, minlength=B)
    slot = torch.arange(b.numel(), device=b.device) - (torch.cumsum(num, 0) - num)[b]
    width = int(num.max()) if B and b.numel() else 0
    rows = torch.zeros(B, width, dtype=torch.int64, device=b.device)
    rows[b, slot] = n
    return rows, slot


def _gather_rows(x: Tensor, rows: Tensor, out: Optional[Tensor] = None) -> Tensor:
    """``x[b, rows[b, j]]`` for every problem: (B, N, C), (B, w) -> (B, w, C). Whole rows
    are copied (``index_select`` on the flattened points) when ``x`` is contiguous, into
    ``out`` (a flat buffer of at least B * w * C values) when given: writing to memory
    already touched is several times faster than to a new allocation."""
    B, N, C = x.shape
    if not x.is_contiguous():
        return torch.gather(x, 1, rows[..., None].expand(-1, -1, C))
    offset = torch.arange(B, device=x.device)[:, None] * N
    flat = (rows + offset).flatten()
    if out is None:
        return x.view(B * N, C).index_select(0, flat).view(B, -1, C)
    dest = out[:flat.numel() * C].view(flat.numel(), C)
    return torch.index_select(x.view(B * N, C), 0, flat, out=dest).view(B, -1, C)


def _assign_rows(x: Tensor, centroids: Tensor, check: Tensor, buffer: Tensor):
    """Assignment pass over the rows where ``check`` (B, N) is True only: those rows
    are gathered per problem into ``buffer`` (flat, at least B * C values), as many
    rows per slice as it holds.

    Returns:
        tuple: problem and row index (M,) of the checked points (row-major), their
        labels, best and second best scores (M,).
    """
    B, N, C = x.shape
    ct, c_sq = _centroid_terms(centroids, x.dtype)
    b, n = check.nonzero(as_tuple=True)
    rows, slot = _pad_rows(b, n, B)
    width = rows.shape[1]
    step = max(1, min(width, buffer.numel() // (B * C)))
    lab = torch.empty(B, width, dtype=torch.int64, device=x.device)
    best = torch.empty(B, width, dtype=x.dtype, device=x.device)
    second = torch.empty_like(best)
    for s in range(0, width, step):
        points = _gather_rows(x, rows[:, s:s + step], buffer)  # (B, step, C)
        best[:, s:s + step], lab[:, s:s + step], second[:, s:s + step] = _scores(
            points, ct, c_sq, True)
    return b, n, lab[b, slot], best[b, slot], second[b, slot]


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
    rows, slot = _pad_rows(b, n, B)
    new = torch.full(rows.shape, -1, dtype=torch.int64, device=x.device)
    old = torch.full_like(new, -1)
    new[b, slot], old[b, slot] = labels[b, n], prev[b, n]
    points = _gather_rows(x, rows)                                         # (B, width, C)
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
    a = _assign_chunks(x, centroids, mask, chunk, with_sums=False)
    return a.labels, _distances(a.score, squared_norms(x), mask)


def nearest_labels(x: Tensor, centroids: Tensor, mask: Optional[Tensor] = None,
                   chunk: int = ASSIGN_CHUNK) -> Tensor:
    """Labels of :func:`nearest_centroid` only (B, N) int64, without the distances."""
    return _assign_chunks(x, centroids, mask, chunk, with_sums=False).labels


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
    a = _assign_chunks(x, centroids, mask, chunk, with_sums=True)
    return a.labels, _distances(a.score, squared_norms(x), mask), a.sums, a.counts


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
          chunk: int = ASSIGN_CHUNK, bounds: bool = True) -> Tuple[Tensor, Tensor, int]:
    """Batched Lloyd iterations from given initial centroids.

    One iteration = move each centroid to the mean of its points (empty clusters:
    :func:`reseed_empty`), then assign every valid point to its nearest centroid
    (squared L2); the first assignment is to the initial centroids. The loop stops
    early once no label changes (a fixed point: further iterations would change
    nothing). The returned labels are the assignment to the returned centroids,
    exactly as ``max_iter`` plain iterations followed by an assignment.

    Cost: the per-cluster sums are computed in full once (a one-hot matmul over
    ``x``) and then kept up to date in float64 from the points whose label changed.
    With ``bounds`` (Hamerly's bounds, :mod:`distance_bounds`) an assignment after the
    first computes the distances of only those points whose nearest centroid may have
    changed; the others keep their label without their rows being read. The labels
    equal plain Lloyd's up to float ties (the bounds allow for the GEMM's rounding).

    Args:
        x (Tensor): (B, N, C) float32, masked rows finite (e.g. zero padding).
        mask (Tensor): (B, N) bool.
        centroids (Tensor): (B, K, C) initial centroids.
        max_iter (int): Maximum number of centroid updates.
        chunk (int): Rows per distance chunk.
        bounds (bool): Skip points by Hamerly's bounds. Defaults to True (False:
            every assignment computes every distance).

    Returns:
        tuple: centroids (B, K, C) float32, labels (B, N) int64 (-1 where masked),
        number of centroid updates made.
    """
    centroids = centroids.to(x.dtype).clone()
    K = centroids.shape[1]
    x_sq = squared_norms(x) if bounds else None
    first = _assign_chunks(x, centroids, mask, chunk, with_sums=True, with_second=bounds)
    labels, sums, counts = first.labels, first.sums.to(torch.float64), first.counts
    if bounds:
        upper, lower = bounds_from_scores(first.score, first.second, x_sq,
                                          score_tolerance(x_sq, centroids))
        B, N, C = x.shape  # one gather buffer for every pass (re-touching memory is slow)
        buffer = x.new_empty(max(B * C, min(GATHER_ELEMENTS, B * N * C)))
    prev, steps = None, 0
    for _ in range(max_iter):
        if prev is not None:
            d_sums, d_counts = _moved_sums(x, prev, labels, K)
            sums += d_sums
            counts += d_counts
        old = centroids
        mean = (sums / counts.clamp(min=1)[..., None]).to(x.dtype)
        centroids = torch.where((counts > 0)[..., None], mean, old)
        reseeded = 0
        if bool((counts == 0).any()):
            sums[counts == 0] = 0.0  # exactly empty, whatever the rounding of the updates
            x_sq = squared_norms(x) if x_sq is None else x_sq
            score = _assign_chunks(x, old, mask, chunk, with_sums=False).score
            centroids, reseeded = reseed_empty(centroids, counts, x,
                                               _distances(score, x_sq, mask), mask)
        prev, steps = labels, steps + 1
        if bounds:
            labels = _bounded_assignment(x, mask, centroids, old, labels, upper, lower, x_sq,
                                         buffer, chunk)
        else:
            labels = _assign_chunks(x, centroids, mask, chunk, with_sums=False).labels
        if not reseeded and torch.equal(labels, prev):
            break
    return centroids, labels, steps


def _bounded_assignment(x: Tensor, mask: Tensor, centroids: Tensor, old: Tensor,
                        labels: Tensor, upper: Tensor, lower: Tensor, x_sq: Tensor,
                        buffer: Tensor, chunk: int = ASSIGN_CHUNK) -> Tensor:
    """Assignment to ``centroids`` (moved from ``old``) that recomputes only the points
    the bounds cannot settle; updates ``upper`` / ``lower`` in place, returns the new
    labels (B, N). When some problem has more than :data:`GATHER_MAX_FRACTION` of its
    rows to check, gathering costs more than reading everything: one full pass."""
    B, N, _ = x.shape
    shift_bounds_(upper, lower, labels, old, centroids)
    check = rows_to_check(upper, lower, labels, half_separation(centroids), mask)
    per_problem = check.sum(1)
    if not bool(per_problem.any()):
        return labels
    tol = score_tolerance(x_sq, centroids)
    if int(per_problem.max()) > GATHER_MAX_FRACTION * N:
        a = _assign_chunks(x, centroids, mask, chunk, with_sums=False, with_second=True)
        upper[:], lower[:] = bounds_from_scores(a.score, a.second, x_sq, tol)
        return a.labels
    labels = labels.clone()
    b, n, lab, best, second = _assign_rows(x, centroids, check, buffer)
    labels[b, n] = lab
    upper[b, n], lower[b, n] = bounds_from_scores(best, second, x_sq[b, n], tol[b, n])
    return labels
