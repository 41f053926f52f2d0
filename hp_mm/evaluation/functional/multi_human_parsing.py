"""Multi-person human parsing metrics: AP^p, AP^p_50, PCP_50, AP^r, AP^r_50, mIoU.

Pure numpy and torch (tensors are accepted), no registry, no mmengine. The
definitions are those of the official QANet evaluator (soeaver/QANet
``lib/data/evaluation/parsing_eval.py`` and ``semseg_eval.py``, snapshot
``61615c4``; no code is copied or imported from there). The protocol, QANet's
quirks and the options where CIHP_PGN / MHP differ are written out in
``configs/qanet/README.md`` ("Evaluation protocol").

One image is reduced to a small record (:func:`accumulate_image`) in three named
steps around one shared ground-truth index map (:func:`gt_index_map`:
``g * (C + 1) + k`` per pixel, g the gt person, k the class, C = ignored):

1. :func:`match_persons` - mean part IoU of every (kept person, gt person) pair,
   greedy matching in score order, true positives and PCP per IoU threshold;
2. :func:`region_ious` - the AP^r regions of the persons painted in ascending
   score order (:func:`hp_mm.structures.paint_persons`) and their best IoU with
   a gt part instance of their class;
3. :func:`semantic_confusion` - the C x C confusion matrix of the semantic map
   (the model's own ``pred_sem_seg`` when given, else the persons painted by
   ``semseg_score``).

:func:`summarize` ranks the records of the whole data set into the six numbers.

Note:
    C: number of classes, background (0) included.
    H, W: image height and width.
    P: number of predicted persons of an image kept by ``score_thr``.
    G: number of ground-truth persons of an image.
    R: number of predicted part regions of an image.
    T: number of IoU thresholds, 9 (``IOU_THRESHOLDS`` = 0.1, 0.2, ..., 0.9).

Record format (one small dict per image; memory independent of H and W):

- ``num_gt_persons`` (int): G, counted in AP^p / PCP recall.
- ``num_pred_persons`` (int): persons given, before ``score_thr`` (empty-image
  rule).
- ``person_scores`` (P,) float64, ``person_miou`` (P, G) float64 (NaN where
  undefined), ``person_tp`` (P, T) bool, ``person_pcp`` (P, T) float64.
- ``region_classes`` (R,) int64, ``region_scores`` (R,) float64,
  ``region_ious`` (R,) float64 (0 without a gt instance of that class).
- ``num_gt_regions`` (C - 1,) int64: gt part instances per class 1..C-1.
- ``confusion`` (C, C) int64: semantic confusion matrix, rows = gt.
"""
import warnings
from typing import Dict, Optional, Sequence, Tuple

import numpy as np

from hp_mm.structures.array_like import to_numpy
from hp_mm.structures.label_map import as_label_map
from hp_mm.structures.person_parsing import mean_part_iou, paint_persons

from .confusion import iou_from_confusion, rectangular_confusion_matrix

#: IoU thresholds of AP^p, PCP and AP^r (QANet ``Params.pariouThrs``, l.556).
IOU_THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
#: Index of 0.5 in ``IOU_THRESHOLDS``.
_T50 = 4
#: Regions per image that QANet's uint8 instance-part PNG can hold (l.664).
QANET_MAX_REGIONS = 254


def voc_ap(recall: np.ndarray, precision: np.ndarray) -> np.ndarray:
    """VOC (2010+) average precision, vectorised over leading axes.

    Area under the monotone precision envelope with sentinels ``(0, 0)`` before
    and ``(1, 0)`` after, summed where recall changes (QANet
    ``ParsingEvaluator._voc_ap``, ``use_07_metric=False``). NaN recalls (no gt)
    give NaN, as there.

    Args:
        recall (ndarray): Cumulative recall, shape (..., N).
        precision (ndarray): Cumulative precision, shape (..., N).

    Returns:
        ndarray: AP, shape (...), float64 in [0, 1] (NaN if undefined).
    """
    recall = np.asarray(recall, dtype=np.float64)
    precision = np.asarray(precision, dtype=np.float64)
    lead = recall.shape[:-1]
    zeros = np.zeros(lead + (1, ))
    mrec = np.concatenate([zeros, recall, zeros + 1.0], axis=-1)
    mpre = np.concatenate([zeros, precision, zeros], axis=-1)
    mpre = np.maximum.accumulate(mpre[..., ::-1], axis=-1)[..., ::-1]
    step = mrec[..., 1:] - mrec[..., :-1]
    changed = mrec[..., 1:] != mrec[..., :-1]  # NaN != NaN is True, as in QANet
    return np.sum(np.where(changed, step * mpre[..., 1:], 0.0), axis=-1)


def _ranked_ap(tp: np.ndarray, order: np.ndarray, npos: int) -> np.ndarray:
    """AP per threshold of (N, T) true-positive flags ranked by ``order``."""
    tp = tp[order].T.astype(np.float64)  # (T, N)
    ctp = np.cumsum(tp, axis=1)
    cfp = np.cumsum(1.0 - tp, axis=1)
    with np.errstate(divide='ignore', invalid='ignore'):
        recall = ctp / float(npos)
    precision = ctp / np.maximum(ctp + cfp, np.finfo(np.float64).eps)
    return voc_ap(recall, precision)


def gt_index_map(category_map: np.ndarray, instance_map: np.ndarray, num_classes: int,
                 skip_empty_gt_persons: bool = False) -> Tuple[np.ndarray, np.ndarray]:
    """The shared ground-truth index of every pixel and its (G + 1, C + 1) counts.

    ``index = g * (C + 1) + k``: ``g`` is the 0..G gt-person index (0 = no
    person; persons in ascending id order), ``k`` the class (``C`` for a value
    outside ``[0, C)``, i.e. ignored). Small unsigned maps (CIHP's uint8 PNGs)
    go through look-up tables.

    Args:
        category_map (ndarray): (H, W) part classes.
        instance_map (ndarray): (H, W) person ids, 0 = none.
        num_classes (int): C.
        skip_empty_gt_persons (bool): Drop gt persons without a foreground
            pixel (MHP-v2 evaluator).

    Returns:
        tuple: ``index`` (H * W,) int64 and ``counts`` (G + 1, C + 1) int64
        (pixels of each (person, class) bin).
    """
    C = num_classes
    flat_i = instance_map.ravel()
    if flat_i.dtype == np.uint64:  # bincount casts to int64 only from safe types
        flat_i = flat_i.astype(np.int64)
    flat_c = category_map.ravel()
    if flat_i.size and np.issubdtype(flat_i.dtype, np.signedinteger) and flat_i.min() < 0:
        raise ValueError('instance_map must be >= 0 (0 = no person)')
    top = int(flat_i.max()) if flat_i.size else 0
    if top <= 4 * flat_i.size + 65536:
        present = np.bincount(flat_i, minlength=top + 1) > 0
        present[0] = False
        ids = np.flatnonzero(present)
        inverse = None
    else:  # huge ids: sort once
        ids, inverse = np.unique(flat_i, return_inverse=True)
        inverse = inverse.reshape(-1).astype(np.int64)
        if ids[0] != 0:
            inverse += 1
        ids = ids[ids != 0]
        top = -1

    if flat_c.dtype in (np.uint8, np.uint16):
        lut_c = np.full(np.iinfo(flat_c.dtype).max + 1, C, dtype=np.int64)
        n = min(C, lut_c.size)
        lut_c[:n] = np.arange(n)
        k = lut_c[flat_c]
    else:
        k = flat_c.astype(np.int64)
        k[(k < 0) | (k >= C)] = C

    def build(person_ids):
        if top >= 0:
            lut_g = np.zeros(top + 1, dtype=np.int64)
            lut_g[person_ids] = np.arange(1, person_ids.size + 1) * (C + 1)
            index = lut_g[flat_i]
        else:
            remap = np.zeros(ids.size + 1, dtype=np.int64)
            keep = np.isin(ids, person_ids)
            remap[1:][keep] = np.arange(1, int(keep.sum()) + 1) * (C + 1)
            index = remap[inverse]
        index += k
        counts = np.bincount(index, minlength=(person_ids.size + 1) * (C + 1))
        return index, counts.reshape(person_ids.size + 1, C + 1)

    index, counts = build(ids)
    if skip_empty_gt_persons and ids.size:
        empty = counts[1:, 1:C].sum(1) == 0
        if empty.any():
            index, counts = build(ids[~empty])
    return index, counts


def _stable_desc(scores: np.ndarray) -> np.ndarray:
    return np.argsort(-scores, kind='stable')


def _person_parsing(person: dict, i: int, shape: Tuple[int, int], C: int) -> np.ndarray:
    parsing = as_label_map(person['parsing'], f'persons[{i}] parsing')
    if parsing.shape != shape:
        raise ValueError(f'persons[{i}] parsing has shape {parsing.shape}, gt has {shape}')
    if parsing.size and (parsing.min() < 0 or parsing.max() >= C):
        bad = parsing[(parsing < 0) | (parsing >= C)]
        raise ValueError(f'persons[{i}] parsing has labels outside [0, {C}): '
                         f'{np.unique(bad)[:10].tolist()}')
    return parsing


def _part_scores(person: dict, i: int, score: float, C: int) -> np.ndarray:
    ps = person.get('part_scores')
    if ps is None:
        return np.full(C - 1, score)
    ps = np.asarray(to_numpy(ps, f'persons[{i}] part_scores'), dtype=np.float64).reshape(-1)
    if ps.size != C - 1:
        raise ValueError(f'persons[{i}] part_scores has {ps.size} values, '
                         f'expected num_classes - 1 = {C - 1}')
    return ps


def match_persons(parsings: np.ndarray, scores: np.ndarray, index: np.ndarray,
                  counts: np.ndarray, num_classes: int) -> Dict[str, np.ndarray]:
    """AP^p / PCP step: mean part IoU of each (kept person, gt person) pair and the matching.

    The (P, G, C) intersections and unions come from ``bincount`` over the
    predicted foreground pixels only (the background class is derived from
    totals); gt pixels of an ignored class are left out of both maps. A
    prediction goes to the gt person of highest mean part IoU
    (:func:`hp_mm.structures.mean_part_iou`, background included; first on
    ties); in descending score order it is a true positive at ``t`` if that IoU
    is ``> t`` and the gt person is still free at ``t``.

    Args:
        parsings (ndarray): (P, H, W) kept persons' label maps.
        scores (ndarray): (P,) their scores.
        index (ndarray): (H * W,) :func:`gt_index_map` index.
        counts (ndarray): (G + 1, C + 1) :func:`gt_index_map` counts.
        num_classes (int): C.

    Returns:
        dict: ``person_miou`` (P, G), ``person_tp`` (P, T), ``person_pcp`` (P, T).
    """
    C = num_classes
    P = parsings.shape[0]
    G1 = counts.shape[0]
    G = G1 - 1
    T = len(IOU_THRESHOLDS)
    thrs = np.asarray(IOU_THRESHOLDS)
    out = dict(person_miou=np.zeros((P, G)), person_tp=np.zeros((P, T), dtype=bool),
               person_pcp=np.zeros((P, T)))
    if not (P and G):
        return out
    HW = index.size
    flat = parsings.reshape(P, HW)
    person_of_px, px = np.nonzero(flat)  # the predicted foreground pixels, person-major
    label = flat[person_of_px, px].astype(np.int64)
    fg_size = np.bincount(person_of_px, minlength=P)
    gt_bin = index[px]  # (g, k) bin under each predicted fg pixel
    gt_person, gt_class = np.divmod(gt_bin, C + 1)
    n_bins = G1 * (C + 1)
    # fg pixels of p on each gt (g, k) bin; pixels of p per predicted class
    on_gt = np.bincount(person_of_px * n_bins + gt_bin,
                        minlength=P * n_bins).reshape(P, G1, C + 1)[:, 1:]
    pred_class_area = np.bincount(person_of_px * C + label, minlength=P * C).reshape(P, C)
    pred_class_area[:, 0] = HW - fg_size
    pgc = (person_of_px * G1 + gt_person) * C + label
    # p says c where gt person g has class c (c >= 1); p says c on an ignored pixel of g
    correct = np.bincount(pgc[label == gt_class],
                          minlength=P * G1 * C).reshape(P, G1, C)[:, 1:].astype(np.float64)
    on_ignored = np.bincount(pgc[gt_class == C], minlength=P * G1 * C).reshape(P, G1, C)[:, 1:]

    gt_counts = counts[1:]  # (G, C + 1)
    gt_size = gt_counts.sum(1)
    inter = correct.copy()
    # class 0: p's background minus (p's background on g) plus (g's background under p's bg)
    inter[:, :, 0] = (pred_class_area[:, None, 0] - (gt_size[None] - on_gt.sum(2)) +
                      (gt_counts[None, :, 0] - on_gt[:, :, 0]))
    # gt area: person g's class c; class 0 = every valid pixel not a part of g
    gt_area = gt_counts[:, :C].astype(np.float64)
    gt_area[:, 0] = HW - gt_counts[:, 1:].sum(1)
    # predicted area over the valid pixels (person g's ignored pixels dropped)
    pred_area = (pred_class_area[:, None, :] - on_ignored).astype(np.float64)
    pred_area[:, :, 0] = pred_class_area[:, None, 0] - (gt_counts[None, :, C] - on_gt[:, :, C])
    union = gt_area[None] + pred_area - inter
    person_miou = mean_part_iou(inter, union)  # (P, G), NaN where undefined
    with np.errstate(divide='ignore', invalid='ignore'):
        class_iou = inter / union  # (P, G, C), NaN where absent from both

    overlap = np.where(np.isnan(person_miou), -np.inf, person_miou)
    best_gt = np.argmax(overlap, axis=1)
    best_overlap = overlap[np.arange(P), best_gt]
    gt_parts = (gt_counts[:, 1:C] > 0).sum(1)  # PCP denominator per gt person
    taken = np.zeros((T, G), dtype=bool)
    for p in _stable_desc(scores):
        if not best_overlap[p] > -np.inf:
            continue
        j = best_gt[p]
        hit = (best_overlap[p] > thrs) & ~taken[:, j]
        taken[:, j] |= hit
        out['person_tp'][p] = hit
        if gt_parts[j] > 0:
            parts_hit = (class_iou[p, j, 1:, None] > thrs[None]).sum(0)  # NaN > t is False
            out['person_pcp'][p] = np.where(hit, parts_hit / gt_parts[j], 0.0)
    out['person_miou'] = person_miou
    return out


def region_ious(owner: np.ndarray, label: np.ndarray, scores: np.ndarray,
                part_scores: np.ndarray, index: np.ndarray, counts: np.ndarray,
                num_classes: int, max_regions: Optional[int] = QANET_MAX_REGIONS
                ) -> Dict[str, np.ndarray]:
    """AP^r step: the part regions of the painted persons and their best gt IoU.

    A region is one (person, class) of the map painted in ascending score
    order, numbered in (ascending score rank, class) order (QANet's); only the
    first ``max_regions`` are kept. Its IoU is the best mask IoU with a gt part
    instance ``(person g, class c)`` of its class (0 if there is none).

    Args:
        owner (ndarray): (H, W) painted person index (-1 = none), from
            :func:`hp_mm.structures.paint_persons` of the kept persons.
        label (ndarray): (H, W) painted labels.
        scores (ndarray): (P,) the persons' scores (the painting order).
        part_scores (ndarray): (P, C - 1) their part scores.
        index, counts: :func:`gt_index_map`.
        num_classes (int): C.
        max_regions (int, optional): QANet's cap of 254; None keeps all.

    Returns:
        dict: ``region_classes`` (R,), ``region_scores`` (R,), ``region_ious``
        (R,), ``num_gt_regions`` (C - 1,).
    """
    C = num_classes
    P = scores.size
    G1 = counts.shape[0]
    rank = np.empty(P, dtype=np.int64)
    rank[np.argsort(scores, kind='stable')] = np.arange(P)
    painted = np.flatnonzero(owner.ravel() >= 0)
    plabel = label.ravel()[painted].astype(np.int64)
    region_of_px = rank[owner.ravel()[painted]] * C + plabel  # (rank, class) of each pixel
    gt_person, gt_class = np.divmod(index[painted], C + 1)
    region_area = np.bincount(region_of_px, minlength=P * C)
    regions = np.flatnonzero(region_area)  # ascending (rank, class): QANet's order
    if max_regions is not None:
        regions = regions[:int(max_regions)]
    region_rank, region_classes = np.divmod(regions, C)
    by_rank = np.argsort(scores, kind='stable')
    region_person = by_rank[region_rank] if regions.size else np.zeros(0, dtype=np.int64)
    region_scores = part_scores[region_person, region_classes - 1] if regions.size else \
        np.zeros(0)
    gt_region_area = counts[1:, 1:C]  # (G, C - 1)
    ious = np.zeros(regions.size)
    if regions.size and G1 > 1:
        hit = (plabel == gt_class) & (gt_person > 0)
        inter = np.bincount(region_of_px[hit] * G1 + gt_person[hit],
                            minlength=P * C * G1).reshape(P * C, G1)
        inter = inter[regions, 1:].astype(np.float64)  # (R, G)
        gt_area = gt_region_area.T[region_classes - 1].astype(np.float64)  # (R, G), same class
        union = region_area[regions, None] + gt_area - inter
        with np.errstate(divide='ignore', invalid='ignore'):
            iou = np.where(gt_area > 0, inter / union, -np.inf)
        ious = np.maximum(iou.max(1), 0.0)
    return dict(region_classes=region_classes.astype(np.int64),
                region_scores=np.asarray(region_scores, dtype=np.float64), region_ious=ious,
                num_gt_regions=(gt_region_area > 0).sum(0).astype(np.int64))


def semantic_confusion(sem_seg: np.ndarray, index: np.ndarray, counts: np.ndarray,
                       num_classes: int) -> np.ndarray:
    """mIoU step: the C x C confusion matrix (rows = gt) of a semantic map.

    Gt pixels of an ignored value are dropped. One ``bincount``
    (:func:`~.confusion.rectangular_confusion_matrix`) over the painted
    (non-zero) pixels; the unpainted ones are predicted 0.

    Args:
        sem_seg (ndarray): (H, W) predicted classes in ``[0, C)``.
        index, counts: :func:`gt_index_map`.
        num_classes (int): C.

    Returns:
        ndarray: (C, C) int64.
    """
    C = num_classes
    flat = sem_seg.ravel()
    painted = np.flatnonzero(flat)
    pred = flat[painted].astype(np.int64)
    if pred.size and (pred.min() < 0 or pred.max() >= C):
        raise ValueError(f'the semantic map has labels outside [0, {C})')
    gt_class = index[painted] % (C + 1)
    valid = gt_class < C
    gt_class, pred = gt_class[valid], pred[valid]
    confusion = rectangular_confusion_matrix(pred, gt_class, C).numpy()
    confusion[:, 0] += counts[:, :C].sum(0) - np.bincount(gt_class, minlength=C)
    return confusion.astype(np.int64)


def accumulate_image(persons: Sequence[dict],
                     gt: dict,
                     num_classes: int,
                     score_thr: float = 0.0,
                     miou_score_thr: Optional[float] = None,
                     max_regions: Optional[int] = QANET_MAX_REGIONS,
                     skip_empty_gt_persons: bool = False,
                     sem_seg=None) -> Dict[str, object]:
    """Small per-image record of the multi-person parsing metrics.

    :func:`gt_index_map`, then :func:`match_persons`, :func:`region_ious` and
    :func:`semantic_confusion` (see the module docstring for the record).
    Python loops run over persons only, never over pixels.

    Args:
        persons (Sequence[dict]): The predicted persons of the image, each
            ``dict(parsing=(H, W), score=float, part_scores=(C - 1,) or None,
            semseg_score=float (optional), kept=bool (optional))``. A person
            counts in AP^p / PCP / AP^r when ``kept`` (default True) and
            ``score >= score_thr``.
        gt (dict): ``category_map`` and ``instance_map``, each (H, W).
        num_classes (int): C, background included.
        score_thr (float): Persons with ``score < score_thr`` are dropped.
        miou_score_thr (float, optional): Without ``sem_seg``: persons with
            ``semseg_score < miou_score_thr`` are left out of the painted mIoU
            map. None uses ``score_thr``.
        max_regions (int, optional): Keep only the first regions of the
            image in QANet's order. Defaults to 254 (QANet). None keeps all.
        skip_empty_gt_persons (bool): Drop gt persons without a foreground
            pixel (MHP-v2 evaluator). Defaults to False (QANet).
        sem_seg (ndarray | Tensor, optional): (H, W) the model's semantic map
            (``pred_sem_seg``), scored for mIoU as it is; None paints it from
            ``persons`` by ``semseg_score``.

    Returns:
        dict: The record.
    """
    C = int(num_classes)
    if C < 2:
        raise ValueError(f'num_classes must be >= 2, got {C}')
    if miou_score_thr is None:
        miou_score_thr = score_thr
    cat = as_label_map(gt['category_map'], 'gt category_map')
    inst = as_label_map(gt['instance_map'], 'gt instance_map')
    if cat.shape != inst.shape:
        raise ValueError(f'category_map {cat.shape} and instance_map {inst.shape} differ')
    H, W = cat.shape
    index, counts = gt_index_map(cat, inst, C, skip_empty_gt_persons)

    maps, scores, part_scores = [], [], []  # the kept persons
    sem_maps, sem_scores = [], []  # the persons of a painted mIoU map
    same_paint = sem_seg is None  # the mIoU map is the AP^r map (same persons, same scores)
    for i, person in enumerate(persons):
        score = float(person['score'])
        keep = bool(person.get('kept', True)) and score >= score_thr
        sem_score = float(person.get('semseg_score', score))
        keep_sem = sem_seg is None and sem_score >= miou_score_thr
        same_paint &= keep == keep_sem and (not keep or sem_score == score)
        if not (keep or keep_sem):
            continue
        parsing = _person_parsing(person, i, (H, W), C)
        if keep_sem:
            sem_maps.append(parsing)
            sem_scores.append(sem_score)
        if keep:
            maps.append(parsing)
            scores.append(score)
            part_scores.append(_part_scores(person, i, score, C))
    P = len(scores)
    scores = np.asarray(scores, dtype=np.float64)
    maps = np.stack(maps) if P else np.zeros((0, H, W), dtype=np.uint8)
    part_scores = np.stack(part_scores) if P else np.zeros((0, C - 1))

    record = dict(num_gt_persons=counts.shape[0] - 1, num_pred_persons=len(persons),
                  person_scores=scores)
    record.update(match_persons(maps, scores, index, counts, C))
    owner, label = paint_persons(maps, scores)
    record.update(region_ious(owner, label, scores, part_scores, index, counts, C, max_regions))
    if sem_seg is not None:
        sem = as_label_map(sem_seg, 'sem_seg')
        if sem.shape != (H, W):
            raise ValueError(f'sem_seg has shape {sem.shape}, gt has {(H, W)}')
    elif same_paint:
        sem = label
    else:
        sem = paint_persons(np.stack(sem_maps) if sem_maps else np.zeros((0, H, W), np.uint8),
                            np.asarray(sem_scores, dtype=np.float64))[1]
    record['confusion'] = semantic_confusion(sem, index, counts, C)
    return record


def summarize(records: Sequence[dict],
              num_classes: int,
              count_empty_images: bool = False,
              class_mean: str = 'nanmean',
              details: bool = False) -> Dict[str, object]:
    """Final metrics from the per-image records of :func:`accumulate_image`.

    Args:
        records (Sequence[dict]): One record per image, in data-set order
            (the order only breaks score ties).
        num_classes (int): C, background included.
        count_empty_images (bool): Count images without any predicted person
            in AP^r and mIoU. Defaults to False (QANet).
        class_mean (str): ``'nanmean'`` (QANet) or ``'mean'`` (CIHP_PGN) over
            the per-class AP^r.
        details (bool): Also return ``AP_p_per_thr`` (T,), ``PCP_per_thr``
            (T,), ``AP_r_per_thr`` (T,), ``AP_r_per_class`` (C - 1, T) and
            ``IoU`` (C,), in percent.

    Returns:
        dict: ``AP_p``, ``AP_p50``, ``PCP50``, ``AP_r``, ``AP_r50``, ``mIoU``
        (float, percent; NaN where undefined).
    """
    C = int(num_classes)
    T = len(IOU_THRESHOLDS)
    if class_mean not in ('nanmean', 'mean'):
        raise ValueError(f"class_mean must be 'nanmean' or 'mean', got {class_mean!r}")

    def cat(key, shape, dtype):
        parts = [np.asarray(r[key]) for r in records]
        return np.concatenate(parts) if parts else np.zeros(shape, dtype=dtype)

    # AP^p and PCP
    npos = int(sum(int(r['num_gt_persons']) for r in records))
    scores = cat('person_scores', (0, ), np.float64)
    tp = cat('person_tp', (0, T), bool).reshape(-1, T)
    pcp = cat('person_pcp', (0, T), np.float64).reshape(-1, T)
    ap_p = _ranked_ap(tp, _stable_desc(scores), npos)
    with np.errstate(divide='ignore', invalid='ignore'):
        pcp_t = pcp.sum(0) / float(npos) if npos else np.full(T, np.nan)

    # AP^r
    used = [r for r in records if count_empty_images or int(r['num_pred_persons']) > 0]
    rcls = np.concatenate([np.asarray(r['region_classes']) for r in used]) if used else \
        np.zeros(0, dtype=np.int64)
    rsc = np.concatenate([np.asarray(r['region_scores']) for r in used]) if used else np.zeros(0)
    riou = np.concatenate([np.asarray(r['region_ious']) for r in used]) if used else np.zeros(0)
    ngt = np.sum([np.asarray(r['num_gt_regions']) for r in used], axis=0) if used else \
        np.zeros(C - 1, dtype=np.int64)
    thrs = np.asarray(IOU_THRESHOLDS)
    ap_r_cls = np.zeros((C - 1, T))
    for c in range(1, C):
        sel = np.flatnonzero(rcls == c)
        order = np.argsort(rsc[sel], kind='stable')[::-1]
        tp_c = riou[sel][:, None] > thrs[None]
        ap_r_cls[c - 1] = _ranked_ap(tp_c, order, int(ngt[c - 1]))
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)
        ap_r_t = np.nanmean(ap_r_cls, axis=0) if class_mean == 'nanmean' else ap_r_cls.mean(0)

    # mIoU
    conf = np.sum([np.asarray(r['confusion'], dtype=np.float64) for r in used], axis=0) if used \
        else np.zeros((C, C))
    iou = iou_from_confusion(conf, eps=1e-10)  # QANet: an absent class scores 0

    def mean_over_thr(x):
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', RuntimeWarning)
            return float(np.nanmean(x)) * 100

    res = dict(
        AP_p=mean_over_thr(ap_p),
        AP_p50=float(ap_p[_T50]) * 100,
        PCP50=float(pcp_t[_T50]) * 100,
        AP_r=mean_over_thr(ap_r_t),
        AP_r50=float(ap_r_t[_T50]) * 100,
        mIoU=float(iou.mean()) * 100)
    if details:
        res.update(
            AP_p_per_thr=ap_p * 100,
            PCP_per_thr=pcp_t * 100,
            AP_r_per_thr=ap_r_t * 100,
            AP_r_per_class=ap_r_cls * 100,
            IoU=iou * 100)
    return res


def eval_multi_human_parsing(preds: Sequence[Sequence[dict]],
                             gts: Sequence[dict],
                             num_classes: int,
                             score_thr: float = 0.0,
                             **kwargs) -> Dict[str, float]:
    """QANet's multi-person parsing metrics of a data set.

    ``accumulate_image`` over the images, then ``summarize`` (see the module
    docstring for the exact definitions, quirks and options).

    Args:
        preds (Sequence[Sequence[dict]]): Per image, the predicted persons,
            each ``dict(parsing=(H, W) int, score=float, part_scores=(C - 1,)
            float or None[, semseg_score=float])``.
        gts (Sequence[dict]): Per image, ``dict(category_map=(H, W) int,
            instance_map=(H, W) int)`` (0 = no person).
        num_classes (int): C, background included.
        score_thr (float): Persons with ``score < score_thr`` are dropped.
        **kwargs: ``miou_score_thr``, ``max_regions``,
            ``skip_empty_gt_persons`` (to :func:`accumulate_image`);
            ``count_empty_images``, ``class_mean``, ``details`` (to
            :func:`summarize`).

    Returns:
        dict: ``AP_p``, ``AP_p50``, ``PCP50``, ``AP_r``, ``AP_r50``, ``mIoU``
        in percent.
    """
    if len(preds) != len(gts):
        raise ValueError(f'{len(preds)} predictions for {len(gts)} ground truths')
    acc_keys = ('miou_score_thr', 'max_regions', 'skip_empty_gt_persons')
    sum_keys = ('count_empty_images', 'class_mean', 'details')
    unknown = set(kwargs) - set(acc_keys) - set(sum_keys)
    if unknown:
        raise TypeError(f'unexpected keyword arguments: {sorted(unknown)}')
    acc = {key: kwargs[key] for key in acc_keys if key in kwargs}
    records = [
        accumulate_image(p, g, num_classes, score_thr=score_thr, **acc)
        for p, g in zip(preds, gts)
    ]
    summary_kwargs = {key: kwargs[key] for key in sum_keys if key in kwargs}
    return summarize(records, num_classes, **summary_kwargs)
