"""ATR with its 18 labels merged into background / upper body / lower body (C²L Sec. 4.1)."""
from collections import abc
from typing import Dict, Iterator, List, Mapping, Optional

from hp_mm.registry import DATASETS
from .human_parsing_datasets import ATRDataset
from .label_sets import label_set_lut, label_set_metainfo

ATR_CLASSES = ATRDataset.METAINFO['classes']


class _LabelSetMapping(abc.Mapping):
    """Read-only ``{src class name: dst label}`` of :func:`~.label_sets.label_set_lut`.

    Looked up on first use: the label-set table's check reads the classes of every
    dataset, this module's included, so it cannot run while this module loads.
    """

    def __init__(self, src: str, dst: str) -> None:
        self.src, self.dst = src, dst
        self._mapping: Optional[Dict[str, int]] = None

    def _lookup(self) -> Dict[str, int]:
        if self._mapping is None:
            lut = label_set_lut(self.src, self.dst)
            self._mapping = {c: int(lut[i]) for i, c in enumerate(label_set_metainfo(self.src)
                                                                  ['classes'])}
        return self._mapping

    def __getitem__(self, name: str) -> int:
        return self._lookup()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._lookup())

    def __len__(self) -> int:
        return len(self._lookup())

    def __repr__(self) -> str:
        return repr(self._lookup())


#: ATR label -> merged label (0 background, 1 upper body, 2 lower body): the ``atr`` to
#: ``upper-lower`` conversion of the label-set table (:mod:`.label_set_table`), where the
#: paper says only "we merge the ground truth to the upper-body, lower-body and
#: background". hp_mm's reading: everything above the waist (head included) is upper
#: body, the belt and everything below it lower body, a dress (which covers the torso)
#: upper body, and a carried bag background (not a body part).
ATR_3CLASS_MERGE: Mapping[str, int] = _LabelSetMapping('atr', 'upper-lower')


@DATASETS.register_module()
class ATRMergedDataset(ATRDataset):
    """ATR (or MiniHumans in ATR's layout) with the labels merged to 3 classes.

    Same files and layout as :class:`ATRDataset`; the label maps are remapped while
    loading (mmseg's ``label_map``, applied by ``LoadAnnotations`` /
    ``LoadParsingAnnotations``). The merge (paper Sec. 4.1; the table is hp_mm's, the
    paper gives none):

    ============== ==================================================================
    merged class   ATR labels
    ============== ==================================================================
    0 background   0 background, 16 bag
    1 upper-body   1 hat, 2 hair, 3 sunglass, 4 upper-clothes, 7 dress, 11 face,
                   14 left-arm, 15 right-arm, 17 scarf
    2 lower-body   5 skirt, 6 pants, 8 belt, 9 left-shoe, 10 right-shoe,
                   12 left-leg, 13 right-leg
    ============== ==================================================================

    255 stays ignored. No left/right classes remain, so ``flip_pairs`` is empty.

    Args:
        merge (Mapping[str, int], optional): ATR class name -> merged index, to
            override :data:`ATR_3CLASS_MERGE` (every ATR class must be given).
        **kwargs: :class:`ATRDataset` arguments (``data_root``, ``ann_file``,
            ``data_prefix``, ``pipeline``, ...).
    """
    METAINFO = dict(
        classes=('background', 'upper-body', 'lower-body'),
        palette=([0, 0, 0], [255, 85, 0], [0, 85, 85]),
        flip_pairs=(),
        joint_groups=())

    def __init__(self, merge: Optional[Mapping[str, int]] = None, **kwargs) -> None:
        merge = dict(ATR_3CLASS_MERGE if merge is None else merge)
        missing = [c for c in ATR_CLASSES if c not in merge]
        unknown = [c for c in merge if c not in ATR_CLASSES]
        if missing or unknown:
            raise ValueError(f'ATRMergedDataset: merge must map every ATR class; missing '
                             f'{missing}, unknown {unknown}')
        n = len(self.METAINFO['classes'])
        bad = {c: v for c, v in merge.items() if not 0 <= int(v) < n}
        if bad:
            raise ValueError(f'ATRMergedDataset: merged indices must be in [0, {n}), got {bad}')
        self.merge_table = {ATR_CLASSES.index(c): int(v) for c, v in merge.items()}
        super().__init__(**kwargs)

    def load_data_list(self) -> List[dict]:
        """ATR's data list with the merge as every sample's ``label_map``."""
        data_list = super().load_data_list()
        for info in data_list:
            info['label_map'] = dict(self.merge_table)
        return data_list
