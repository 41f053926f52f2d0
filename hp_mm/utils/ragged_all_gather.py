"""All-gather of tensors whose first dimension differs from rank to rank."""
from typing import Dict, List

import torch
from mmengine.dist import all_gather, get_world_size
from torch import Tensor


def all_gather_ragged(tensors: Dict[str, Tensor], name: str = 'tensors') -> Dict[str, Tensor]:
    """Concatenate every rank's tensors in rank order when ranks hold different numbers of rows.

    Each rank passes the same keys; the tensors of one rank share their first dim
    ``n_r`` (0 allowed: a rank with nothing to send passes ``(0, ...)`` tensors, whose
    trailing dims are then ignored). Per key, the ranks must agree on the number of
    dims and the dtype, and the ranks with rows on the trailing dims. Every tensor is
    padded to the largest ``n_r``, all-gathered (bool as uint8) and trimmed back.

    Collectives, the same on every rank: one all-gather of the shapes, then one per key
    in sorted key order. On one process the input is returned as it is.

    Note:
        n_r: rows of rank r; W: world size.

    Args:
        tensors (dict[str, Tensor]): (n_r, ...) tensors of this rank.
        name (str): What the tensors are, for error messages.

    Returns:
        dict[str, Tensor]: (sum_r n_r, ...) per key: rank 0's rows, then rank 1's, ...

    Raises:
        ValueError: the tensors of this rank differ in their first dim, or two ranks
            with rows differ in a tensor's trailing dims.
    """
    world_size = get_world_size()
    if world_size == 1:
        return dict(tensors)
    keys = sorted(tensors)
    rows = {int(tensors[k].shape[0]) for k in keys}
    if len(rows) > 1:
        raise ValueError(f'{name}: the tensors of one rank must share their first dim, got '
                         f'{ {k: tuple(tensors[k].shape) for k in keys} }')
    shapes = torch.tensor([d for k in keys for d in tensors[k].shape], dtype=torch.int64)
    all_shapes = [s.tolist() for s in all_gather(shapes)]
    sizes = [s[0] if s else 0 for s in all_shapes]
    width = max(sizes)
    out, offset = {}, 0
    for k in keys:
        v = tensors[k]
        ndim = v.dim()
        trailing = {tuple(s[offset + 1:offset + ndim]) for s, n in zip(all_shapes, sizes) if n}
        offset += ndim
        if len(trailing) > 1:
            raise ValueError(f'{name}: ranks hold {k!r} with different trailing shapes '
                             f'{sorted(trailing)}')
        if not trailing:  # no rank has a row
            out[k] = v
            continue
        shape = trailing.pop()
        send = v.to(torch.uint8) if v.dtype == torch.bool else v
        if send.shape[0] == 0:
            send = send.new_zeros((0, ) + shape)
        if send.shape[0] < width:
            send = torch.cat([send, send.new_zeros((width - send.shape[0], ) + shape)])
        parts: List[Tensor] = all_gather(send.contiguous())
        out[k] = torch.cat([p[:n] for p, n in zip(parts, sizes)]).to(v.dtype)
    return out
