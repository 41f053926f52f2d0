"""A transform that converts a sample's labels to another dataset's label set."""
from mmcv.transforms import BaseTransform

from hp_mm.registry import TRANSFORMS
from ..label_sets import convert_label_set, label_set_metainfo


@TRANSFORMS.register_module()
class ConvertLabelSet(BaseTransform):
    """Convert ``gt_seg_map`` from label set ``src`` to ``dst`` (:func:`convert_label_set`).

    Put it right after the annotation loader, before any flip: it also gives
    the sample the ``flip_pairs`` and ``num_classes`` of ``dst``, so the flip
    swaps the right classes. With it, datasets of different label sets train
    one model through mmengine's ``ConcatDataset``, e.g. ATR labels as LIP's::

        atr_train = dict(
            type='ATRDataset', ...,
            pipeline=[dict(type='LoadParsingImageFromFile'),
                      dict(type='LoadParsingAnnotations'),
                      dict(type='ConvertLabelSet', src='atr', dst='lip'),
                      dict(type='ParsingRandomFlip', prob=0.5), ...])
        train_dataloader = dict(dataset=dict(
            type='ConcatDataset', datasets=[lip_train, atr_train],
            # the first dataset's metainfo (LIP's) is the concatenation's
            ignore_keys=['classes', 'palette', 'flip_pairs', 'joint_groups', 'label_map']))

    Required Keys: ``gt_seg_map`` (H, W) labels of ``src``; ``num_classes``
    (optional, checked against ``src``).
    Modified Keys: ``gt_seg_map`` (labels of ``dst``, 255 kept), ``flip_pairs``,
    ``num_classes``.

    Args:
        src (str): Label set of the dataset (``'lip'``, ``'cihp'``, ``'atr'``,
            ``'pascal-person-part'``, ``'mhp-v2'``, ``'upper-lower'``).
        dst (str): Label set to train in.
    """

    def __init__(self, src: str, dst: str) -> None:
        self.src, self.dst = src, dst
        self.src_classes = len(label_set_metainfo(src)['classes'])
        meta = label_set_metainfo(dst)
        self.dst_classes = len(meta['classes'])
        self.dst_flip_pairs = [tuple(p) for p in meta['flip_pairs']]

    def transform(self, results: dict) -> dict:
        n = results.get('num_classes')
        if n is not None and n != self.src_classes:
            raise ValueError(f'{type(self).__name__}(src={self.src!r}): the sample '
                             f'{results.get("img_path")} comes from a dataset with {n} classes, '
                             f'but {self.src} has {self.src_classes}')
        if results.get('gt_seg_map') is None:
            raise KeyError(f'{type(self).__name__}: no gt_seg_map in {results.get("img_path")}; '
                           'put it after the annotation loader')
        results['gt_seg_map'] = convert_label_set(results['gt_seg_map'], self.src, self.dst)
        results['flip_pairs'] = list(self.dst_flip_pairs)
        results['num_classes'] = self.dst_classes
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(src={self.src!r}, dst={self.dst!r})'
