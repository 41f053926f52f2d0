"""Read a sample's per-epoch pseudo-label map from the run's store."""
import os.path as osp
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform

from hp_mm.registry import TRANSFORMS
from hp_mm.structures.pseudo_label_store import PseudoLabelStore


def nearest_upsample(label: np.ndarray, height: int, width: int) -> np.ndarray:
    """Nearest-neighbour resize of an (h, w) map to (height, width), as torch's
    ``interpolate(mode='nearest')``: output pixel (i, j) takes input
    ``(i * h // height, j * w // width)`` (exact block copy for integer factors)."""
    h, w = label.shape
    if (h, w) == (height, width):
        return label
    rows = (np.arange(height) * h) // height
    cols = (np.arange(width) * w) // width
    return label[rows[:, None], cols[None, :]]


@TRANSFORMS.register_module()
class LoadPseudoLabels(BaseTransform):
    """Put a sample's pseudo-label map, written by a
    :class:`hp_mm.engine.hooks.PerEpochClusteringHook`, into the pipeline.

    Place it right after image loading and BEFORE any geometric transform: the map
    is registered in ``seg_fields``, so mmseg's ``Resize`` / ``RandomFlip`` /
    ``RandomCrop`` and hp_mm's re-ID transforms move it exactly as the image.
    The store holds maps at feature resolution (h, w) of the whole extraction
    image; with ``resize_to_img`` they are nearest-upsampled to the loaded image
    first, so they cover the image as the features did.

    The store file is ``<store_dir>/<store>.npy``. ``store_dir`` is normally left
    None and bound by the hook in ``before_train`` (``work_dir/pseudo_labels``);
    the file is opened lazily, memory-mapped read-only, once per process.

    Required Keys: ``sample_idx`` (mmengine's ``BaseDataset`` sets it), ``img``
    (with ``resize_to_img``).
    Added Keys: ``key`` (default ``gt_pseudo_seg``) (H, W) uint8, 255 = no label;
    ``key`` appended to ``seg_fields``.

    Args:
        store (str): Store name (a name in the hook's ``stores``). Default 'default'.
        key (str): Results key. Default 'gt_pseudo_seg'.
        resize_to_img (bool): Nearest-upsample to ``results['img']``'s size. Default True.
        store_dir (str, optional): Directory of the store files; None: bound by the hook.
    """

    def __init__(self,
                 store: str = 'default',
                 key: str = 'gt_pseudo_seg',
                 resize_to_img: bool = True,
                 store_dir: Optional[str] = None) -> None:
        self.store = store
        self.key = key
        self.resize_to_img = resize_to_img
        self.store_dir = store_dir
        self._reader: Optional[PseudoLabelStore] = None

    def bind(self, store_dir: str) -> None:
        """Set the directory of the store files (called by the hook)."""
        self.store_dir = store_dir
        self._reader = None

    @property
    def path(self) -> Optional[str]:
        return None if self.store_dir is None else osp.join(self.store_dir, f'{self.store}.npy')

    def __getstate__(self):  # never pickle an open memmap into dataloader workers
        state = self.__dict__.copy()
        state['_reader'] = None
        return state

    def _open(self) -> PseudoLabelStore:
        if self._reader is None:
            if self.path is None:
                raise RuntimeError(
                    f'{type(self).__name__}(store={self.store!r}) has no store_dir: add the '
                    'clustering hook that writes this store (a PerEpochClusteringHook subclass) '
                    "to the config, e.g. default_hooks = dict(clustering=dict("
                    "type='ISPClusteringHook', ...)), or set store_dir in the transform config")
            if not osp.isfile(self.path):
                raise FileNotFoundError(
                    f'{type(self).__name__}: no pseudo labels at {self.path} yet; the clustering '
                    'hook writes them in before_train_epoch of its first epoch')
            self._reader = PseudoLabelStore(self.path, mode='r')
        return self._reader

    def transform(self, results: dict) -> dict:
        if 'sample_idx' not in results:
            raise KeyError(f'{type(self).__name__}: results have no `sample_idx` '
                           f'(sample {results.get("img_path")}); use an mmengine BaseDataset')
        label = self._open().read(int(results['sample_idx']))
        if self.resize_to_img:
            if 'img' not in results:
                raise KeyError(f'{type(self).__name__}: resize_to_img needs `img`; put the '
                               'transform after image loading')
            label = nearest_upsample(label, *results['img'].shape[:2])
        results[self.key] = np.ascontiguousarray(label)
        fields = results.setdefault('seg_fields', [])
        if self.key not in fields:
            fields.append(self.key)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(store={self.store!r}, key={self.key!r}, '
                f'resize_to_img={self.resize_to_img}, store_dir={self.store_dir!r})')
