"""What a per-epoch clustering hook keeps in a checkpoint: every label store as a uint8
tensor with the epoch it was computed, and the hook's extra state (tensors and plain
Python only, so checkpoints load with ``weights_only=True``)."""
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
import torch

#: checkpoint key of the saved label stores
CKPT_LABELS = 'pseudo_labels'
#: checkpoint key of the hooks' extra state (one entry per hook class)
CKPT_STATE = 'clustering_state'

StoreLabels = Dict[str, Tuple[np.ndarray, int]]


def save_clustering_state(checkpoint: dict, labels: StoreLabels, owner: str,
                          extra: Optional[dict] = None) -> None:
    """Put the stores and the extra state into ``checkpoint`` (in place).

    Args:
        checkpoint (dict): The checkpoint being saved.
        labels (dict): ``store -> (labels (N, h, w) uint8, epoch)``; saved as
            ``checkpoint['pseudo_labels'][store] = dict(labels=uint8 tensor, epoch=int)``.
        owner (str): The hook's class name, key of its extra state.
        extra (dict, optional): The hook's extra state; nothing is saved when empty.
    """
    saved = checkpoint.setdefault(CKPT_LABELS, {})
    for name, (array, epoch) in labels.items():
        saved[name] = dict(labels=torch.from_numpy(np.asarray(array, dtype=np.uint8)),
                           epoch=int(epoch))
    if extra:
        checkpoint.setdefault(CKPT_STATE, {})[owner] = extra


def load_clustering_state(checkpoint: dict, stores: Sequence[str],
                          owner: str) -> Tuple[StoreLabels, Optional[dict]]:
    """Read what :func:`save_clustering_state` saved.

    Args:
        checkpoint (dict): A loaded checkpoint.
        stores (Sequence[str]): The store names of the hook (others are ignored).
        owner (str): The hook's class name.

    Returns:
        tuple: ``store -> (labels (N, h, w) uint8 ndarray, epoch)`` for the stores the
        checkpoint holds, and the extra state (None if absent).
    """
    saved = checkpoint.get(CKPT_LABELS) or {}
    labels = {name: (saved[name]['labels'].cpu().numpy().astype(np.uint8),
                     int(saved[name]['epoch']))
              for name in stores if name in saved}
    return labels, (checkpoint.get(CKPT_STATE) or {}).get(owner) or None
