"""QANet's post-processing of one image's parsed persons: QAM scores, parsing NMS, semantic map.

The one place that owns QANet's test-time settings (soeaver/QANet, snapshot
``61615c4``; ``qanet/core/config.py`` defaults): the QAM weights (paper Eq. 1;
``qanet/datasets/evaluation.py`` l.287-299), the score threshold
``PARSING.SCORE_THRESH`` = 0.01, the parsing NMS threshold
``PARSING.PARSING_NMS_TH`` = 0.6 and the semantic-map threshold
``PARSING.SEMSEG_SCORE_THRESH`` (0.3 for CIHP, 0.05 for MHP-v2) with its
painting order (``lib/data/evaluation/parsing_eval.py`` ``generate_parsing_result``
l.608-631). :class:`~hp_mm.models.segmentors.TopDownParser` calls it in
``predict``; the metric, ``tools/infer_multi.py`` and the visualizer read what it
returned, so what is written, drawn and scored is one prediction.

Order of operations (QANet's): the semantic map is painted from *all* persons
whose box score (``semseg_order='box'``) is ``>= semseg_score_thr``; then, per
ranking, persons are scored with ``quality_score``, suppressed by parsing NMS in
that ranking's order and dropped below ``score_thr`` (``kept``).

Rankings: ``score_variants`` is an ordered ``{name: (alpha, beta, gamma)}``; the
first one gives the model's ``scores`` / ``part_scores`` / ``kept``, the others
are extra rankings for the evaluation tables (QANet Table 1: box score only =
"QAM off" (1, 0, 0), pixel score only (0, 0, 1)).

Note:
    n: persons of the image. V: rankings. C: classes, background included.
    H, W: image height and width.
"""
from collections import OrderedDict
from typing import Dict, Mapping, Optional, Sequence, Tuple

import torch
from torch import Tensor

from hp_mm.structures.person_parsing import (QANET_SCORE_THR, pairwise_parsing_miou,
                                             paint_persons, parsing_nms)
from .quality_scores import quality_score

#: QANet's best QAM weights (paper Table 1 (h)).
QAM_WEIGHTS = (1.0, 0.5, 3.0)


def check_score_variants(variants: Mapping[str, Sequence[float]]
                         ) -> 'OrderedDict[str, Tuple[float, float, float]]':
    """Validate ``{name: (alpha, beta, gamma)}`` rankings (names without ``/``)."""
    if not isinstance(variants, Mapping) or not variants:
        raise TypeError('score_variants must be a non-empty {name: (alpha, beta, gamma)} dict, '
                        f'got {variants!r}')
    out = OrderedDict()
    for name, weights in variants.items():
        if not isinstance(name, str) or not name or '/' in name:
            raise ValueError(f'score variant names must be non-empty strings without "/", '
                             f'got {name!r}')
        weights = tuple(float(w) for w in weights)
        if len(weights) != 3 or min(weights) < 0 or not sum(weights) > 0:
            raise ValueError(f'score variant {name!r}: weights must be 3 non-negative '
                             f'numbers summing to > 0, got {weights!r}')
        out[name] = weights
    return out


def qanet_post_process(parsings: Tensor,
                       box_scores: Tensor,
                       iou_scores: Tensor,
                       pixel_scores: Tensor,
                       part_pixel_scores: Tensor,
                       score_variants: Optional[Mapping[str, Sequence[float]]] = None,
                       score_thr: float = QANET_SCORE_THR,
                       parsing_nms_thr: Optional[float] = 0.6,
                       semseg_score_thr: float = 0.3,
                       semseg_order: str = 'box') -> Dict[str, object]:
    """QAM scores, parsing NMS and the semantic map of one image's persons.

    Args:
        parsings (Tensor): (n, H, W) integer per-person label maps over the
            image, 0 = not this person.
        box_scores (Tensor): (n,) detector box scores S_b.
        iou_scores (Tensor, optional): (n,) IoU-branch scores S_i; may be
            None when no ranking weighs them.
        pixel_scores (Tensor, optional): (n,) instance pixel scores S_p;
            may be None when no ranking weighs them.
        part_pixel_scores (Tensor): (n, C - 1) category pixel scores.
        score_variants (Mapping, optional): Ordered rankings
            ``{name: (alpha, beta, gamma)}``; the first is the model's.
            Defaults to ``{'qam': QAM_WEIGHTS}``.
        score_thr (float): Persons whose score is below it are not kept.
        parsing_nms_thr (float, optional): Mean part IoU at which a
            higher-scored kept person suppresses another; None disables it.
        semseg_score_thr (float): Persons painted into the semantic map have
            a box score (or, with ``semseg_order='quality'``, a first-ranking
            score) ``>=`` it.
        semseg_order (str): ``'box'`` (QANet) or ``'quality'``.

    Returns:
        dict: ``scores`` (n,), ``part_scores`` (n, C - 1), ``kept`` (n,) bool
        of the first ranking; ``sem_seg`` (H, W) int64; ``variants``, an
        ordered ``{name: dict(scores, part_scores, kept, weights)}`` of every
        ranking (the first included). Tensors on the inputs' device; scores float64.
    """
    variants = check_score_variants(score_variants or OrderedDict(qam=QAM_WEIGHTS))
    if semseg_order not in ('box', 'quality'):
        raise ValueError(f"semseg_order must be 'box' or 'quality', got {semseg_order!r}")
    n = parsings.shape[0]
    components = dict(box_scores=box_scores, iou_scores=iou_scores, pixel_scores=pixel_scores,
                      part_pixel_scores=part_pixel_scores)
    weighed = [any(w[k] != 0 for w in variants.values()) for k in range(3)]
    for (name, value), used in zip(components.items(), weighed + [True]):
        if value is None:
            if used or name == 'box_scores':
                raise ValueError(f'{name} is None but it is needed (rankings {dict(variants)})')
            continue
        if value.shape[0] != n:
            raise ValueError(f'{n} parsings but {value.shape[0]} {name}')
    if part_pixel_scores is None or part_pixel_scores.dim() != 2:
        raise ValueError('part_pixel_scores must have shape (n, C - 1), got '
                         f'{None if part_pixel_scores is None else tuple(part_pixel_scores.shape)}')
    # scores in float64: rankings and ties do not depend on the model's precision
    ones = box_scores.new_ones(n, dtype=torch.float64)
    box, iou, pix, part_pix = (ones if v is None else v.detach().double()
                               for v in (box_scores, iou_scores, pixel_scores,
                                         part_pixel_scores))
    miou = None
    if parsing_nms_thr is not None and n > 1:
        miou = pairwise_parsing_miou(parsings, part_pixel_scores.shape[1] + 1)
    rankings = OrderedDict()
    for name, weights in variants.items():
        scores = quality_score(box, iou, pix, weights)
        part_scores = quality_score(box[:, None], iou[:, None], part_pix, weights)
        kept = scores >= score_thr
        if miou is not None:
            kept &= torch.from_numpy(parsing_nms(miou, scores, parsing_nms_thr)).to(kept.device)
        rankings[name] = dict(scores=scores, part_scores=part_scores, kept=kept, weights=weights)
    first = next(iter(rankings.values()))
    order = box if semseg_order == 'box' else first['scores']
    sem_seg = paint_persons(parsings, order, semseg_score_thr)[1]
    return dict(scores=first['scores'], part_scores=first['part_scores'], kept=first['kept'],
                sem_seg=sem_seg, variants=rankings)
