"""Which chunk of whole groups (identities) each sample of a sequential stream goes to
(torch / numpy only: no registry, no mmengine)."""
from typing import NamedTuple, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor


class GroupChunkPlan(NamedTuple):
    """How a stream of ``N`` samples in ``sample_idx`` order is cut into chunks of whole
    groups (see :func:`plan_group_chunks`).

    Note:
        N: samples; G: groups; J: chunks.

    Attributes:
        group_order (Tensor): (G,) group indices in the order they complete.
        chunk_of_group (Tensor): (G,) chunk of each group.
        chunk_of_sample (Tensor): (N,) chunk of each sample.
        slot_of_sample (Tensor): (N,) position of each sample inside its chunk.
        chunk_sizes (Tensor): (J,) samples per chunk.
    """
    group_order: Tensor
    chunk_of_group: Tensor
    chunk_of_sample: Tensor
    slot_of_sample: Tensor
    chunk_sizes: Tensor

    @property
    def num_chunks(self) -> int:
        return len(self.chunk_sizes)


def index_groups(values: Sequence[int]) -> Tuple[Tensor, Tensor]:
    """Number the distinct group ids of the samples.

    Args:
        values (Sequence[int]): (N,) group id of each sample (e.g. its identity).

    Returns:
        tuple: ``group_values`` (G,) int64 the sorted distinct ids and ``group_index``
        (N,) int64 in [0, G): the position of each sample's id in ``group_values``.
    """
    uniq, inverse = np.unique(np.asarray(values, dtype=np.int64), return_inverse=True)
    return torch.from_numpy(uniq), torch.from_numpy(inverse.astype(np.int64).reshape(-1))


def plan_group_chunks(group_index: Tensor, chunk_size: int) -> GroupChunkPlan:
    """Cut a sequential stream of samples into chunks of whole groups.

    The samples arrive in ``sample_idx`` order ``0..N-1``. A group completes with its
    last sample; groups are taken in completion order and a chunk closes at the first
    group that brings it to ``chunk_size`` samples or more (so a chunk may be larger).
    Inside a chunk the samples are ordered group by group (completion order), then by
    ``sample_idx``. The plan depends on the group ids only, not on ranks or batches.

    Args:
        group_index (Tensor): (N,) int64 group of each sample in [0, G), every group used.
        chunk_size (int): Samples per chunk (at least).

    Returns:
        GroupChunkPlan: the chunk and slot of every sample and group.

    Example:
        >>> # groups 1 0 1 2 0 2 2 3 3 complete in the order 1, 0, 2, 3
        >>> plan = plan_group_chunks(torch.tensor([1, 0, 1, 2, 0, 2, 2, 3, 3]), 3)
        >>> plan.chunk_of_group.tolist(), plan.chunk_sizes.tolist()
        ([0, 0, 1, 2], [4, 3, 2])
    """
    if int(chunk_size) < 1:
        raise ValueError(f'chunk_size must be >= 1, got {chunk_size}')
    group_index = torch.as_tensor(group_index, dtype=torch.int64).reshape(-1)
    N = group_index.numel()
    G = int(group_index.max()) + 1 if N else 0
    last = torch.full((G, ), -1, dtype=torch.int64).scatter_reduce_(
        0, group_index, torch.arange(N), 'amax')
    order = torch.argsort(last)
    sizes = torch.bincount(group_index, minlength=G)[order]
    chunk_of_ordered = torch.empty(G, dtype=torch.int64)
    chunk, filled = 0, 0
    for i, s in enumerate(sizes.tolist()):
        chunk_of_ordered[i] = chunk
        filled += s
        if filled >= chunk_size:
            chunk, filled = chunk + 1, 0
    chunk_of_group = torch.empty(G, dtype=torch.int64)
    chunk_of_group[order] = chunk_of_ordered
    chunk_of_sample = chunk_of_group[group_index]
    num_chunks = int(chunk_of_group.max()) + 1 if G else 0
    rank_in_order = torch.empty_like(order)
    rank_in_order[order] = torch.arange(G)
    # slot inside the chunk: by group completion, then sample_idx
    key = rank_in_order[group_index] * (N + 1) + torch.arange(N)
    sorted_samples = torch.argsort(key)
    chunk_sizes = torch.bincount(chunk_of_sample, minlength=num_chunks)
    starts = torch.cumsum(chunk_sizes, 0) - chunk_sizes
    slot = torch.empty(N, dtype=torch.int64)
    slot[sorted_samples] = torch.arange(N) - starts[chunk_of_sample[sorted_samples]]
    return GroupChunkPlan(order, chunk_of_group, chunk_of_sample, slot, chunk_sizes)
