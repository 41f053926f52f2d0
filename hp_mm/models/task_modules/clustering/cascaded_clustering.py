"""ISP's cascaded clustering: per-identity foreground / part pseudo-labels.

Zhu et al., "Identity-Guided Human Semantic Parsing for Person
Re-Identification" (ISP), Sec. 3.2, eq. 3-4. Checked against
CASIA-IVA-Lab/ISP-reID ``engine/trainer.py`` (``cluster_for_each_identity``):

1. Stage 1 (foreground / background). For all positions of all images of one
   identity, the activation ``a(x, y) = ||M_g(x, y)||_2 / max_{(i, j)}
   ||M_g(i, j)||_2`` (the maximum over the position's own image, eq. 3),
   optionally sharpened to ``1 / (1 + exp(-5 (2a - 1) - 3))`` (the official
   ``CLUSTERING.ENHANCED``), is clustered by a 2-means. The cluster with the
   higher mean activation is foreground; positions with zero activation are
   never foreground (as the official ``fore_back_feats != 0`` filter).
2. Stage 2 (parts). The foreground positions of the identity, as
   l2-normalised features ``M_g(x, y) / ||M_g(x, y)||_2`` (eq. 4), are
   clustered by a (K - 1)-means (20 iterations in the paper and code). The
   parts are numbered ``1..K-1`` by the mean row of their positions, top to
   bottom (``argsort(argsort(mean_h)) + 1``); ``0`` is background.

Every identity of a chunk is one independent problem: the problems are
padded, masked and solved together by one ``BatchedKMeans.fit(x (B, N, C),
mask (B, N))`` call per stage (no Python loop over identities), on the
features' device.

Note:
    N: images of the chunk; B: identities of the chunk; C: channels;
    h, w: feature-map height and width; K: classes, background included.
"""
from typing import Optional

import torch
from torch import Tensor

from hp_mm.registry import TASK_UTILS
from .group_packing import pack_groups, unpack_groups


def isp_activation(feats: Tensor, sharpen: bool = False) -> Tensor:
    """Per-position activation normalised by its image's maximum (eq. 3).

    Args:
        feats (Tensor): Feature maps ``M_g``, shape (N, C, h, w).
        sharpen (bool): Apply the official code's
            ``1 / (1 + exp(-5 (2a - 1) - 3))``. Defaults to False.

    Returns:
        Tensor: ``a``, shape (N, h, w), in [0, 1] (unsharpened: max 1 per
        image, an all-zero image gives all zeros; sharpened: 0 maps to
        ``1 / (1 + e^2)``).
    """
    act = torch.linalg.vector_norm(_per_image_scaled(feats), dim=1)  # (N, h, w)
    peak = act.flatten(1).amax(1).clamp_min(torch.finfo(act.dtype).tiny)
    act = act / peak[:, None, None]
    return sharpen_activation(act) if sharpen else act


def _per_image_scaled(feats: Tensor) -> Tensor:
    """float32 features divided by their image's largest magnitude. Eq. 3 and eq. 4 are
    invariant to a per-image scale; this keeps ``||M_g||`` finite for huge activations
    (e.g. an untrained network in ``eval()`` whose BN statistics are still 0 / 1)."""
    feats = feats.float()
    scale = feats.abs().flatten(1).amax(1).clamp_min(torch.finfo(torch.float32).tiny)
    return feats / scale[:, None, None, None]


def sharpen_activation(act: Tensor) -> Tensor:
    """The official ``CLUSTERING.ENHANCED`` map ``1 / (1 + exp(-5 (2a - 1) - 3))``."""
    return torch.sigmoid(5.0 * (2.0 * act - 1.0) + 3.0)


def cascaded_clustering(feats: Tensor, groups: Tensor, num_classes: int, fg_kmeans,
                        part_kmeans, sharpen: bool = False,
                        foreground: Optional[Tensor] = None) -> Tensor:
    """Pseudo part labels of a chunk of identities (ISP Sec. 3.2).

    Args:
        feats (Tensor): Feature maps ``M_g`` of the chunk's images, shape
            (N, C, h, w), on the device the clustering should run on.
        groups (Tensor): Identity of each image, shape (N,), any integer ids.
        num_classes (int): K, background included (K - 1 parts), >= 2.
        fg_kmeans: A ``BatchedKMeans`` with 2 clusters (stage 1):
            ``fit(x (B, L, 1), mask (B, L), seeds=ids (B,)) -> (centroids,
            labels (B, L))``; the identity ids are the per-problem seeds, so an
            identity's labels do not depend on the other identities of its chunk.
        part_kmeans: A ``BatchedKMeans`` with K - 1 clusters (stage 2), same
            call; unused when K == 2.
        sharpen (bool): Sharpen the activation as the official code
            (``CLUSTERING.ENHANCED``). Defaults to False.
        foreground (Tensor, optional): A given foreground, shape (N, h, w)
            bool, that replaces stage 1 (a diagnostic: e.g. the true masks, to
            measure stage 2 and the training on top of a perfect stage 1).
            Positions with zero features stay background. Defaults to None
            (ISP's stage 1).

    Returns:
        Tensor: Labels, shape (N, h, w), int64: 0 background, 1..K-1 parts by
        mean row (top to bottom) within each identity.

    An identity with fewer foreground positions than K - 1 cannot be split
    by the (K - 1)-means; its foreground positions are then numbered by row
    rank into K - 1 equal-count bands (1 at the top), a rule for degenerate
    inputs (tiny maps) that never fires on re-ID-sized maps.
    """
    if feats.dim() != 4:
        raise ValueError(f'feats must have shape (N, C, h, w), got {tuple(feats.shape)}')
    if groups.shape != feats.shape[:1]:
        raise ValueError(f'groups must have shape ({feats.shape[0]},), got {tuple(groups.shape)}')
    if num_classes < 2:
        raise ValueError(f'num_classes (K, background included) must be >= 2, got {num_classes}')
    if not torch.isfinite(feats.sum()):  # cheap check; count the bad maps only then
        bad = int((~torch.isfinite(feats)).flatten(1).any(1).sum())
        if bad:
            raise ValueError(f'cascaded_clustering: {bad} of {feats.shape[0]} feature maps '
                             'hold non-finite values')
    N, C, h, w = feats.shape
    P = h * w
    device = feats.device
    labels = torch.zeros((N, P), dtype=torch.long, device=device)
    if N == 0:
        return labels.view(N, h, w)
    uniq, group = torch.unique(groups.to(device), return_inverse=True)  # ids -> 0..B-1

    feats = _per_image_scaled(feats)  # same labels, no overflow in the norms
    raw = isp_activation(feats).view(N, P)
    if foreground is not None:
        if foreground.shape != (N, h, w):
            raise ValueError(f'foreground must have shape {(N, h, w)}, got '
                             f'{tuple(foreground.shape)}')
        fg = foreground.to(device).bool().view(N, P) & (raw > 0)
    else:
        fg = _stage1_foreground(raw, group, uniq, fg_kmeans, sharpen)
    return _stage2_parts(feats, fg, group, uniq, num_classes, part_kmeans, labels)


def _stage1_foreground(raw: Tensor, group: Tensor, uniq: Tensor, fg_kmeans,
                       sharpen: bool) -> Tensor:
    """Stage 1: per-identity 2-means on the activation ``raw`` (N, P) -> fg (N, P)."""
    N, P = raw.shape
    B = uniq.numel()
    device = raw.device
    act = sharpen_activation(raw) if sharpen else raw
    x1, mask1 = pack_groups(act, group, B)  # (B, L, P): L images per identity
    L = x1.shape[1]
    x1 = x1.view(B, L * P, 1)
    mask1 = mask1[:, :, None].expand(B, L, P).reshape(B, L * P)
    _, lab1 = fg_kmeans.fit(x1, mask1, seeds=uniq)
    lab1 = lab1.to(device)
    valid = lab1 >= 0
    lab1c = lab1.clamp_min(0)
    sums = act.new_zeros((B, 2)).scatter_add_(1, lab1c, x1[..., 0] * valid)
    cnts = act.new_zeros((B, 2)).scatter_add_(1, lab1c, valid.to(act.dtype))
    means = torch.where(cnts > 0, sums / cnts.clamp_min(1), torch.full_like(sums, -1.0))
    fg_cluster = means.argmax(1)  # (B,) the cluster of higher mean activation
    fg_slot = (lab1 == fg_cluster[:, None]).view(B, L, P)
    return unpack_groups(fg_slot, group) & (raw > 0)  # (N, P) foreground positions


def _stage2_parts(feats: Tensor, fg: Tensor, group: Tensor, uniq: Tensor, num_classes: int,
                  part_kmeans, labels: Tensor) -> Tensor:
    """Stage 2: (K-1)-means of each identity's foreground features, parts by mean row.

    ``feats`` (N, C, h, w), ``fg`` (N, h * w) bool, ``labels`` (N, h * w) zeros to fill;
    returns ``labels`` as (N, h, w).
    """
    N, C, h, w = feats.shape
    P = h * w
    B = uniq.numel()
    device = feats.device
    img_idx, pos_idx = fg.nonzero(as_tuple=True)
    if img_idx.numel() == 0:
        return labels.view(N, h, w)
    if num_classes == 2:
        labels[img_idx, pos_idx] = 1
        return labels.view(N, h, w)

    # ---- stage 2: (K-1)-means on l2-normalised foreground features --------
    K1 = num_classes - 1
    fvec = feats.flatten(2)[img_idx, :, pos_idx].float()  # (M, C)
    fvec = fvec / torch.linalg.vector_norm(fvec, dim=1, keepdim=True)  # eq. 4 (norm > 0 here)
    fprob = group[img_idx]
    rows = torch.div(pos_idx, w, rounding_mode='floor').to(fvec.dtype)
    fcount = torch.bincount(fprob, minlength=B)
    part = torch.zeros_like(fprob)
    solvable = fcount >= K1
    sel = solvable[fprob]
    if sel.any():
        remap = torch.cumsum(solvable.long(), 0) - 1  # solvable problems, densely numbered
        sprob = remap[fprob[sel]]
        Bs = int(solvable.sum())
        x2, mask2 = pack_groups(fvec[sel], sprob, Bs)  # (Bs, Lf, C)
        _, lab2 = part_kmeans.fit(x2, mask2, seeds=uniq[solvable])
        cl = unpack_groups(lab2.to(device), sprob)  # cluster of each selected fg position
        srows = rows[sel]
        sums = srows.new_zeros((Bs, K1)).index_put_((sprob, cl), srows, accumulate=True)
        cnts = srows.new_zeros((Bs, K1)).index_put_((sprob, cl), torch.ones_like(srows),
                                                    accumulate=True)
        mean_row = torch.where(cnts > 0, sums / cnts.clamp_min(1),
                               torch.full_like(sums, float('inf')))
        order = torch.argsort(mean_row, dim=1, stable=True)
        rank = torch.argsort(order, dim=1)  # rank[b, cluster] = 0 for the top part
        part[sel] = rank[sprob, cl] + 1
    if (~sel).any():  # degenerate identities: equal-count row bands
        for b in torch.nonzero(~solvable).flatten().tolist():
            m = fprob == b
            key = rows[m] * (P + 1) + pos_idx[m].to(rows.dtype)
            order = torch.argsort(key, stable=True)
            rk = torch.empty_like(order)
            rk[order] = torch.arange(order.numel(), device=device)
            part[m] = torch.div(rk * K1, order.numel(), rounding_mode='floor') + 1
    labels[img_idx, pos_idx] = part
    return labels.view(N, h, w)


@TASK_UTILS.register_module()
class CascadedClustering:
    """ISP's cascaded clustering with two ``BatchedKMeans`` from TASK_UTILS.

    Args:
        num_classes (int): K, background included (paper Table 4: 4..8).
        max_iter (int): Lloyd iterations of both stages. Defaults to 20
            (official ``clus.niter = 20``).
        sharpen (bool): Sharpen the stage-1 activation (official
            ``CLUSTERING.ENHANCED``, on by default there, off for
            Occluded-Duke). Defaults to True.
        seed (int): Seed of both k-means inits. Defaults to 0.
        kmeans (dict): Back-end config, ``num_clusters``, ``max_iter`` and
            ``seed`` are filled in. Defaults to ``dict(type='BatchedKMeans')``.

    Call ``clustering(feats (N, C, h, w), groups (N,), foreground=None) ->
    labels (N, h, w)`` (see :func:`cascaded_clustering`).
    """

    def __init__(self, num_classes: int, max_iter: int = 20, sharpen: bool = True, seed: int = 0,
                 kmeans: dict = dict(type='BatchedKMeans')):
        if num_classes < 2:
            raise ValueError(f'CascadedClustering: num_classes (K) must be >= 2, got {num_classes}')
        self.num_classes = num_classes
        self.sharpen = sharpen
        self.fg_kmeans = TASK_UTILS.build(
            dict(kmeans, num_clusters=2, max_iter=max_iter, seed=seed))
        self.part_kmeans = None
        if num_classes > 2:
            self.part_kmeans = TASK_UTILS.build(
                dict(kmeans, num_clusters=num_classes - 1, max_iter=max_iter, seed=seed))

    def __call__(self, feats: Tensor, groups: Tensor,
                 foreground: Optional[Tensor] = None) -> Tensor:
        return cascaded_clustering(feats, groups, self.num_classes, self.fg_kmeans,
                                   self.part_kmeans, sharpen=self.sharpen,
                                   foreground=foreground)
