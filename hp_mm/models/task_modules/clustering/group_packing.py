"""Pad per-sample values of variable-size groups into a (G, L, ...) batch and back
(pure torch): how per-identity problems become one batched k-means input.

Note:
    n: samples. G: groups. L: samples of the largest group.
"""
from typing import Optional, Tuple

import torch
from torch import Tensor


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
