"""One memory-mapped uint8 array of per-sample pseudo-label maps (pure numpy)."""
import os
import os.path as osp
from typing import Sequence, Union

import numpy as np

#: value of a pixel that has no pseudo label (the ignore index of the losses)
IGNORE_LABEL = 255


class PseudoLabelStore:
    """A (N, h, w) uint8 array on disk (``.npy`` format, memory-mapped), indexed by
    ``sample_idx``.

    Written by :class:`hp_mm.engine.hooks.PerEpochClusteringHook` once per clustering
    (in place: the file is created once per run and keeps its inode, so readers in
    dataloader workers that mapped it earlier see the new labels), read by the
    :class:`hp_mm.datasets.transforms.LoadPseudoLabels` transform. Unlabelled pixels
    hold :data:`IGNORE_LABEL` (255). The ``.npy`` header makes the file
    self-describing: readers need only its path.

    Args:
        path (str): The ``.npy`` file.
        mode (str): ``'r'`` (read-only, default) or ``'r+'`` (read/write).

    Example:
        >>> store = PseudoLabelStore.create('work_dir/pseudo_labels/default.npy', 100, 64, 32)
        >>> store.write([3, 7], labels)        # labels (2, 64, 32)
        >>> PseudoLabelStore('work_dir/pseudo_labels/default.npy').read(7)   # (64, 32) uint8
    """

    def __init__(self, path: str, mode: str = 'r') -> None:
        if mode not in ('r', 'r+'):
            raise ValueError(f"mode must be 'r' or 'r+', got {mode!r}")
        if not osp.isfile(path):
            raise FileNotFoundError(f'pseudo-label store {path} does not exist')
        self.path = path
        self.mode = mode
        self.array = np.load(path, mmap_mode=mode)
        if self.array.dtype != np.uint8 or self.array.ndim != 3:
            raise ValueError(f'{path}: a pseudo-label store is a (N, h, w) uint8 array, got '
                             f'{self.array.dtype} {self.array.shape}')

    @classmethod
    def create(cls, path: str, num_samples: int, height: int, width: int,
               fill: int = IGNORE_LABEL, replace: bool = False) -> 'PseudoLabelStore':
        """Create the file filled with ``fill``, or reuse an existing one of this exact
        shape (kept as is). An existing file of another shape / type is an error, or
        is replaced (a new file) with ``replace=True``. Returns the store opened 'r+'."""
        shape = (int(num_samples), int(height), int(width))
        if osp.isfile(path):
            try:
                store = cls(path, 'r+')
            except ValueError:
                store = None
            if store is not None and store.shape == shape:
                return store
            if not replace:
                raise ValueError(f'{path} already exists with shape '
                                 f'{None if store is None else store.shape}, expected {shape}; '
                                 'remove it or use another work_dir')
            del store
            os.remove(path)
        os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
        arr = np.lib.format.open_memmap(path, mode='w+', dtype=np.uint8, shape=shape)
        arr[...] = fill
        arr.flush()
        del arr
        return cls(path, 'r+')

    @property
    def shape(self):
        """(N, h, w)."""
        return tuple(self.array.shape)

    def __len__(self) -> int:
        return self.array.shape[0]

    def _indices(self, sample_idx) -> np.ndarray:
        idx = np.asarray(sample_idx, dtype=np.int64).reshape(-1)
        if idx.size and (idx.min() < 0 or idx.max() >= len(self)):
            raise IndexError(f'{self.path}: sample_idx out of range [0, {len(self)}): '
                             f'{idx[(idx < 0) | (idx >= len(self))][:5].tolist()}')
        return idx

    def read(self, sample_idx: Union[int, Sequence[int], np.ndarray]) -> np.ndarray:
        """A copy of one map (h, w) for an int, or of several maps (n, h, w)."""
        if np.ndim(sample_idx) == 0:
            return np.array(self.array[self._indices(sample_idx)[0]])
        return np.array(self.array[self._indices(sample_idx)])

    def write(self, sample_idx, labels: np.ndarray) -> None:
        """Write maps ``labels`` (n, h, w) (integers in [0, 255]) at ``sample_idx`` (n,)."""
        if self.mode != 'r+':
            raise PermissionError(f'{self.path} is open read-only')
        idx = self._indices(sample_idx)
        labels = np.asarray(labels)
        if labels.shape != (idx.size, ) + self.shape[1:]:
            raise ValueError(f'labels must have shape {(idx.size, ) + self.shape[1:]}, '
                             f'got {labels.shape}')
        if labels.dtype != np.uint8:
            if labels.size and (labels.min() < 0 or labels.max() > 255):
                raise ValueError('pseudo labels must lie in [0, 255]')
            labels = labels.astype(np.uint8)
        self.array[idx] = labels

    def load(self, labels: np.ndarray) -> None:
        """Overwrite the whole array with ``labels`` (N, h, w)."""
        labels = np.asarray(labels)
        if labels.shape != self.shape:
            raise ValueError(f'{self.path}: expected {self.shape}, got {labels.shape}')
        self.write(np.arange(len(self)), labels)

    def flush(self) -> None:
        """Push written pages to the file."""
        if self.mode == 'r+':
            self.array.flush()

