"""Point the :class:`LoadPseudoLabels` transforms of a training dataset at the store files."""
import logging
import os.path as osp
from typing import List, Sequence

from mmengine.logging import print_log
from torch import Tensor

from hp_mm.datasets.transforms.pseudo_labels import LoadPseudoLabels


def find_pseudo_label_loaders(dataset) -> List[LoadPseudoLabels]:
    """Every :class:`LoadPseudoLabels` reachable from ``dataset`` through its
    ``dataset`` / ``datasets`` / ``pipeline`` / ``transforms`` attributes (dataset
    wrappers, ``Compose``, ``RandomApply``...), each once."""
    found, seen = [], set()

    def walk(obj):
        if obj is None or id(obj) in seen or isinstance(obj, (str, bytes, dict, Tensor)):
            return
        seen.add(id(obj))
        if isinstance(obj, LoadPseudoLabels):
            found.append(obj)
            return
        if isinstance(obj, (list, tuple)):
            for o in obj:
                walk(o)
            return
        for attr in ('dataset', 'datasets', 'pipeline', 'transforms'):
            try:
                walk(getattr(obj, attr, None))
            except AttributeError:
                pass

    walk(dataset)
    return found


def bind_pseudo_label_loaders(dataset, store_dir: str, stores: Sequence[str],
                              owner: str = 'PerEpochClusteringHook') -> int:
    """Bind the dataset's :class:`LoadPseudoLabels` of ``stores`` to ``store_dir``.

    A transform that already names another ``store_dir`` keeps it (warned); no
    transform for any of ``stores`` is warned too (the labels are then written but
    not loaded).

    Args:
        dataset: The training dataset (``runner.train_dataloader.dataset``).
        store_dir (str): Directory of the store files.
        stores (Sequence[str]): Store names written by the hook.
        owner (str): Name used in the warnings.

    Returns:
        int: The number of transforms bound.
    """
    found = [t for t in find_pseudo_label_loaders(dataset) if t.store in stores]
    bound = 0
    for t in found:
        if t.store_dir is not None and osp.abspath(t.store_dir) != osp.abspath(store_dir):
            print_log(f'{owner}: LoadPseudoLabels(store={t.store!r}) keeps its store_dir '
                      f'{t.store_dir}, not {store_dir}', logger='current', level=logging.WARNING)
            continue
        t.bind(store_dir)
        bound += 1
    if not found:
        print_log(f'{owner}: no LoadPseudoLabels for stores {tuple(stores)} in the train '
                  'pipeline; the labels are written but not loaded', logger='current',
                  level=logging.WARNING)
    return bound
