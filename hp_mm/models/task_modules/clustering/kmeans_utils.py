"""Pure torch k-means pieces shared by every back-end (no registry, no mmengine).

All functions work on *batched* problems, ``x`` of shape (B, N, C) with a validity
``mask`` (B, N); a single problem is ``B = 1``. There is no Python loop over problems;
the only loops run over centroids (k-means++) or over row chunks (memory bound).

Randomness is counter based (:func:`counter_uniform`): the random numbers of problem
``b`` depend only on ``seeds[b]`` and a counter, never on the other problems of the
batch, so a problem gives the same result alone or inside any batch.

Note:
    B: number of problems. N: points per problem (padded). C: feature channels.
    K: number of clusters.
"""
from typing import Optional, Tuple

import torch
from torch import Tensor

_M32 = 0xFFFFFFFF
#: rows per chunk when computing point-to-centroid distances (bounds the B x chunk x K buffer)
ASSIGN_CHUNK = 65536


def _mul32(a: Tensor, c: int) -> Tensor:
    """``(a * c) mod 2**32`` for int64 ``a`` in [0, 2**32) without int64 overflow."""
    lo = (a * (c & 0xFFFF)) & _M32
    hi = ((a * (c >> 16)) & 0xFFFF) << 16
    return (lo + hi) & _M32


def _mix32(h: Tensor) -> Tensor:
    """A 32-bit integer hash (C. Wellons' 'lowbias32' finalizer) on int64 tensors."""
    h = h ^ (h >> 16)
    h = _mul32(h, 0x7FEB352D)
    h = h ^ (h >> 15)
    h = _mul32(h, 0x846CA68B)
    return h ^ (h >> 16)


def counter_uniform(seeds: Tensor, counters: Tensor, stream: int = 0) -> Tensor:
    """Counter-based uniform random numbers in (0, 1).

    Args:
        seeds (Tensor): (B,) int64 seeds, one per problem (any int64 value).
        counters (Tensor): (M,) int64 counters (>= 0).
        stream (int): Independent stream id (init, subsampling, ... use different ones).

    Returns:
        Tensor: (B, M) float64; entry (b, m) depends only on (seeds[b], counters[m], stream).
    """
    seeds = seeds.to(torch.int64)
    counters = counters.to(device=seeds.device, dtype=torch.int64)
    s = _mix32((seeds & _M32) ^ _mix32((seeds >> 32) & _M32) ^ _mix32(torch.full_like(seeds, stream)))
    h = _mix32(s[:, None] ^ _mix32(counters[None, :] & _M32))
    h = _mix32(h ^ _mix32((counters[None, :] >> 32) & _M32) ^ 0x9E3779B9)
    return (h.to(torch.float64) + 0.5) / 2.0**32


def problem_seeds(seed: int, num_problems: int, seeds: Optional[Tensor] = None,
                  device=None) -> Tensor:
    """The (B,) int64 seeds of a batch: ``seeds`` when given, else ``seed + arange(B)``."""
    if seeds is None:
        return torch.arange(num_problems, dtype=torch.int64, device=device) + int(seed)
    seeds = torch.as_tensor(seeds, dtype=torch.int64, device=device).reshape(-1)
    if seeds.numel() != num_problems:
        raise ValueError(f'seeds has {seeds.numel()} entries for {num_problems} problems')
    return seeds


def check_features(x, num_clusters: int, mask: Optional[Tensor] = None, batched: bool = False,
                   name: str = 'features') -> Tuple[Tensor, Tensor]:
    """Validate k-means input and return it as float32 with a boolean mask.

    Args:
        x (Tensor | ndarray): (N, C) or, when ``batched``, (B, N, C) features.
        num_clusters (int): K.
        mask (Tensor, optional): (B, N) bool validity (batched only); default all valid.
        batched (bool): Whether ``x`` holds B problems.
        name (str): Name used in error messages.

    Returns:
        tuple: ``x`` as (B, N, C) float32 (B = 1 when not batched; no copy for float32
        input unless masked-out rows hold NaN / Inf, which are then set to 0) and
        ``mask`` as (B, N) bool.

    Raises:
        ValueError: wrong rank, non-finite valid rows (the message gives how many), or
            fewer valid points than clusters (K > N), per problem when batched.
    """
    if not isinstance(x, Tensor):
        x = torch.as_tensor(x)
    if not (x.is_floating_point() or x.dtype in (torch.int32, torch.int64, torch.uint8)):
        raise TypeError(f'{name} must be a real tensor, got dtype {x.dtype}')
    want = 3 if batched else 2
    if x.dim() != want:
        shape = '(B, N, C)' if batched else '(N, C)'
        raise ValueError(f'{name} must have shape {shape}, got {tuple(x.shape)}')
    if num_clusters < 1:
        raise ValueError(f'num_clusters must be >= 1, got {num_clusters}')
    x = x.float()
    if not batched:
        x = x.unsqueeze(0)
        if mask is not None:
            raise ValueError('mask is only for batched (B, N, C) input')
    B, N, _ = x.shape
    if mask is None:
        mask = torch.ones(B, N, dtype=torch.bool, device=x.device)
    else:
        mask = torch.as_tensor(mask, device=x.device)
        if mask.shape != (B, N):
            raise ValueError(f'mask must have shape {(B, N)}, got {tuple(mask.shape)}')
        mask = mask.bool()
    # a row sum is non-finite iff the row has a NaN / Inf (or overflows, checked exactly
    # below on the few flagged rows); avoids a (B, N, C) boolean temporary
    finite = torch.isfinite(x.sum(dim=-1))
    if not bool(finite.all()):
        flagged = ~finite
        finite[flagged] = torch.isfinite(x[flagged]).all(dim=-1)
    bad = ~finite & mask
    num_bad = int(bad.sum())
    if num_bad:
        total = int(mask.sum())
        where = ''
        if batched:
            probs = torch.nonzero(bad.any(dim=1)).flatten().tolist()
            where = f' (problems {probs[:10]}{"..." if len(probs) > 10 else ""})'
        raise ValueError(f'{name}: {num_bad} of {total} rows are not finite (NaN or Inf){where}; '
                         'k-means needs finite features')
    counts = mask.sum(dim=1)
    short = torch.nonzero(counts < num_clusters).flatten()
    if short.numel():
        if batched:
            raise ValueError(
                f'{name}: num_clusters={num_clusters} > number of valid points in problem(s) '
                f'{short[:10].tolist()} (they have {counts[short[:10]].tolist()} points)')
        raise ValueError(f'{name}: num_clusters={num_clusters} > number of points N={N}')
    if not bool(finite.all()):  # non-finite padding would spread NaN through the matmuls
        x = x.masked_fill(~mask[..., None], 0.0)
    return x, mask


def squared_distances(x: Tensor, centroids: Tensor, x_sq: Optional[Tensor] = None) -> Tensor:
    """Squared L2 distances ``||x_n - c_k||^2`` (clamped at 0).

    Args:
        x (Tensor): (B, N, C).
        centroids (Tensor): (B, K, C).
        x_sq (Tensor, optional): (B, N) precomputed ``||x_n||^2``.

    Returns:
        Tensor: (B, N, K).
    """
    if x_sq is None:
        x_sq = _row_sq_norms(x)
    d = torch.baddbmm((centroids * centroids).sum(-1)[:, None, :], x, centroids.transpose(1, 2),
                      alpha=-2.0)
    return d.add_(x_sq[..., None]).clamp_(min=0.0)


def _row_sq_norms(x: Tensor) -> Tensor:
    """``||x_n||^2`` (B, N) without materialising ``x * x``."""
    return torch.linalg.vector_norm(x, dim=-1).square_()


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
            onehot = x.new_zeros(B, K + 1, xs.shape[1])
            onehot.scatter_(1, (lab if mask is None else torch.where(lab < 0, K, lab))[:, None], 1.0)
            sums.baddbmm_(onehot, xs)
    if not with_sums:
        return labels, score
    offset = torch.arange(B, device=x.device)[:, None] * (K + 1)
    flat = labels if mask is None else torch.where(labels < 0, K, labels)
    counts = torch.bincount((flat + offset).reshape(-1), minlength=B * (K + 1)).view(B, K + 1)
    return labels, score, sums[:, :K], counts[:, :K]


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
    return labels, _distances(score, _row_sq_norms(x), mask)


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
    return labels, _distances(score, _row_sq_norms(x), mask), sums, counts


def _sample_weighted_many(weights: Tensor, u: Tensor) -> Tensor:
    """Indices (B, M) drawn per row with probability proportional to ``weights``
    (B, N) float64, one per uniform in ``u`` (B, M)."""
    cum = torch.cumsum(weights, dim=1)
    idx = torch.searchsorted(cum, u * cum[:, -1:], right=True)
    return idx.clamp_(max=weights.shape[1] - 1)


def _sample_weighted(weights: Tensor, u: Tensor) -> Tensor:
    """Index drawn per row with probability proportional to ``weights`` (B, N) float64,
    using the uniforms ``u`` (B,)."""
    return _sample_weighted_many(weights, u[:, None]).squeeze(1)


def kmeans_plusplus(x: Tensor, num_clusters: int, mask: Tensor, seeds: Tensor) -> Tensor:
    """k-means++ seeding (Arthur & Vassilvitskii 2007), batched.

    The first centroid is a uniformly drawn valid point; each next one is drawn with
    probability proportional to the squared distance to the nearest chosen centroid.
    When all remaining valid points coincide with chosen centroids (zero total
    weight) the draw falls back to uniform over valid points.

    Args:
        x (Tensor): (B, N, C) float32.
        num_clusters (int): K.
        mask (Tensor): (B, N) bool.
        seeds (Tensor): (B,) int64 per-problem seeds.

    Returns:
        Tensor: (B, K, C) initial centroids.
    """
    B, N, C = x.shape
    valid = mask.to(torch.float64)
    u = counter_uniform(seeds, torch.arange(num_clusters, device=x.device), stream=1)
    batch = torch.arange(B, device=x.device)
    centroids = x.new_empty(B, num_clusters, C)
    x_sq = _row_sq_norms(x)
    d2 = None
    for k in range(num_clusters):
        w = valid if d2 is None else torch.where((d2.sum(1) > 0)[:, None], d2, valid)
        centroids[:, k] = x[batch, _sample_weighted(w, u[:, k])]
        dk = squared_distances(x, centroids[:, k:k + 1], x_sq).squeeze(-1).to(torch.float64) * valid
        d2 = dk if d2 is None else torch.minimum(d2, dk)
    return centroids


def random_init(x: Tensor, num_clusters: int, mask: Tensor, seeds: Tensor) -> Tensor:
    """K distinct valid points drawn uniformly per problem (B, K, C)."""
    keys = counter_uniform(seeds, torch.arange(x.shape[1], device=x.device), stream=2)
    keys = keys.masked_fill(~mask, -1.0)
    idx = keys.topk(num_clusters, dim=1).indices
    return torch.gather(x, 1, idx[..., None].expand(-1, -1, x.shape[2]))


def init_centroids(x: Tensor, num_clusters: int, mask: Tensor, seeds: Tensor,
                   method: str = 'k-means++') -> Tensor:
    """Initial centroids by ``method`` ('k-means++' or 'random'): (B, K, C)."""
    if method == 'k-means++':
        return kmeans_plusplus(x, num_clusters, mask, seeds)
    if method == 'random':
        return random_init(x, num_clusters, mask, seeds)
    raise ValueError(f"init must be 'k-means++' or 'random', got {method!r}")


def subsample(x: Tensor, mask: Tensor, max_points: int, seeds: Tensor) -> Tuple[Tensor, Tensor]:
    """``max_points`` valid points per problem drawn uniformly with replacement
    (problems with fewer valid points keep them all, unchanged).

    Returns:
        tuple: (B, M, C) points and (B, M) mask with M = min(N, max_points).
    """
    B, N, C = x.shape
    if N <= max_points:
        return x, mask
    u = counter_uniform(seeds, torch.arange(max_points, device=x.device), stream=3)
    idx = _sample_weighted_many(mask.to(torch.float64), u)                 # (B, M)
    small = mask.sum(1) <= max_points
    if bool(small.any()):  # keep every point of small problems, once
        first = torch.argsort((~mask[small]).to(torch.int8), dim=1, stable=True)[:, :max_points]
        idx[small] = first
        sub_mask = torch.ones(B, max_points, dtype=torch.bool, device=x.device)
        sub_mask[small] = torch.gather(mask[small], 1, first)
    else:
        sub_mask = torch.ones(B, max_points, dtype=torch.bool, device=x.device)
    return torch.gather(x, 1, idx[..., None].expand(-1, -1, C)), sub_mask


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
    :func:`reseed_empty`). Assignment and sums share one pass over ``x``. The loop
    stops early once no label changes (a fixed point: further iterations would
    change nothing). The returned labels are the assignment to the returned
    centroids, exactly as ``max_iter`` plain iterations followed by an assignment.

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
    x_sq = None  # ||x||^2, computed only if a cluster goes empty
    prev, reseeded, steps = None, 0, 0
    for _ in range(max_iter):
        labels, score, sums, counts = _assign_chunks(x, centroids, mask, chunk, True)
        if prev is not None and not reseeded and torch.equal(labels, prev):
            return centroids, labels, steps
        mean = sums / counts.clamp(min=1)[..., None].to(sums.dtype)
        centroids = torch.where((counts > 0)[..., None], mean, centroids)
        reseeded = 0
        if bool((counts == 0).any()):
            x_sq = _row_sq_norms(x) if x_sq is None else x_sq
            centroids, reseeded = reseed_empty(centroids, counts, x,
                                               _distances(score, x_sq, mask), mask)
        prev, steps = labels, steps + 1
    labels, _ = _assign_chunks(x, centroids, mask, chunk, False)
    return centroids, labels, steps


def _group_slots(group_index: Tensor, num_groups: int) -> Tuple[Tensor, Tensor]:
    """Slot of every sample inside its group (its rank among the group's samples,
    in input order) and the group sizes (G,)."""
    sizes = torch.bincount(group_index, minlength=num_groups)
    order = torch.argsort(group_index, stable=True)
    starts = torch.cumsum(sizes, 0) - sizes
    slot = torch.empty_like(group_index)
    slot[order] = torch.arange(group_index.numel(), device=group_index.device) - starts[group_index[order]]
    return slot, sizes


def pack_groups(values: Tensor, group_index: Tensor,
                num_groups: Optional[int] = None) -> Tuple[Tensor, Tensor]:
    """Pad per-sample values into per-group slots, in one copy.

    Samples keep their order inside a group (slot ``j`` = the group's ``j``-th sample).

    Args:
        values (Tensor): (n, ...) per-sample values.
        group_index (Tensor): (n,) int64 group of each sample in [0, G).
        num_groups (int, optional): G; default ``group_index.max() + 1``.

    Returns:
        tuple: packed (G, L, ...) with zeros in empty slots (L = largest group) and
        mask (G, L) bool.
    """
    group_index = group_index.to(device=values.device, dtype=torch.int64)
    G = int(group_index.max()) + 1 if num_groups is None else int(num_groups)
    slot, sizes = _group_slots(group_index, G)
    L = int(sizes.max()) if sizes.numel() else 0
    packed = values.new_empty((G, L) + tuple(values.shape[1:]))
    packed[group_index, slot] = values
    mask = torch.zeros(G, L, dtype=torch.bool, device=values.device)
    mask[group_index, slot] = True
    if not bool(mask.all()):
        packed[~mask] = 0
    return packed, mask


def unpack_groups(packed: Tensor, group_index: Tensor) -> Tensor:
    """Inverse of :func:`pack_groups`: (G, L, ...) -> (n, ...) in the original sample order."""
    group_index = group_index.to(device=packed.device, dtype=torch.int64)
    slot, _ = _group_slots(group_index, packed.shape[0])
    return packed[group_index, slot]
