"""Multi-person human parsing metrics: AP^p, AP^p_50, PCP_50, AP^r, AP^r_50, mIoU.

Pure numpy (torch tensors are accepted and moved to numpy), no registry, no
mmengine. The definitions are those of the official QANet evaluator (Yang et
al., "Quality-Aware Network for Human Parsing", Table 5 metrics), read from
soeaver/QANet ``lib/data/evaluation/parsing_eval.py`` (``ParsingEvaluator``,
``generate_parsing_result``) and ``lib/data/evaluation/semseg_eval.py``
(``SemSegEvaluator``); line numbers below refer to the ``61615c4`` snapshot.
No code is copied or imported from there.

Note:
    C: number of classes, background (0) included.
    H, W: image height and width.
    P: number of predicted persons of an image kept by ``score_thr``.
    G: number of ground-truth persons of an image.
    R: number of predicted part regions of an image.
    T: number of IoU thresholds, 9 (``IOU_THRESHOLDS`` = 0.1, 0.2, ..., 0.9).

Inputs (per image):

- ``gt = dict(category_map=(H, W) int, instance_map=(H, W) int)``: part class of
  every pixel (values outside ``[0, C)``, e.g. 255, are *ignored*), and person
  id of every pixel (0 = no person). The ground-truth persons are the non-zero
  ids of ``instance_map`` in ascending order; person ``g``'s parsing map is
  ``category_map * (instance_map == g)`` (QANet ``get_parsing``,
  ``lib/data/structures/parsing.py`` l.158-169); a ground-truth part instance is
  the region ``(instance_map == g) & (category_map == c)``, ``1 <= c < C`` (what
  CIHP's ``Instance_ids`` hold).
- ``persons``: list of ``dict(parsing=(H, W) int in [0, C), score=float,
  part_scores=(C - 1,) float or None, semseg_score=float (optional))``. Each
  ``parsing`` is the person's part labels over the whole image (0 outside the
  person). ``part_scores[c - 1]`` scores the region of class ``c`` (QAM's
  category quality score); None uses ``score``. ``semseg_score`` orders and
  thresholds the persons painted into the semantic map for mIoU (QANet passes
  the *detector box score* there); it defaults to ``score``.

Definitions (QANet, by default):

- **Person matching** (``computeAPp``, l.311-384): all kept predictions of the
  data set are ranked by descending ``score``. A prediction's overlap with a gt
  person is the *mean part IoU* ``nanmean_c IoU_c`` over the C classes
  *including background*, computed over the whole image between the
  prediction's parsing map and the gt person's map (``cal_one_mean_iou``,
  l.108-117): ``IoU_c = n_cc / (t_c + p_c - n_cc)``, a class absent from both
  maps is NaN and left out, gt pixels outside ``[0, C)`` are dropped. It goes to
  the gt person with the highest mean part IoU (the first one on ties); it is a
  true positive at threshold ``t`` if that IoU is ``> t`` (strict) and that gt
  person was not already taken at ``t`` by a higher-ranked prediction, else a
  false positive (a prediction in an image without gt persons is a false
  positive).
- **AP^p** at ``t``: VOC area under the monotone precision envelope
  (``_voc_ap``, l.75-106, ``use_07_metric=False``): sentinels ``(0, 0)`` and
  ``(1, 0)`` appended to ``(recall, precision)``, precision made
  non-increasing from the right, ``sum (r_{i+1} - r_i) * p_{i+1}`` where recall
  changes. ``recall = TP / #gt persons`` (all gt persons of all images),
  ``precision = TP / max(TP + FP, eps)``. ``AP_p = nanmean_t AP^p_t`` over the 9
  thresholds, ``AP_p50 = AP^p_0.5`` (``summarize``, l.511-525).
- **PCP_50** (l.353-383): for each prediction that is a true positive at
  ``t = 0.5``, ``pcp_n / pcp_d`` with ``pcp_n`` = foreground classes
  ``1..C-1`` whose IoU with the matched gt person is ``> 0.5`` and ``pcp_d`` =
  foreground classes present in that gt person (0 if ``pcp_d == 0``);
  ``PCP_50 = sum / #gt persons`` (the unmatched gt persons count 0).
- **AP^r** (``generate_parsing_result`` l.635-668 for the regions,
  ``_compute_class_apr`` l.216-309 and ``computeAPr`` l.386-413 for the AP):
  the kept persons are painted in ascending ``score`` order where their parsing
  is ``> 0`` (a higher-scored person overwrites); a region is one (person,
  class) of the painted map, scored by ``part_scores[c - 1]``. Regions are
  numbered in (ascending person score, ascending class) order and only the
  first ``max_regions`` = 254 are kept (QANet writes them to a uint8 PNG:
  region 255 and later are dropped, i.e. the parts of the *highest*-scored
  persons of an image with more than 254 regions). Per class: a region's
  overlap is its best mask IoU with the gt part instances of its class in its
  image; it is a true positive at ``t`` if that IoU is ``> t``. There is **no**
  one-to-one matching: several regions matched to one gt instance are all true
  positives (recall can exceed 1). Regions of all images are ranked by
  ``np.argsort(scores)[::-1]`` (descending; ties in reverse input order),
  ``recall = TP / #gt instances of the class``, VOC AP as above. A class with no
  gt instance and no region gets AP 0; a class with regions but no gt instance
  gets NaN (0/0 recall). ``AP^r_t = nanmean`` over the C - 1 classes,
  ``AP_r = nanmean_t``, ``AP_r50 = AP^r_0.5``.
- **mIoU** (``generate_parsing_result`` l.621-627, ``SemSegEvaluator.evaluate``
  l.65-95): the persons with ``semseg_score >= miou_score_thr`` are painted in
  ascending ``semseg_score`` order into a zero map; one C x C confusion matrix
  is summed over the images (gt pixels outside ``[0, C)`` dropped);
  ``IoU_c = n_cc / (t_c + p_c - n_cc + 1e-10)``, so a class absent from both the
  gt and the prediction of the whole set has IoU **0** (not NaN) and
  ``mIoU = mean`` over all C classes, background included.
- **Images without predictions**: QANet writes no result file for an image
  whose detector gave no box (``qanet/datasets/evaluation.py`` l.280-282), so
  such an image is skipped by AP^r (its gt instances are not counted) and by
  mIoU (``semseg_eval.py`` l.70-72); AP^p still counts its gt persons. Here an
  image whose ``persons`` list is empty (before ``score_thr``) is treated that
  way unless ``count_empty_images=True``.
- All six results are percentages (QANet's fractions times 100).

Thresholds: ``score_thr`` drops persons with ``score < score_thr`` from AP^p,
PCP and AP^r (QANet ``PARSING.SCORE_THRESH`` = 0.01, applied to the quality
score in ``ParsingEvaluator`` l.332 and ``generate_parsing_result`` l.641).
``miou_score_thr`` (default: ``score_thr``) drops persons with
``semseg_score < miou_score_thr`` from the mIoU map only (QANet
``PARSING.SEMSEG_SCORE_THRESH`` on the *box* score: 0.3 for CIHP, 0.05 for
MHP-v2, independent of ``SCORE_THRESH``). The mIoU map uses only this test:
with the defaults (no ``semseg_score``, ``miou_score_thr=None``) it is
``score >= score_thr``, so ``score_thr`` drops a person everywhere; QANet's
exact setting is ``score_thr=0.01``, ``semseg_score`` = box score,
``miou_score_thr=0.3`` (CIHP).

Where the other official scripts differ (offered as keyword options):

- ``class_mean='mean'``: CIHP_PGN ``evaluation/test_inst_part_ap.py`` l.288
  averages the per-class AP^r with ``np.mean`` (a NaN class makes it NaN);
  everything else of its AP^r equals QANet's.
- ``skip_empty_gt_persons=True``: MHP ``Evaluation/Multi-Human-Parsing/v2/
  eval_mhp.py`` ``get_gt`` l.43 drops gt persons without a foreground pixel
  (they are neither counted in ``#gt persons`` nor matchable); its AP^p/PCP are
  otherwise QANet's (one threshold per call, precision without ``eps``).
- ``max_regions=None`` removes QANet's 254-region cap.

Not offered: the VOC07 11-point AP (unused by all three); QANet's tie order of
equal scores (``np.argsort`` quicksort: not stable beyond 16 elements; here the
sorts are stable: AP^p ties in input order, AP^r ties in reverse input order,
painting ties in input order, a later person overwriting); the uint8 wrap of
QANet's person-id map beyond 255 persons; Parsing R-CNN's evaluator (the same
file as QANet's, by the same author); MHP's ``vol`` (mean over thresholds
0.1..0.9 of AP^p computed by separate calls: equals ``AP_p`` here).

Record format (one small dict per image, from :func:`accumulate_image`;
memory independent of H and W):

- ``num_gt_persons`` (int): G, counted in AP^p / PCP recall.
- ``num_pred_persons`` (int): persons given, before ``score_thr`` (empty-image
  rule).
- ``person_scores`` (P,) float64: scores of the kept persons, input order.
- ``person_miou`` (P, G) float64: mean part IoU (background included) of each
  kept person with each gt person; NaN where undefined.
- ``person_tp`` (P, T) bool: true positive at each threshold (greedy matching
  within the image in descending score order, which is the data-set order
  restricted to the image).
- ``person_pcp`` (P, T) float64: ``pcp_n / pcp_d`` of the matched gt person at
  each threshold where ``person_tp``, else 0.
- ``region_classes`` (R,) int64, ``region_scores`` (R,) float64,
  ``region_ious`` (R,) float64: class, score and best same-class gt IoU (0
  without a gt instance of that class) of each predicted region, in QANet's
  region order.
- ``num_gt_regions`` (C - 1,) int64: gt part instances per class 1..C-1.
- ``confusion`` (C, C) int64: semantic confusion matrix, rows = gt.
"""
import warnings
from typing import Dict, List, Optional, Sequence

import numpy as np

#: IoU thresholds of AP^p, PCP and AP^r (QANet ``Params.pariouThrs``, l.556).
IOU_THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
#: Index of 0.5 in ``IOU_THRESHOLDS``.
_T50 = 4
#: Regions per image that QANet's uint8 instance-part PNG can hold (l.664).
QANET_MAX_REGIONS = 254


def _to_numpy(x, name: str) -> np.ndarray:
    if hasattr(x, 'detach'):  # torch.Tensor, without importing torch
        x = x.detach().cpu().numpy()
    x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError(f'{name} must be a (H, W) map, got shape {x.shape}')
    if not np.issubdtype(x.dtype, np.integer):
        raise TypeError(f'{name} must hold integers, got dtype {x.dtype}')
    return x


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


def _gt_index_map(category_map: np.ndarray, instance_map: np.ndarray, num_classes: int,
                  skip_empty_gt_persons: bool) -> (np.ndarray, np.ndarray):
    """Flat ``g * (C + 1) + k`` of every pixel, and the (G + 1, C + 1) pixel counts.

    ``g`` is the 0..G gt-person index (0 = no person, persons in ascending id
    order), ``k`` the class, ``C`` for an ignored value. Small unsigned maps
    (CIHP's uint8 PNGs) go through lookup tables.
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
            base = lut_g[flat_i]
        else:
            remap = np.zeros(ids.size + 1, dtype=np.int64)
            keep = np.isin(ids, person_ids)
            remap[1:][keep] = np.arange(1, int(keep.sum()) + 1) * (C + 1)
            base = remap[inverse]
        base += k
        counts = np.bincount(base, minlength=(person_ids.size + 1) * (C + 1))
        return base, counts.reshape(person_ids.size + 1, C + 1)

    base, count_base = build(ids)
    if skip_empty_gt_persons and ids.size:
        empty = count_base[1:, 1:C].sum(1) == 0
        if empty.any():
            base, count_base = build(ids[~empty])
    return base, count_base


def _paint(size: int, indices: List[np.ndarray], values: List[np.ndarray], label_dtype):
    """Paint label maps in order (later ones overwrite where their label is > 0).

    Returns the flat owner (rank in ``indices``, -1 = unpainted) and label maps and the
    painted pixel indices.
    """
    owner = np.full(size, -1, dtype=np.int32)
    label = np.zeros(size, dtype=label_dtype)
    for rank, (idx, val) in enumerate(zip(indices, values)):
        owner[idx] = rank
        label[idx] = val
    return owner, label, np.flatnonzero(owner >= 0)


def _stable_desc(scores: np.ndarray) -> np.ndarray:
    return np.argsort(-scores, kind='stable')


def accumulate_image(persons: Sequence[dict],
                     gt: dict,
                     num_classes: int,
                     score_thr: float = 0.0,
                     miou_score_thr: Optional[float] = None,
                     max_regions: Optional[int] = QANET_MAX_REGIONS,
                     skip_empty_gt_persons: bool = False) -> Dict[str, object]:
    """Small per-image record of the multi-person parsing metrics.

    See the module docstring for the definitions and the record format. Work
    is a few vectorised passes over the image (a ``g * (C + 1) + k`` index map
    and its ``bincount``, the painted map) plus passes over the predicted
    foreground pixels: the (kept person x gt person x class) IoUs come from
    four ``bincount`` calls over those pixels (the background class is derived
    from totals), the region IoUs from one ``bincount`` over the painted
    pixels, and the confusion matrix from one ``bincount`` over the painted
    pixels (unpainted pixels are predicted 0). Python loops run over persons
    only, never over pixels.

    Args:
        persons (Sequence[dict]): The predicted persons of the image.
        gt (dict): ``category_map`` and ``instance_map``, each (H, W).
        num_classes (int): C, background included.
        score_thr (float): Persons with ``score < score_thr`` are dropped.
        miou_score_thr (float, optional): Persons with
            ``semseg_score < miou_score_thr`` are left out of the mIoU map.
            None uses ``score_thr``.
        max_regions (int, optional): Keep only the first regions of the
            image in QANet's order. Defaults to 254 (QANet). None keeps all.
        skip_empty_gt_persons (bool): Drop gt persons without a foreground
            pixel (MHP-v2 evaluator). Defaults to False (QANet).

    Returns:
        dict: The record.
    """
    C = int(num_classes)
    if C < 2:
        raise ValueError(f'num_classes must be >= 2, got {C}')
    T = len(IOU_THRESHOLDS)
    thrs = np.asarray(IOU_THRESHOLDS)
    if miou_score_thr is None:
        miou_score_thr = score_thr

    cat = _to_numpy(gt['category_map'], 'gt category_map')
    inst = _to_numpy(gt['instance_map'], 'gt instance_map')
    if cat.shape != inst.shape:
        raise ValueError(f'category_map {cat.shape} and instance_map {inst.shape} differ')
    H, W = cat.shape
    HW = H * W

    # ---- ground truth: g * (C + 1) + k per pixel (g: person 0..G, 0 = none; k: class, C = ignored)
    base, count_base = _gt_index_map(cat, inst, C, skip_empty_gt_persons)
    G1 = count_base.shape[0]
    B = G1 * (C + 1)
    G = G1 - 1

    # ---- predictions: foreground pixel indices and labels of the used persons
    fg_idx: List[np.ndarray] = []  # kept persons (score >= score_thr)
    fg_val: List[np.ndarray] = []
    scores, part_scores = [], []
    sem_fg: List[tuple] = []  # persons of the mIoU map (semseg_score >= miou_score_thr)
    sem_scores = []
    same_paint = True  # the mIoU map is the AP^r map (same persons, same scores)
    for i, person in enumerate(persons):
        score = float(person['score'])
        sem_score = float(person.get('semseg_score', score))
        keep, keep_sem = score >= score_thr, sem_score >= miou_score_thr
        same_paint &= keep == keep_sem and (not keep or sem_score == score)
        if not (keep or keep_sem):
            continue
        parsing = _to_numpy(person['parsing'], f'persons[{i}] parsing')
        if parsing.shape != (H, W):
            raise ValueError(f'persons[{i}] parsing has shape {parsing.shape}, gt has {(H, W)}')
        flat = parsing.ravel()
        idx = np.flatnonzero(flat)
        val = flat[idx].astype(np.int64)
        if val.size and (val.min() < 0 or val.max() >= C):
            raise ValueError(f'persons[{i}] parsing has labels outside [0, {C}): '
                             f'{np.unique(val[(val < 0) | (val >= C)])[:10].tolist()}')
        if keep_sem:
            sem_fg.append((idx, val))
            sem_scores.append(sem_score)
        if not keep:
            continue
        ps = person.get('part_scores')
        if ps is None:
            ps = np.full(C - 1, score)
        else:
            if hasattr(ps, 'detach'):
                ps = ps.detach().cpu().numpy()
            ps = np.asarray(ps, dtype=np.float64).reshape(-1)
            if ps.size != C - 1:
                raise ValueError(f'persons[{i}] part_scores has {ps.size} values, '
                                 f'expected num_classes - 1 = {C - 1}')
        fg_idx.append(idx)
        fg_val.append(val)
        scores.append(score)
        part_scores.append(ps)
    P = len(scores)
    scores = np.asarray(scores, dtype=np.float64)

    # ---- AP^p / PCP: mean part IoU of every (kept person, gt person) pair
    person_miou = np.zeros((P, G))
    person_tp = np.zeros((P, T), dtype=bool)
    person_pcp = np.zeros((P, T))
    if P and G:
        sizes = np.array([v.size for v in fg_val])
        pid = np.repeat(np.arange(P), sizes)
        vals = np.concatenate(fg_val)
        pb = base[np.concatenate(fg_idx)]  # (g, k) bin of each predicted fg pixel
        pg = pb // (C + 1)
        pk = pb - pg * (C + 1)
        # E[p, g, k]: fg pixels of p on gt (g, k)
        E = np.bincount(pid * B + pb, minlength=P * B).reshape(P, G1, C + 1)
        # S[p, c]: pixels of p labelled c (c >= 1); S[p, 0] = HW - fg size
        S = np.bincount(pid * C + vals, minlength=P * C).reshape(P, C)
        S[:, 0] = HW - sizes
        pgc = (pid * G1 + pg) * C + vals
        # D[p, g, c]: p says c where gt person g has class c (c >= 1)
        same = vals == pk
        D = np.bincount(pgc[same], minlength=P * G1 * C).reshape(P, G1, C)
        # Inv[p, g, c]: p says c (>= 1) on an ignored pixel of gt person g
        ign = pk == C
        Inv = np.bincount(pgc[ign], minlength=P * G1 * C).reshape(P, G1, C)

        cb = count_base[1:]  # (G, C + 1)
        n_g = cb.sum(1)  # pixels of gt person g
        E = E[:, 1:]
        D = D[:, 1:].astype(np.float64)
        Inv = Inv[:, 1:]
        # intersection n_cc
        inter = D.copy()
        # class 0: S0 - (pred 0 on person g) + (pred 0 on person g's background)
        inter[:, :, 0] = (S[:, None, 0] - (n_g[None] - E.sum(2)) +
                          (cb[None, :, 0] - E[:, :, 0]))
        # gt area t_c: person g's class c; class 0 = every kept pixel not a part of g
        gt_area = cb[:, :C].astype(np.float64)
        gt_area[:, 0] = HW - cb[:, 1:].sum(1)
        # predicted area p_c over the kept pixels (person g's ignored pixels dropped)
        pred_area = (S[:, None, :] - Inv).astype(np.float64)
        pred_area[:, :, 0] = S[:, None, 0] - (cb[None, :, C] - E[:, :, C])
        union = gt_area[None] + pred_area - inter
        with np.errstate(divide='ignore', invalid='ignore'):
            iou = inter / union  # (P, G, C), NaN where the class is absent from both
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', RuntimeWarning)
            person_miou = np.nanmean(iou, axis=2)

        # greedy matching within the image, descending score (data-set order restricted here)
        ov = np.where(np.isnan(person_miou), -np.inf, person_miou)
        jmax = np.argmax(ov, axis=1)
        ovmax = ov[np.arange(P), jmax]
        pcp_d = (cb[:, 1:C] > 0).sum(1)  # foreground classes of each gt person
        taken = np.zeros((T, G), dtype=bool)
        for p in _stable_desc(scores):
            if not ovmax[p] > -np.inf:
                continue
            j = jmax[p]
            hit = (ovmax[p] > thrs) & ~taken[:, j]
            taken[:, j] |= hit
            person_tp[p] = hit
            if pcp_d[j] > 0:
                pcp_n = (iou[p, j, 1:, None] > thrs[None]).sum(0)  # NaN > t is False
                person_pcp[p] = np.where(hit, pcp_n / pcp_d[j], 0.0)

    # ---- AP^r: regions of the map painted in ascending score order
    order = np.argsort(scores, kind='stable')
    label_dtype = np.int16 if C < 2**15 else np.int64
    owner, label, painted = _paint(HW, [fg_idx[p] for p in order], [fg_val[p] for p in order],
                                   label_dtype)
    plabel = label[painted].astype(np.int64)
    rid = owner[painted].astype(np.int64) * C + plabel  # (rank, class) of each painted pixel
    pg, pk = np.divmod(base[painted], C + 1)  # gt person and gt class under each painted pixel
    pred_area = np.bincount(rid, minlength=P * C)
    regions = np.flatnonzero(pred_area)  # ascending (rank, class): QANet's order
    if max_regions is not None:
        regions = regions[:int(max_regions)]
    region_rank, region_classes = np.divmod(regions, C)
    region_person = order[region_rank] if regions.size else np.zeros(0, dtype=np.int64)
    region_scores = np.array([part_scores[p][c - 1] for p, c in
                              zip(region_person.tolist(), region_classes.tolist())],
                             dtype=np.float64)
    gt_region_area = count_base[1:, 1:C]  # (G, C - 1)
    num_gt_regions = (gt_region_area > 0).sum(0).astype(np.int64)
    region_ious = np.zeros(regions.size)
    if regions.size and G:
        hit = (plabel == pk) & (pg > 0)
        inter = np.bincount(rid[hit] * G1 + pg[hit], minlength=P * C * G1).reshape(P * C, G1)
        inter = inter[regions, 1:].astype(np.float64)  # (R, G)
        ga = gt_region_area.T[region_classes - 1].astype(np.float64)  # (R, G), class-matched
        union = pred_area[regions, None] + ga - inter
        with np.errstate(divide='ignore', invalid='ignore'):
            riou = np.where(ga > 0, inter / union, -np.inf)
        region_ious = np.maximum(riou.max(1), 0.0)  # 0 when no gt instance of the class

    # ---- mIoU: semantic map painted in ascending semseg_score order
    if not same_paint:
        sem_order = np.argsort(np.asarray(sem_scores, dtype=np.float64), kind='stable')
        _, label, painted = _paint(HW, [sem_fg[p][0] for p in sem_order],
                                   [sem_fg[p][1] for p in sem_order], label_dtype)
        plabel = label[painted].astype(np.int64)
        pk = base[painted] % (C + 1)
    # unpainted pixels are predicted 0: column 0 = gt class counts - painted counts
    valid = pk < C
    pk, plabel = pk[valid], plabel[valid]
    confusion = np.bincount(pk * C + plabel, minlength=C * C).reshape(C, C)
    confusion[:, 0] += count_base[:, :C].sum(0) - np.bincount(pk, minlength=C)

    return dict(
        num_gt_persons=G,
        num_pred_persons=len(persons),
        person_scores=scores,
        person_miou=person_miou,
        person_tp=person_tp,
        person_pcp=person_pcp,
        region_classes=region_classes.astype(np.int64),
        region_scores=region_scores,
        region_ious=region_ious,
        num_gt_regions=num_gt_regions,
        confusion=confusion.astype(np.int64))


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
    inter = np.diag(conf)
    iou = inter / (conf.sum(1) + conf.sum(0) - inter + 1e-10)

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
