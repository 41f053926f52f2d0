"""What the parsing Inferencers add to the base: predictions in another label set.

Note:
    n: persons of an image. C: the model's classes, C': those of ``label_set``
    (background included). H, W: image height and width.
"""
from typing import List, Optional, Sequence

import numpy as np
import torch

from .base_hp_mm_inferencer import BaseHPMMInferencer


class BaseParsingInferencer(BaseHPMMInferencer):
    """Base of :class:`HumanParsingInferencer` and :class:`MultiHumanParsingInferencer`.

    With ``label_set``, each prediction is converted from the model's label
    set to that one by :func:`hp_mm.datasets.convert_label_set` right after
    the forward pass: ``pred_sem_seg`` and, for persons, ``parsings``
    (labels), ``part_scores`` and ``part_pixel_scores`` (a part of
    ``label_set`` scores the best of the model's classes that convert to it;
    0 if none does). Everything after (drawings with the label set's classes
    and palette, files, returned predictions) is in ``label_set``.

    Args:
        *args, **kwargs: ``model``, ``weights``, ``device``, ``cfg_options``,
            ``show_progress``, ``backend`` of :class:`BaseHPMMInferencer`.
        label_set (str, optional): A label set of
            :data:`hp_mm.datasets.LABEL_SETS` (``'lip'``, ``'atr'``, ...) to
            convert the predictions to. None keeps the model's classes.
        src_label_set (str, optional): The model's label set; default the
            ``label_set`` of its ``dataset_meta``, else the label set whose
            classes are the model's.
    """

    def __init__(self, *args, label_set: Optional[str] = None,
                 src_label_set: Optional[str] = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.label_set = label_set
        self.src_label_set = None
        if label_set is not None:
            from hp_mm.datasets import label_set_metainfo  # the label-set table, on demand
            self.src_label_set = src_label_set or self._model_label_set()
            meta = label_set_metainfo(label_set)
            self.visualizer.set_dataset_meta(meta['classes'], meta['palette'])

    @property
    def classes(self) -> List[str]:
        """The class names of the predictions (``label_set``'s, else the model's)."""
        if self.label_set is not None:
            from hp_mm.datasets import label_set_metainfo
            return list(label_set_metainfo(self.label_set)['classes'])
        return list((self.model.dataset_meta or {}).get('classes') or
                    [str(c) for c in range(self.model.decode_head.num_classes)])

    def _model_label_set(self) -> str:
        """The model's label set: ``dataset_meta['label_set']`` or the one with its classes."""
        from hp_mm.datasets import LABEL_SETS, label_set_metainfo
        meta = self.model.dataset_meta or {}
        if meta.get('label_set'):
            return meta['label_set']
        classes = tuple(meta.get('classes') or ())
        for name in LABEL_SETS:
            if classes == tuple(label_set_metainfo(name)['classes']):
                return name
        raise ValueError(f'label_set={self.label_set!r}: the model\'s label set is unknown (its '
                         f'classes {classes[:4]}... match none of {LABEL_SETS}): pass '
                         'src_label_set=')

    def forward(self, inputs: dict, **kwargs) -> list:
        """``model.test_step``, the predictions converted to ``label_set`` if given."""
        preds = super().forward(inputs, **kwargs)
        if self.label_set is not None:
            for pred in preds:
                self._convert_label_set(pred)
        return preds

    def _convert_label_set(self, pred) -> None:
        from hp_mm.datasets import convert_label_set, label_set_lut
        src, dst = self.src_label_set, self.label_set
        seg = pred.pred_sem_seg.data
        pred.pred_sem_seg.data = torch.from_numpy(
            convert_label_set(seg.cpu().numpy(), src, dst)).to(seg.device)
        inst = pred.get('pred_instances')
        if inst is None or 'parsings' not in inst:
            return
        parsings = inst.parsings
        inst.parsings = torch.from_numpy(convert_label_set(parsings.cpu().numpy(), src,
                                                           dst)).to(parsings.device)
        lut = label_set_lut(src, dst)
        for key in ('part_scores', 'part_pixel_scores'):
            if key in inst:
                inst[key] = best_of_converted(inst[key], lut, len(self.classes))


def best_of_converted(part_scores: torch.Tensor, lut: Sequence[int],
                      num_classes: int) -> torch.Tensor:
    """Part scores of another label set: each part's best score among the classes mapped to it.

    Args:
        part_scores (Tensor): (n, C - 1) scores of the classes 1 .. C - 1.
        lut (Sequence[int]): The target label of each source class
            (:func:`hp_mm.datasets.label_set_lut`; 255 or 0: no part).
        num_classes (int): C' of the target label set.

    Returns:
        Tensor: (n, C' - 1); 0 for a part that no source class maps to.
    """
    n, c = part_scores.shape
    target = torch.as_tensor(np.asarray(lut)[1:c + 1].astype(np.int64), device=part_scores.device)
    valid = (target >= 1) & (target < num_classes)
    out = part_scores.new_zeros((n, num_classes - 1))
    if valid.any():
        index = (target[valid] - 1).expand(n, -1)
        out.scatter_reduce_(1, index, part_scores[:, valid], reduce='amax', include_self=True)
    return out
