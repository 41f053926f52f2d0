"""Pure pixel-cluster operations of PiCIE / C²L (torch only).

Shared by the C²L model (cluster loss, predictions, the view geometry G) and the
evaluation (``hp_mm.evaluation.functional`` re-exports :func:`cluster_loss`). The
nearest-centroid labels come from the clustering engine's ``assign``
(``hp_mm.models.task_modules``).

Note:
    B: batch size. C: feature channels. K: number of clusters.
    H, W: height and width of a feature (or label / image) map.

Conventions (PiCIE, Cho et al. CVPR 2021, janghyuncho/PiCIE ``train_picie.py``,
``commons.py``, ``utils.py``):

- Pixel features are l2-normalised over C (PiCIE's ``--metric_train cosine``).
- Centroids are the k-means means of the normalised features (not re-normalised);
  the "non-parametric classifier" is a frozen 1x1 convolution whose weights are the
  centroids and whose bias is 0, so ``logit_k = <f, mu_k>``.
- Pseudo-labels are the nearest centroid in Euclidean distance
  (``compute_negative_euclidean``), not the argmax of the logits: the two differ by
  ``|mu_k|^2``.
- PiCIE's "balance" weight is the cluster *frequency* ``n_k / sum n`` passed as
  ``CrossEntropyLoss(weight=...)`` (``compute_labels``: ``weight = counts /
  counts.sum()``; ``--no_balance`` switches it off).
- The view geometry G (random resized crop + horizontal flip) is given per sample by
  a crop box in relative coordinates ``(x0, y0, x1, y1)`` of ``[0, 1]`` and a flip
  flag, so the same G can be applied to an image and to its 1/4-resolution feature
  map (``apply_view_geometry``).
"""
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F

__all__ = [
    'cluster_logits', 'cluster_loss', 'cluster_balance_weight', 'apply_view_geometry'
]


def _check_maps(features: torch.Tensor, centroids: torch.Tensor) -> None:
    if features.dim() != 4:
        raise ValueError(f'features must have shape (B, C, H, W), got {tuple(features.shape)}')
    if centroids.dim() != 2 or centroids.shape[1] != features.shape[1]:
        raise ValueError(f'centroids must have shape (K, C={features.shape[1]}), '
                         f'got {tuple(centroids.shape)}')


def cluster_logits(features: torch.Tensor, centroids: torch.Tensor,
                   normalize: bool = True) -> torch.Tensor:
    """Dot products of (l2-normalised) pixel features with the centroids.

    Args:
        features (Tensor): Pixel features, shape (B, C, H, W).
        centroids (Tensor): Cluster centroids, shape (K, C). Not normalised.
        normalize (bool): Whether to l2-normalise ``features`` over C first.
            Defaults to True (PiCIE's cosine metric).

    Returns:
        Tensor: Logits, shape (B, K, H, W).
    """
    _check_maps(features, centroids)
    if normalize:
        features = F.normalize(features, dim=1, p=2)
    return torch.einsum('bchw,kc->bkhw', features, centroids.to(features))


def cluster_loss(features: torch.Tensor,
                 centroids: torch.Tensor,
                 labels: torch.Tensor,
                 weight: Optional[torch.Tensor] = None,
                 ignore_index: int = 255) -> torch.Tensor:
    """PiCIE's cluster loss L_clust(y, mu, z) (C²L eq. 7; PiCIE eq. 3).

    ``L = sum_p w_{z_p} * -log softmax_k(<y_p/|y_p|, mu_k>)[z_p] / sum_p w_{z_p}``,
    the (weighted) mean over the pixels p whose label is not ``ignore_index``,
    exactly ``torch.nn.CrossEntropyLoss(weight=weight)`` on the logits of
    :func:`cluster_logits`. The centroids are frozen (no gradient flows to them).

    Args:
        features (Tensor): Pixel features y, shape (B, C, H, W).
        centroids (Tensor): Centroids mu, shape (K, C).
        labels (Tensor): Pseudo-labels z in ``[0, K)``, shape (B, H, W), integer.
        weight (Tensor, optional): Per-cluster weight, shape (K,), e.g.
            :func:`cluster_balance_weight`. Defaults to None (unweighted).
        ignore_index (int): Label value that is left out. Defaults to 255.

    Returns:
        Tensor: Scalar loss.
    """
    if labels.dim() != 3 or labels.shape[0] != features.shape[0] \
            or tuple(labels.shape[1:]) != tuple(features.shape[2:]):
        want = (features.shape[0], ) + tuple(features.shape[2:])
        raise ValueError(f'labels must have shape (B, H, W) = {want}, got {tuple(labels.shape)}')
    logits = cluster_logits(features, centroids.detach())
    if weight is not None:
        if weight.shape != (centroids.shape[0], ):
            raise ValueError(f'weight must have shape (K={centroids.shape[0]},), '
                             f'got {tuple(weight.shape)}')
        weight = weight.to(logits)
    return F.cross_entropy(logits, labels.long(), weight=weight, ignore_index=ignore_index)


def cluster_balance_weight(counts: torch.Tensor) -> torch.Tensor:
    """PiCIE's per-cluster loss weight: the cluster frequency ``n_k / sum_j n_j``.

    PiCIE (``commons.compute_labels``) passes the frequency itself (not its inverse)
    as ``CrossEntropyLoss(weight=...)`` unless ``--no_balance`` is given; hp_mm keeps
    that definition so the PiCIE row is PiCIE.

    Args:
        counts (Tensor): Pixels per cluster, shape (K,).

    Returns:
        Tensor: float32 weights summing to 1, shape (K,).
    """
    counts = counts.float()
    total = counts.sum()
    if total <= 0:
        raise ValueError('cluster_balance_weight: every cluster count is 0')
    return counts / total


def apply_view_geometry(x: torch.Tensor,
                        crops: Union[torch.Tensor, Sequence[Sequence[float]]],
                        flips: Union[torch.Tensor, Sequence[bool]],
                        out_size: Optional[Tuple[int, int]] = None,
                        mode: str = 'bilinear') -> torch.Tensor:
    """The geometric view transform G: crop a relative box, resize, optionally flip.

    Works at any resolution with continuous coordinates (``grid_sample``,
    ``align_corners=False``: a relative coordinate u covers the same image content
    in an image and in its stride-s feature map), so ``G(f(x))`` and ``f(G(x))`` are
    aligned (C²L Algorithm 1: G on view 1's features, on view 2's image).

    Args:
        x (Tensor): Maps to transform, shape (B, C, H, W) (images or features).
        crops (Tensor | Sequence): Crop boxes ``(x0, y0, x1, y1)`` relative to the
            map, in ``[0, 1]``, shape (B, 4).
        flips (Tensor | Sequence[bool]): Horizontal flip after the crop, shape (B,).
        out_size (tuple[int, int], optional): Output (H', W'). Defaults to the input
            size (H, W).
        mode (str): ``'bilinear'`` or ``'nearest'`` (labels). Defaults to 'bilinear'.

    Returns:
        Tensor: Transformed maps, shape (B, C, H', W').
    """
    if x.dim() != 4:
        raise ValueError(f'x must have shape (B, C, H, W), got {tuple(x.shape)}')
    b = x.shape[0]
    crops = torch.as_tensor(crops, dtype=torch.float32, device=x.device).reshape(-1, 4)
    flips = torch.as_tensor(flips, dtype=torch.bool, device=x.device).reshape(-1)
    if crops.shape[0] != b or flips.shape[0] != b:
        raise ValueError(f'need one crop box and one flip flag per sample ({b}), got '
                         f'{crops.shape[0]} boxes and {flips.shape[0]} flags')
    if out_size is None:
        out_size = tuple(x.shape[-2:])
    x0, y0, x1, y1 = crops.unbind(1)
    # output u in [-1, 1] samples input coordinate centre + half * u (normalised)
    cx, cy = x0 + x1 - 1, y0 + y1 - 1
    sx, sy = x1 - x0, y1 - y0
    sx = torch.where(flips, -sx, sx)
    theta = torch.zeros(b, 2, 3, dtype=torch.float32, device=x.device)
    theta[:, 0, 0], theta[:, 0, 2] = sx, cx
    theta[:, 1, 1], theta[:, 1, 2] = sy, cy
    grid = F.affine_grid(theta, (b, x.shape[1]) + tuple(out_size), align_corners=False)
    src = x if x.dtype.is_floating_point else x.float()
    out = F.grid_sample(src, grid.to(src.dtype), mode=mode, padding_mode='border',
                        align_corners=False)
    return out if x.dtype.is_floating_point else out.to(x.dtype)
