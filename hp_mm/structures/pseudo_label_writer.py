"""Buffer per-sample pseudo-label maps and write them, each sample exactly once, to
:class:`PseudoLabelStore` files (numpy / torch only)."""
from typing import Dict, List, Sequence, Tuple

import numpy as np

from .array_like import to_numpy
from .pseudo_label_store import PseudoLabelStore


class PseudoLabelWriter:
    """The label side of a per-epoch clustering: collect, check, write, restore, read.

    :meth:`add` buffers maps of named stores as they are computed; :meth:`take` hands a
    store's buffered maps over (the caller may gather them from all ranks);
    :meth:`commit` checks that every sample ``0..N-1`` is written exactly once and writes
    the maps into the store file. A run's first write to a file may replace a stale
    file of another shape (no reader has mapped it yet); later writes go in place (same
    inode), so readers that mapped the file see the new labels.

    Note:
        n: maps buffered or written; N: samples of the training set; h, w: map size.

    Args:
        stores (Sequence[str]): The store names that may be written.
        owner (str): Name used in error messages (the hook's class).

    Example:
        >>> writer = PseudoLabelWriter(('default', ))
        >>> writer.add(torch.tensor([1, 0]), labels)            # labels (2, h, w)
        >>> idx, maps = writer.take('default')
        >>> writer.commit('default', 'work_dir/pseudo_labels/default.npy', idx, maps, 2)
    """

    def __init__(self, stores: Sequence[str], owner: str = 'PseudoLabelWriter') -> None:
        self.stores = tuple(stores)
        self.owner = owner
        self._pending: Dict[str, List[Tuple[np.ndarray, np.ndarray]]] = {}
        self._created = set()  # paths (re)created by this writer

    def add(self, sample_idx, labels, store: str = 'default') -> None:
        """Buffer the maps of some samples.

        Args:
            sample_idx (Tensor | ndarray | list): (n,) sample indices.
            labels (Tensor | ndarray): (n, h, w) integers in [0, 255] (255 = ignore).
            store (str): Store name, one of :attr:`stores`.
        """
        if store not in self.stores:
            raise KeyError(f'{self.owner}: unknown store {store!r}; declared stores '
                           f'are {self.stores}')
        labels = to_numpy(labels, 'labels')
        lo, hi = (int(labels.min()), int(labels.max())) if labels.size else (0, 0)
        if lo < 0 or hi > 255:
            raise ValueError(f'labels for store {store!r} must lie in [0, 255], got [{lo}, {hi}]')
        idx = to_numpy(sample_idx, 'sample_idx').astype(np.int64).reshape(-1)
        if labels.ndim != 3 or labels.shape[0] != idx.size:
            raise ValueError(f'labels must have shape (n={idx.size}, h, w), got {labels.shape}')
        self._pending.setdefault(store, []).append((idx, labels.astype(np.uint8)))

    def take(self, store: str) -> Tuple[np.ndarray, np.ndarray]:
        """Remove and return the maps buffered for ``store``: sample indices (n,) int64 and
        maps (n, h, w) uint8; ``(0,)`` and ``(0, 0, 0)`` when nothing was buffered."""
        pend = self._pending.pop(store, [])
        if not pend:
            return np.zeros(0, np.int64), np.zeros((0, 0, 0), np.uint8)
        return np.concatenate([p[0] for p in pend]), np.concatenate([p[1] for p in pend])

    def clear(self) -> None:
        """Drop every buffered map."""
        self._pending.clear()

    def check_exactly_once(self, store: str, sample_idx: np.ndarray, num_samples: int) -> None:
        """Raise ``ValueError`` unless ``sample_idx`` (n,) holds every sample of
        ``0..num_samples-1`` exactly once (the message counts missing, repeated and
        out-of-range samples)."""
        idx = np.asarray(sample_idx, dtype=np.int64)
        if len(idx) and idx.min() < 0:
            raise ValueError(f'store {store!r}: negative sample_idx written')
        counts = np.bincount(idx, minlength=num_samples) if len(idx) else \
            np.zeros(num_samples, np.int64)
        if len(counts) != num_samples or (counts != 1).any():
            missing = int((counts[:num_samples] == 0).sum())
            repeated = int((counts[:num_samples] > 1).sum())
            extra = int(counts[num_samples:].sum())
            raise ValueError(f'store {store!r}: every sample must be written exactly once; '
                             f'{missing} missing, {repeated} written more than once, '
                             f'{extra} out of range [0, {num_samples})')

    def commit(self, store: str, path: str, sample_idx: np.ndarray, labels: np.ndarray,
               num_samples: int, write: bool = True) -> None:
        """Check a whole epoch's maps of ``store`` and write them to ``path``.

        Args:
            store (str): Store name (for messages).
            path (str): The store's ``.npy`` file.
            sample_idx (ndarray): (N,) every sample index once, any order.
            labels (ndarray): (N, h, w) uint8 maps in the order of ``sample_idx``.
            num_samples (int): N.
            write (bool): False: only check (the ranks that do not write).
        """
        if len(sample_idx) == 0:
            raise ValueError(f'store {store!r}: no labels were written this epoch')
        self.check_exactly_once(store, sample_idx, num_samples)
        if not write:
            return
        order = np.argsort(sample_idx, kind='stable')
        label_store = PseudoLabelStore.create(path, num_samples, *labels.shape[1:],
                                              replace=path not in self._created)
        self._created.add(path)
        label_store.write(sample_idx[order], labels[order])
        label_store.flush()

    def restore(self, path: str, labels: np.ndarray) -> None:
        """Write a whole store (N, h, w) uint8, e.g. from a checkpoint, replacing the file."""
        label_store = PseudoLabelStore.create(path, *labels.shape, replace=True)
        self._created.add(path)
        label_store.load(labels)
        label_store.flush()

    @staticmethod
    def read(path: str) -> np.ndarray:
        """A copy of the whole store at ``path``: (N, h, w) uint8."""
        return np.array(PseudoLabelStore(path, mode='r').array)
