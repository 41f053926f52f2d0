"""Validation of k-means input: shape, finite rows, enough points per problem (pure torch).

Note:
    B: number of problems. N: points per problem (padded). C: feature channels.
    K: number of clusters.
"""
from typing import Optional, Tuple

import torch
from torch import Tensor


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
