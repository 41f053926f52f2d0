"""Person re-ID evaluation arithmetic: the Market-1501 protocol, k-reciprocal
re-ranking and ISP's aligned distance (numpy / torch / scipy only).

Note:
    Nq, Ng: number of query and gallery images; N = Nq + Ng.
    C: feature channels.
    K: number of ISP parts including background, so K - 1 foreground parts.

Protocol (Market-1501, as torchreid ``torchreid/metrics/rank.py`` ``eval_market1501``):

- each query ranks the whole gallery by ascending distance (ties: lower gallery index
  first, i.e. a stable sort);
- gallery images with the query's pid AND camera are removed from its ranking (junk);
- a query with no gallery image of its pid left is skipped (not counted anywhere);
- ``cmc[k]`` = share of the valid queries whose first positive is within rank ``k + 1``
  (the curve keeps its last value beyond the end of a short gallery, so it always has
  ``max_rank`` entries);
- AP is un-interpolated: the mean over the query's positives of the precision at each
  positive (torchreid);
- INP = ``num_positives / (rank of the hardest positive)`` (fast-reid
  ``fastreid/evaluation/rank.py``); mAP and mINP are means over valid queries.

Distractors (pid 0) and any other pid are plain negatives here: dropping junk pid -1
images is the dataset's job.
"""
from typing import Dict, Optional, Union

import numpy as np
import torch

from hp_mm.structures.array_like import ArrayLike, as_container_of, to_numpy, to_tensor
from hp_mm.structures.distances import squared_euclidean_distances

#: elements of a (rows x Ng) chunk processed at once by :func:`eval_reid` (about 6
#: bytes each of temporaries: the sorted rows and one boolean mask).
_EVAL_CHUNK_ELEMS = 1 << 22


def _ids(x: ArrayLike, n: int, name: str) -> np.ndarray:
    x = to_numpy(x, name).reshape(-1)
    if x.shape[0] != n:
        raise ValueError(f'{name} has {x.shape[0]} entries, the distance matrix needs {n}')
    return x.astype(np.int64)


def eval_reid(distmat: ArrayLike, q_pids: ArrayLike, g_pids: ArrayLike,
              q_camids: ArrayLike, g_camids: ArrayLike, max_rank: int = 50, *,
              chunk_size: Optional[int] = None) -> Dict[str, Union[np.ndarray, float]]:
    """CMC, mAP and mINP under the Market-1501 protocol (see the module doc).

    No argsort: each chunk of query rows is sorted (values only, about 3x faster than
    an argsort), the positions of the query's own-pid gallery images are found by binary
    search, and CMC / AP / INP follow from those positions alone, so memory stays at
    about 100 MB whatever ``Nq``.

    Args:
        distmat (np.ndarray | torch.Tensor): Distances, shape (Nq, Ng); smaller is
            more similar (no NaN).
        q_pids (array): Query person ids, shape (Nq,).
        g_pids (array): Gallery person ids, shape (Ng,).
        q_camids (array): Query camera ids, shape (Nq,).
        g_camids (array): Gallery camera ids, shape (Ng,).
        max_rank (int): Length of the CMC curve.
        chunk_size (int, optional): Queries per chunk (default: about 4M elements).

    Returns:
        dict: ``cmc`` np.ndarray (max_rank,) float64, ``mAP`` float and ``mINP``
        float, all fractions in [0, 1].

    Raises:
        ValueError: If no query has a positive left in the gallery.
    """
    dist = to_numpy(distmat, 'distmat')
    if dist.ndim != 2:
        raise ValueError(f'distmat must be (Nq, Ng), got shape {dist.shape}')
    num_q, num_g = dist.shape
    if max_rank < 1:
        raise ValueError(f'max_rank must be >= 1, got {max_rank}')
    q_pids = _ids(q_pids, num_q, 'q_pids')
    q_camids = _ids(q_camids, num_q, 'q_camids')
    g_pids = _ids(g_pids, num_g, 'g_pids')
    g_camids = _ids(g_camids, num_g, 'g_camids')
    if chunk_size is None:
        chunk_size = max(1, _EVAL_CHUNK_ELEMS // max(num_g, 1))
    # compact int32 pid codes for the (rows x Ng) comparison
    _, codes = np.unique(np.concatenate([q_pids, g_pids]), return_inverse=True)
    q_code, g_code = codes[:num_q].astype(np.int32), codes[num_q:].astype(np.int32)

    hist = np.zeros(max_rank, np.int64)  # first-positive ranks <= max_rank
    ap_sum = inp_sum = 0.0
    num_valid = 0
    for start in range(0, num_q, chunk_size):
        stop = min(start + chunk_size, num_q)
        rows = stop - start
        chunk = dist[start:stop]
        if np.isnan(chunk).any():
            raise ValueError(f'eval_reid: distmat has NaN in query rows {start}..{stop - 1}')
        # gallery images of each query's pid (positives and same-camera junk) and their
        # 0-based positions in the stable ranking, from the sorted rows
        mr, mj = np.nonzero(g_code[None, :] == q_code[start:stop, None])
        if mr.size == 0:
            continue
        pos = _positions(chunk, np.sort(chunk, axis=1), mr, mj)
        junk = g_camids[mj] == q_camids[start + mr]
        o = np.lexsort((pos, mr))
        mr, pos, junk = mr[o], pos[o], junk[o]
        # 1-based rank among the kept images = position + 1 - junk images ranked before
        first_of_row = np.searchsorted(mr, np.arange(rows))
        cum_junk = np.cumsum(junk)
        junk_before = cum_junk - junk - (cum_junk - junk)[first_of_row[mr]]
        pr = mr[~junk]
        if pr.size == 0:
            continue
        rank = (pos + 1 - junk_before)[~junk]
        num_rel = np.bincount(pr, minlength=rows)
        first = np.searchsorted(pr, np.arange(rows))  # index of each row's first positive
        valid = num_rel > 0
        ordinal = np.arange(pr.size) - first[pr] + 1  # k-th positive of its row
        ap = np.bincount(pr, weights=ordinal / rank, minlength=rows)[valid] / num_rel[valid]
        first_rank = rank[first[valid]]
        last_rank = rank[first[valid] + num_rel[valid] - 1]
        hist += np.bincount(first_rank[first_rank <= max_rank] - 1, minlength=max_rank)
        ap_sum += float(ap.sum())
        inp_sum += float((num_rel[valid] / last_rank).sum())
        num_valid += int(valid.sum())
    if num_valid == 0:
        raise ValueError('eval_reid: no query has a gallery image of its identity in another '
                         'camera; every query was skipped')
    return dict(cmc=np.cumsum(hist) / num_valid, mAP=ap_sum / num_valid,
                mINP=inp_sum / num_valid)


def _positions(values: np.ndarray, sorted_values: np.ndarray, rows: np.ndarray,
               cols: np.ndarray) -> np.ndarray:
    """0-based position of ``values[rows, cols]`` in its row's stable ascending order
    (ties: lower column first), i.e. the same as
    ``np.argsort(values, kind='stable').argsort()[rows, cols]``, from the sorted rows
    without an argsort. ``rows`` must be non-decreasing."""
    pos = np.empty(rows.size, np.int64)
    bounds = np.searchsorted(rows, np.arange(values.shape[0] + 1))
    for r in np.flatnonzero(np.diff(bounds)):
        a, b = bounds[r], bounds[r + 1]
        v = values[r, cols[a:b]]
        lo = np.searchsorted(sorted_values[r], v, 'left')
        hi = np.searchsorted(sorted_values[r], v, 'right')
        for k in np.flatnonzero(hi - lo > 1):  # equal values: those in lower columns first
            lo[k] += np.count_nonzero(values[r, :cols[a + k]] == v[k])
        pos[a:b] = lo
    return pos


# --------------------------------------------------------------------- re-ranking
class _BlockDistance:
    """The (N, N) matrix ``D = [[q_q, q_g], [q_g^T, g_g]]`` read by row blocks or by
    entries, without building it."""

    def __init__(self, q_g, q_q, g_g):
        self.q_g, self.q_q, self.g_g = q_g, q_q, g_g
        self.nq, self.ng = q_g.shape
        self.n = self.nq + self.ng

    def rows(self, start, stop, buffer=None):
        """Rows ``start:stop`` of ``D``, shape (stop - start, N) float32 (written into
        the first rows of ``buffer`` when given)."""
        nq = self.nq
        out = np.empty((stop - start, self.n), np.float32) if buffer is None else \
            buffer[:stop - start]
        a, b = start, min(stop, nq)
        if b > a:  # query rows
            out[:b - a, :nq] = self.q_q[a:b]
            out[:b - a, nq:] = self.q_g[a:b]
        a, b = max(start, nq), stop
        if b > a:  # gallery rows: a column block of q_g, transposed, and rows of g_g
            o = a - start
            out[o:, :nq] = self.q_g[:, a - nq:b - nq].T
            out[o:, nq:] = self.g_g[a - nq:b - nq]
        return out

    def entries(self, rows, cols):
        """``D[rows, cols]`` for index arrays of equal shape."""
        nq = self.nq
        out = np.empty(rows.shape, np.float32)
        rq, cq = rows < nq, cols < nq
        for sel_r, sel_c, block, dr, dc in (
                (True, True, self.q_q, 0, 0), (True, False, self.q_g, 0, nq),
                (False, True, self.q_g.T, nq, 0), (False, False, self.g_g, nq, nq)):
            m = (rq if sel_r else ~rq) & (cq if sel_c else ~cq)
            if m.any():
                out[m] = block[rows[m] - dr, cols[m] - dc]
        return out


def _smallest(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` smallest entries of each row, ascending (ties: lower index),
    the same as ``np.argsort(values, kind='stable')[:, :k]``; ``torch.topk`` (about 4x
    faster than ``np.partition``), re-done stably on the rare rows with a tie."""
    k = min(k, values.shape[1])
    # one more than needed: a tie at the k-th place shows as equal k-th and (k+1)-th
    kk = min(k + 1, values.shape[1])
    top_v, top_i = torch.topk(torch.from_numpy(values), kk, dim=1, largest=False, sorted=True)
    top_v, top_i = top_v.numpy(), top_i.numpy()[:, :k].astype(np.int64)
    for r in np.flatnonzero((top_v[:, 1:] == top_v[:, :-1]).any(1)):
        top_i[r] = np.argsort(values[r], kind='stable')[:k]
    return top_i


def re_ranking(q_g_dist: ArrayLike, q_q_dist: ArrayLike, g_g_dist: ArrayLike,
               k1: int = 20, k2: int = 6, lambda_value: float = 0.3, *,
               chunk_size: int = 512) -> np.ndarray:
    """k-reciprocal re-ranking (Zhong et al., CVPR 2017).

    The same arithmetic as the authors' ``re_ranking`` (zhunzhong07/person-re-ranking,
    also torchreid ``torchreid/utils/rerank.py``): the joint (N, N) distance is squared
    and each row divided by its maximum, giving ``O`` (the reference divides columns
    and transposes: the same, as ``q_q_dist`` and ``g_g_dist`` are symmetric; they are
    read by rows here); ``R(i, k1)``
    are the k1-reciprocal neighbours of ``i`` among its ``k1 + 1`` nearest; it is
    expanded by each candidate's ``round(k1 / 2)``-reciprocal set that shares more than
    2/3 of its members with ``R(i, k1)``; ``V[i, j] = exp(-O[i, j])`` over the expanded
    set, normalised to sum 1, is averaged over the ``k2`` nearest (query expansion);
    the Jaccard distance ``1 - sum min(V_i, V_j) / sum max(V_i, V_j)`` (computed as
    ``1 - m / (2 - m)`` with ``m = sum min``) is mixed with ``O``:
    ``(1 - lambda) * jaccard + lambda * O``.

    Unlike the reference, nothing of size (N, N) is built: neighbours come from chunks
    of rows (``torch.topk``), ``V`` is a sparse matrix, and the Jaccard term is accumulated from the
    inverted index of the gallery's ``V`` only. Ties in the neighbour ranking go to the
    lower index (the reference's argsort is unstable there).

    Args:
        q_g_dist (array): Query-gallery distances, shape (Nq, Ng) (non-negative, e.g.
            Euclidean or cosine distance; they are squared first, as in the reference).
        q_q_dist (array): Query-query distances, shape (Nq, Nq), symmetric.
        g_g_dist (array): Gallery-gallery distances, shape (Ng, Ng), symmetric; pass
            float32 to avoid a copy (1 GB at Market-1501 scale).
        k1 (int): Size of the reciprocal neighbourhood.
        k2 (int): Neighbours averaged in the query expansion (1 = none).
        lambda_value (float): Weight of the original distance.
        chunk_size (int): Rows processed at once.

    Returns:
        np.ndarray: Re-ranked distances, shape (Nq, Ng) float32.
    """
    from scipy import sparse

    q_g = np.asarray(to_numpy(q_g_dist, 'q_g_dist'), np.float32)
    q_q = np.asarray(to_numpy(q_q_dist, 'q_q_dist'), np.float32)
    g_g = np.asarray(to_numpy(g_g_dist, 'g_g_dist'), np.float32)
    nq, ng = q_g.shape
    if q_q.shape != (nq, nq) or g_g.shape != (ng, ng):
        raise ValueError(f're_ranking: q_g_dist {q_g.shape} needs q_q_dist ({nq}, {nq}) and '
                         f'g_g_dist ({ng}, {ng}), got {q_q.shape} and {g_g.shape}')
    if k1 < 1 or k2 < 1:
        raise ValueError(f're_ranking: k1 and k2 must be >= 1, got {k1}, {k2}')
    full = _BlockDistance(q_g, q_q, g_g)
    n = full.n
    k1h = int(np.around(k1 / 2.))
    kmax = max(k1 + 1, k2)

    # O[i] = D[i]^2 / max(D[i]^2) (D symmetric); its kmax smallest entries per row
    row_max = np.empty(n, np.float32)
    ranks = np.empty((n, min(kmax, n)), np.int64)
    buffer = np.empty((min(chunk_size, n), n), np.float32)
    for start in range(0, n, chunk_size):
        stop = min(start + chunk_size, n)
        o = np.square(full.rows(start, stop, buffer), out=buffer[:stop - start])
        m = o.max(axis=1)
        row_max[start:stop] = np.where(m > 0, m, 1)
        o /= row_max[start:stop, None]
        ranks[start:stop] = _smallest(o, kmax)
    del buffer, o

    def original(rows, cols):
        return np.square(full.entries(rows, cols)) / row_max[rows]

    # k-reciprocal sets R(i, k1) and, for the expansion, R(j, round(k1 / 2))
    def reciprocal(k):
        fwd = ranks[:, :k + 1]
        mask = np.empty(fwd.shape, bool)
        for start in range(0, n, 4096):
            stop = min(start + 4096, n)
            back = fwd[fwd[start:stop]]  # (c, k+1, k+1)
            mask[start:stop] = (back == np.arange(start, stop)[:, None, None]).any(-1)
        return fwd, mask

    fwd, rmask = reciprocal(k1)
    fwd_h, hmask = reciprocal(k1h)
    width = fwd.shape[1] * (1 + fwd_h.shape[1])
    members = np.full((n, width), n, np.int64)
    for start in range(0, n, 1024):
        stop = min(start + 1024, n)
        f, rm = fwd[start:stop], rmask[start:stop]
        cand = fwd_h[f]  # (c, k1+1, k1h+1): R(j, k1/2) of each neighbour j
        cvalid = hmask[f] & rm[..., None]
        inside = ((cand[..., None] == f[:, None, None, :]) & rm[:, None, None, :]).any(-1)
        shared = (inside & cvalid).sum(-1)
        accept = rm & (shared > 2. / 3 * cvalid.sum(-1))
        block = np.where(rm, f, n)
        expand = np.where(cvalid & accept[..., None], cand, n).reshape(stop - start, -1)
        members[start:stop] = np.concatenate([block, expand], axis=1)
    members.sort(axis=1)
    uniq = members != n
    uniq[:, 1:] &= members[:, 1:] != members[:, :-1]
    rows, cols = np.nonzero(uniq)
    cols = members[rows, cols]
    del members, uniq
    weight = np.exp(-original(rows, cols)).astype(np.float32)
    weight /= np.bincount(rows, weights=weight, minlength=n)[rows].astype(np.float32)
    V = sparse.csr_matrix((weight, (rows, cols)), shape=(n, n), dtype=np.float32)
    del rows, cols, weight
    if k2 != 1:  # query expansion: V_i <- mean of V over the k2 nearest of i
        qe_rows = np.repeat(np.arange(n), min(k2, n))
        qe = sparse.csr_matrix(
            (np.full(qe_rows.size, 1. / min(k2, n), np.float32),
             (qe_rows, ranks[:, :k2].reshape(-1))), shape=(n, n), dtype=np.float32)
        V = (qe @ V).tocsr()
    V.sum_duplicates()
    V.eliminate_zeros()
    Vq = V[:nq]
    Vg = V[nq:].tocsc()  # inverted index: for each k, the gallery rows with V[j, k] != 0
    col_ptr, g_idx, g_val = Vg.indptr, Vg.indices, Vg.data
    col_len = np.diff(col_ptr)

    out = np.square(q_g)  # O on the query rows, gallery columns
    out /= row_max[:nq, None]
    # (query, gallery) pairs that share a non-zero k, per query: sets the chunks
    entry_rows = np.repeat(np.arange(nq), np.diff(Vq.indptr))
    pairs = np.bincount(entry_rows, weights=col_len[Vq.indices], minlength=nq)
    cum_pairs = np.concatenate([[0], np.cumsum(pairs)])
    max_rows = max(1, min(chunk_size, (1 << 22) // max(ng, 1)))
    start = 0
    while start < nq:
        stop = int(np.searchsorted(cum_pairs, cum_pairs[start] + (1 << 23), side='right')) - 1
        stop = min(max(stop, start + 1), start + max_rows, nq)
        sub = Vq[start:stop]
        q_row = np.repeat(np.arange(stop - start), np.diff(sub.indptr))
        k_col, q_val = sub.indices, sub.data
        reps = col_len[k_col]
        size = (stop - start) * ng
        if reps.sum():
            t = np.repeat(np.arange(k_col.size), reps)
            pos = np.arange(t.size) - np.repeat(np.cumsum(reps) - reps, reps) + \
                np.repeat(col_ptr[k_col], reps)
            temp = np.bincount(q_row[t] * ng + g_idx[pos], minlength=size,
                               weights=np.minimum(q_val[t], g_val[pos]))
            del t, pos
        else:
            temp = np.zeros(size)
        temp = temp.reshape(stop - start, ng).astype(np.float32)
        jaccard = 1 - temp / (2 - temp)
        out[start:stop] = jaccard * (1 - lambda_value) + out[start:stop] * lambda_value
        start = stop
    return out


# --------------------------------------------------------------------- distances
#: ISP's fields of one image that the aligned distance reads (eq. 10)
ALIGNED_FIELDS = ('global_feature', 'foreground_feature', 'part_features', 'part_visibility')
DISTANCES = ('cosine', 'euclidean', 'aligned')


def cosine_distance(x: ArrayLike, y: ArrayLike) -> ArrayLike:
    """``1 - cos(x_i, y_j)``, shape (M, N) float32 from x (M, C) and y (N, C); a zero
    vector has cosine 0 with everything. Computed in place (one (M, N) buffer).
    Returns the type of ``x``."""
    xt = torch.nn.functional.normalize(to_tensor(x, 'x').float(), dim=1)
    yt = torch.nn.functional.normalize(to_tensor(y, 'y').float(), dim=1)
    return as_container_of((xt @ yt.T).neg_().add_(1), x)


def euclidean_distance(x: ArrayLike, y: ArrayLike, squared: bool = False) -> ArrayLike:
    """Euclidean distance ``||x_i - y_j||`` (or its square), shape (M, N) float32 from
    x (M, C) and y (N, C), computed in place. Returns the type of ``x``."""
    d = squared_euclidean_distances(to_tensor(x, 'x').float(), to_tensor(y, 'y').float())
    return as_container_of(d if squared else d.sqrt_(), x)


def aligned_distance(q_global: ArrayLike, q_fore: ArrayLike, q_parts: ArrayLike,
                     q_vis: ArrayLike, g_global: ArrayLike, g_fore: ArrayLike,
                     g_parts: ArrayLike, g_vis: ArrayLike, *, mode: str = 'paper',
                     chunk_size: int = 1024) -> ArrayLike:
    """ISP's aligned distance over the shared-visible parts.

    ``mode='paper'`` is ISP eq. 10 with ``D = 1 - cos`` (eq. 9)::

        d = (sum_k l_k^q l_k^g d_k + d_g + d_f) / (sum_k l_k^q l_k^g + 2)

    ``mode='official'`` is what the official code ranks by
    (CASIA-IVA-Lab/ISP-reID ``data/datasets/eval_reid.py`` ``arm_eval_func``): global
    and foreground features concatenated into one vector ``[g, f]``, similarities
    ``s = (1 + cos) / 2``, ``s = (sum_k l^q l^g s_k + s_gf) / (sum_k l^q l^g + 1)`` and
    ``d = 1 - s``.

    Args:
        q_global (array): Query global features, shape (Nq, C).
        q_fore (array): Query foreground features, shape (Nq, C).
        q_parts (array): Query part features, shape (Nq, K-1, C).
        q_vis (array): Query part visibility (eq. 8), shape (Nq, K-1) bool.
        g_global, g_fore, g_parts, g_vis: The same for the gallery, Ng rows.
        mode (str): ``'paper'`` or ``'official'``.
        chunk_size (int): Queries per chunk.

    Returns:
        np.ndarray | torch.Tensor: Distances, shape (Nq, Ng) float32, the type of
        ``q_global``.
    """
    if mode not in ('paper', 'official'):
        raise ValueError(f"aligned_distance: mode must be 'paper' or 'official', got {mode!r}")
    norm = torch.nn.functional.normalize
    qg, qf = to_tensor(q_global, 'q_global').float(), to_tensor(q_fore, 'q_fore').float()
    gg, gf = to_tensor(g_global, 'g_global').float(), to_tensor(g_fore, 'g_fore').float()
    qp, gp = to_tensor(q_parts, 'q_parts').float(), to_tensor(g_parts, 'g_parts').float()
    qv, gv = to_tensor(q_vis, 'q_vis').bool(), to_tensor(g_vis, 'g_vis').bool()
    nq, ng = qg.shape[0], gg.shape[0]
    if qp.dim() != 3 or gp.dim() != 3 or qp.shape[1] != gp.shape[1]:
        raise ValueError(f'aligned_distance: parts must be (N, K-1, C) with the same K, got '
                         f'{tuple(qp.shape)} and {tuple(gp.shape)}')
    if qv.shape != qp.shape[:2] or gv.shape != gp.shape[:2]:
        raise ValueError(f'aligned_distance: visibility must be (N, K-1), got '
                         f'{tuple(qv.shape)} and {tuple(gv.shape)} for parts '
                         f'{tuple(qp.shape)} and {tuple(gp.shape)}')
    num_parts = qp.shape[1]
    qp, gp = norm(qp, dim=2), norm(gp, dim=2)
    gvf = gv.float()
    if mode == 'paper':
        qg, qf, gg, gf = norm(qg, dim=1), norm(qf, dim=1), norm(gg, dim=1), norm(gf, dim=1)
    else:
        qgf, ggf = norm(torch.cat([qg, qf], 1), dim=1), norm(torch.cat([gg, gf], 1), dim=1)
    out = torch.empty(nq, ng)
    for start in range(0, nq, chunk_size):
        s = slice(start, min(start + chunk_size, nq))
        shared = qv[s].float() @ gvf.T  # number of shared-visible parts
        if mode == 'paper':
            num = (1 - qg[s] @ gg.T) + (1 - qf[s] @ gf.T)
        else:
            num = (1 + qgf[s] @ ggf.T) / 2
        for k in range(num_parts):
            both = qv[s, k, None] & gv[None, :, k]
            cos = qp[s, k] @ gp[:, k].T
            term = (1 - cos) if mode == 'paper' else (1 + cos) / 2
            num += torch.where(both, term, torch.zeros(()))
        if mode == 'paper':
            out[s] = num / (shared + 2)
        else:
            out[s] = 1 - num / (shared + 1)
    return as_container_of(out, q_global)


def pair_distance(query: Dict[str, torch.Tensor], gallery: Dict[str, torch.Tensor],
                  distance: str = 'cosine', aligned_mode: str = 'paper',
                  normalize_feature: bool = True) -> np.ndarray:
    """The re-ID distance between stacked query and gallery fields, as ``ReIDMetric`` ranks.

    Args:
        query (dict): ``feature`` (Nq, C) and, for ``'aligned'``, the
            :data:`ALIGNED_FIELDS` (Nq, ...).
        gallery (dict): The same fields for the gallery, (Ng, ...).
        distance (str): ``'cosine'`` (``1 - cos``, clamped at 0 against rounding),
            ``'euclidean'`` or ``'aligned'`` (:func:`aligned_distance`).
        aligned_mode (str): ``'paper'`` or ``'official'`` (aligned only).
        normalize_feature (bool): L2-normalise the features before the Euclidean distance.

    Returns:
        np.ndarray: (Nq, Ng) float32.

    Raises:
        ValueError: An unknown ``distance``.
        KeyError: ``'aligned'`` without ISP's fields.
    """
    if distance not in DISTANCES:
        raise ValueError(f'distance must be one of {DISTANCES}, got {distance!r}')
    if distance == 'aligned':
        missing = [k for k in ALIGNED_FIELDS if k not in query or k not in gallery]
        if missing:
            raise KeyError(f"distance='aligned' needs an ISP model's part features and "
                           f'visibilities; missing {missing}')
        return to_numpy(aligned_distance(*(query[k] for k in ALIGNED_FIELDS),
                                         *(gallery[k] for k in ALIGNED_FIELDS),
                                         mode=aligned_mode), 'distance')
    xq, xg = query['feature'].float(), gallery['feature'].float()
    if distance == 'cosine':
        return cosine_distance(xq, xg).clamp_(min=0).numpy()
    if normalize_feature:
        xq, xg = (torch.nn.functional.normalize(x, dim=1) for x in (xq, xg))
    return euclidean_distance(xq, xg).numpy()
