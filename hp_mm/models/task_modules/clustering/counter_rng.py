"""Counter-based random numbers per problem, and draws from them (pure torch).

The random numbers of problem ``b`` depend only on ``seeds[b]``, a counter and a stream
id, never on the other problems of a batch, so a batched algorithm that uses them gives
a problem the same result alone or inside any batch.

Note:
    B: number of problems. M: numbers (or draws) per problem. N: items per problem.
"""
from typing import Optional

import torch
from torch import Tensor

_M32 = 0xFFFFFFFF


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


def sample_weighted(weights: Tensor, u: Tensor) -> Tensor:
    """Draw indices per problem with probability proportional to ``weights``
    (inverse CDF), one draw per uniform.

    Args:
        weights (Tensor): (B, N) non-negative float64 weights (a row sums to > 0).
        u (Tensor): (B, M) uniforms in (0, 1).

    Returns:
        Tensor: (B, M) int64 indices in [0, N).
    """
    cum = torch.cumsum(weights, dim=1)
    idx = torch.searchsorted(cum, u * cum[:, -1:], right=True)
    return idx.clamp_(max=weights.shape[1] - 1)
