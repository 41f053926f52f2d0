"""Per-person parsing maps: painting, mean part IoU, parsing NMS (pure torch / numpy).

One home for the operations that QANet's model, its evaluator and the apis all
need (soeaver/QANet ``lib/data/evaluation/parsing_eval.py``, snapshot
``61615c4``; no code is copied from there):

- :func:`paint_persons`: persons painted into one map in ascending score order,
  each over its foreground, so the highest-scored person wins an overlap
  (``generate_parsing_result`` l.621-627 for the semantic map, l.635-668 for
  the instance-part map). :func:`person_instance_maps` turns the painting into
  CIHP's ``Human_ids`` / ``Instance_ids`` / ``Category_ids`` layout.
- :func:`mean_part_iou`: ``nanmean_c IoU_c`` over the classes present in either
  map (background included), the overlap of two persons' parsings
  (``cal_one_mean_iou``), from intersection and union counts. Three callers
  count differently: :func:`paired_parsing_miou` (a prediction against its own
  target, the IoU branch's target), :func:`pairwise_parsing_miou` (every pair of
  one image's predictions, for NMS) and the evaluator (every prediction against
  every ground-truth person, with ignored pixels).
- :func:`parsing_nms`: QANet's greedy parsing NMS on the pairwise mean part IoU
  (``parsing_nms`` l.689-727, ``PARSING.PARSING_NMS_TH = 0.6``).

Note:
    n, P: persons of an image. C: classes, background (0) included.
    H, W: image (or crop) height and width.
"""
from typing import Optional, Tuple

import numpy as np
import torch
from torch import Tensor

from .array_like import to_numpy, to_tensor

#: QANet's ``PARSING.SCORE_THRESH``: persons scored below it are not output.
QANET_SCORE_THR = 0.01


def paint_persons(parsings, order_scores, score_thr: Optional[float] = None):
    """Paint per-person label maps into one map, in ascending score order.

    Persons whose ``order_scores`` is below ``score_thr`` are left out; the
    others are painted from the lowest to the highest score, each over its
    foreground (``parsing > 0``), so where persons overlap the highest-scored
    one wins. Equal scores keep the input order (a stable sort: the later
    person wins). One vectorised pass (the winner of a pixel is the painted
    person of highest rank), on the inputs' device for tensors.

    Args:
        parsings (Tensor | ndarray): Per-person label maps, shape (n, H, W),
            integer, 0 = not this person.
        order_scores (Tensor | ndarray | Sequence[float]): Shape (n,).
        score_thr (float, optional): Persons below it are not painted. None
            paints everyone.

    Returns:
        tuple: ``owner`` (H, W) int64, the index of the person painted at each
        pixel (-1 = none), and ``label`` (H, W) int64, its label there (0 where
        no one paints). Tensors for tensor ``parsings`` (same device), else
        ndarrays.
    """
    as_numpy = not isinstance(parsings, Tensor)
    maps = to_tensor(to_numpy(parsings, 'parsings'), 'parsings') if as_numpy else parsings
    if not isinstance(order_scores, Tensor):
        order_scores = to_numpy(order_scores, 'order_scores')
    scores = torch.as_tensor(order_scores, device=maps.device).reshape(-1)
    if maps.dim() != 3 or scores.shape[0] != maps.shape[0]:
        raise ValueError(f'parsings must be (n, H, W) with n = {scores.shape[0]} scores, got '
                         f'{tuple(maps.shape)}')
    n, h, w = maps.shape
    if n == 0:
        owner = torch.full((h, w), -1, dtype=torch.long, device=maps.device)
        label = torch.zeros((h, w), dtype=torch.long, device=maps.device)
    else:
        order = torch.sort(scores, stable=True).indices
        rank = torch.empty_like(order)
        rank[order] = torch.arange(1, n + 1, device=order.device)
        if score_thr is not None:
            rank = torch.where(scores >= score_thr, rank, torch.zeros_like(rank))
        painted = (maps > 0) * rank[:, None, None].to(torch.int32)  # (n, H, W)
        best, winner = painted.max(0)
        label = maps.gather(0, winner[None]).squeeze(0).long()
        label = torch.where(best > 0, label, torch.zeros_like(label))
        owner = torch.where(best > 0, winner, torch.full_like(winner, -1))
    if as_numpy:
        return owner.numpy(), label.numpy()
    return owner, label


def person_instance_maps(parsings, scores, score_thr: Optional[float] = QANET_SCORE_THR,
                         keep=None) -> dict:
    """CIHP-style instance maps of one image's persons (QANet's instance output).

    The persons kept (``keep``, and ``score >= score_thr``) are painted with
    :func:`paint_persons`; the persons still visible get human ids 1..K by
    descending score, and every visible (person, part) region an
    instance-part id 1..R in (human id, class) order.

    Args:
        parsings (Tensor | ndarray): (n, H, W) per-person label maps.
        scores (Tensor | ndarray): (n,) person quality scores.
        score_thr (float, optional): Persons below it are left out. Defaults
            to QANet's 0.01; None keeps every score.
        keep (Tensor | ndarray, optional): (n,) bool, persons that may be
            painted (e.g. those that survived parsing NMS). None: all.

    Returns:
        dict: ``human_ids`` (H, W) int64 (0 = none), ``instance_ids`` (H, W)
        int64 (0 = none), ``category_ids`` (H, W) int64 (the painted part
        labels), ``person_human_id`` (n,) int64 (0 = not drawn), and
        ``regions``, a list of ``(instance_part_id, class_id, human_id, person
        index, area)``.
    """
    parsings = to_numpy(parsings, 'parsings')
    scores = to_numpy(scores, 'scores').astype(np.float64).reshape(-1)
    if parsings.ndim != 3 or parsings.shape[0] != scores.size:
        raise ValueError(f'parsings must be (N, H, W) with N = {scores.size} scores, '
                         f'got {parsings.shape}')
    n, h, w = parsings.shape
    drop = np.zeros(n, dtype=bool)
    if keep is not None:
        drop |= ~to_numpy(keep, 'keep').astype(bool).reshape(-1)
    if score_thr is not None:
        drop |= scores < score_thr
    if drop.any():  # a dropped person has no foreground left: it never paints
        parsings = np.where(drop[:, None, None], 0, parsings)
    owner, label = paint_persons(parsings, scores)
    visible = np.unique(owner[owner >= 0])
    visible = visible[np.argsort(-scores[visible], kind='stable')]
    person_human_id = np.zeros(n, dtype=np.int64)
    person_human_id[visible] = np.arange(1, visible.size + 1)
    # person index -> human id, with a 0 for "nobody" (owner -1) at the end
    human = np.append(person_human_id, 0)[owner]
    num_classes = int(label.max()) + 1 if label.size else 1
    key = human * num_classes + label  # (human, class) of each pixel, 0 = none
    keys, inverse, areas = np.unique(key, return_inverse=True, return_counts=True)
    region_of_key = np.zeros(keys.size, dtype=np.int64)
    regions = []
    for i, k in enumerate(keys.tolist()):
        hid, cls = divmod(k, num_classes)
        if hid == 0 or cls == 0:
            continue
        region_of_key[i] = len(regions) + 1
        regions.append((len(regions) + 1, cls, hid, int(visible[hid - 1]), int(areas[i])))
    instance = region_of_key[inverse.reshape(h, w)]
    return dict(human_ids=human, instance_ids=instance, category_ids=label,
                person_human_id=person_human_id, regions=regions)


def mean_part_iou(inter, union, empty: float = float('nan')):
    """Mean over classes of ``inter / union``, over the classes with ``union > 0``.

    ``cal_one_mean_iou``'s ``nanmean_c IoU_c``: a class absent from both maps
    (``union == 0``) is left out.

    Args:
        inter (Tensor | ndarray): Intersections, shape (..., C).
        union (Tensor | ndarray): Unions, shape (..., C), same type.
        empty (float): The result where no class is present at all.

    Returns:
        Tensor | ndarray: Shape (...), float (float32 tensors stay float32,
        ndarrays are float64).
    """
    if isinstance(inter, Tensor):
        inter, union = inter.float(), union.float()
        present = union > 0
        iou = torch.where(present, inter / union.clamp(min=1e-12), torch.zeros_like(inter))
        count = present.sum(-1)
        return torch.where(count > 0, iou.sum(-1) / count.clamp(min=1),
                           torch.full_like(iou[..., 0], empty))
    inter = np.asarray(inter, dtype=np.float64)
    union = np.asarray(union, dtype=np.float64)
    present = union > 0
    with np.errstate(divide='ignore', invalid='ignore'):
        iou = np.where(present, inter / np.where(present, union, 1.0), 0.0)
    count = present.sum(-1)
    with np.errstate(divide='ignore', invalid='ignore'):
        return np.where(count > 0, iou.sum(-1) / np.maximum(count, 1), empty)


def paired_parsing_miou(pred: Tensor, target: Tensor, num_classes: int,
                        ignore_index: Optional[int] = 255) -> Tensor:
    """Mean part IoU of each predicted label map with its own target (torch).

    For each of the n pairs a C x C confusion matrix over all pixels (QANet
    ``qanet/modeling/parsing_head/loss.py`` l.8-19, l.33-41: ``fast_hist``,
    ``cal_one_mean_iou``), then :func:`mean_part_iou`. QANet's crops have no
    ignored pixels; here target pixels equal to ``ignore_index`` or outside
    ``[0, C)`` are left out. A pair with no valid pixel gets 0 (QANet: NaN).

    Args:
        pred (Tensor): Predicted labels, shape (n, H, W), integer in [0, C).
        target (Tensor): Target labels, shape (n, H, W).
        num_classes (int): C.
        ignore_index (int | None): Target label left out.

    Returns:
        Tensor: (n,) float32 in [0, 1], no gradient.
    """
    if pred.shape != target.shape or pred.dim() != 3:
        raise ValueError(f'pred and target must both be (N, H, W), got {tuple(pred.shape)} and '
                         f'{tuple(target.shape)}')
    n = pred.shape[0]
    pred = pred.reshape(n, -1).long()
    target = target.reshape(n, -1).long()
    valid = (target >= 0) & (target < num_classes)
    if ignore_index is not None:
        valid &= target != ignore_index
    bad = valid & ((pred < 0) | (pred >= num_classes))
    if bad.any():
        raise ValueError(f'predicted labels must lie in [0, {num_classes})')
    person = torch.arange(n, device=pred.device)[:, None].expand_as(pred)
    index = (person * num_classes + target) * num_classes + pred
    hist = torch.bincount(index[valid], minlength=n * num_classes * num_classes)
    hist = hist.reshape(n, num_classes, num_classes).float()  # [pair, target, pred]
    inter = hist.diagonal(dim1=1, dim2=2)
    union = hist.sum(2) + hist.sum(1) - inter
    return mean_part_iou(inter, union, empty=0.0)


def pairwise_parsing_miou(parsings, num_classes: int) -> np.ndarray:
    """Mean part IoU (background included) of every pair of one image's parsings.

    One vectorised gather and ``bincount`` per person over its foreground
    pixels; background terms come from the totals.

    Args:
        parsings (ndarray | Tensor): Per-person label maps over the whole
            image, shape (P, H, W), integers in ``[0, C)``.
        num_classes (int): C.

    Returns:
        ndarray: (P, P) float64 symmetric matrix; the diagonal is 1.
    """
    maps = to_numpy(parsings, 'parsings')
    if maps.ndim != 3:
        raise ValueError(f'parsings must have shape (P, H, W), got {maps.shape}')
    if not np.issubdtype(maps.dtype, np.integer):
        raise TypeError(f'parsings must hold integers, got dtype {maps.dtype}')
    C = int(num_classes)
    P = maps.shape[0]
    HW = maps.shape[1] * maps.shape[2]
    flat = maps.reshape(P, HW)
    if P == 0:
        return np.zeros((0, 0))
    if flat.size and (int(flat.min()) < 0 or int(flat.max()) >= C):
        raise ValueError(f'parsings have labels outside [0, {C})')
    fg = [np.flatnonzero(row) for row in flat]
    fg_size = np.array([f.size for f in fg])
    area = np.zeros((P, C), dtype=np.int64)  # pixels of each class, background included
    for p in range(P):
        area[p] = np.bincount(flat[p, fg[p]].astype(np.int64), minlength=C)
        area[p, 0] = HW - fg[p].size
    inter = np.zeros((P, P, C), dtype=np.int64)
    for i in range(P):
        vals = flat[i, fg[i]].astype(np.int64)  # (n_i,)
        others = flat[:, fg[i]]  # (P, n_i): every person's label on i's foreground
        same = others == vals[None]
        rows = np.nonzero(same)[0]
        inter[i] = np.bincount(rows * C + np.broadcast_to(vals, same.shape)[same],
                               minlength=P * C).reshape(P, C)
        both_fg = (others > 0).sum(1)  # (P,)
        inter[i, :, 0] = HW - fg[i].size - fg_size + both_fg
    union = area[:, None, :] + area[None, :, :] - inter
    return mean_part_iou(inter, union)


def parsing_nms(miou: np.ndarray, scores, thr: float = 0.6) -> np.ndarray:
    """QANet's greedy parsing NMS on a precomputed pairwise mean part IoU matrix.

    The persons are visited in descending score; a person still kept
    suppresses every later person whose mean part IoU with it is ``>= thr``.

    Args:
        miou (ndarray): (P, P) mean part IoUs, from
            :func:`pairwise_parsing_miou`.
        scores (ndarray | Tensor): (P,) instance scores; ties are visited in
            input order.
        thr (float): Suppression threshold (QANet: 0.6).

    Returns:
        ndarray: (P,) bool, True for the persons kept.
    """
    scores = to_numpy(scores, 'scores').astype(np.float64).reshape(-1)
    miou = np.asarray(miou, dtype=np.float64)
    P = scores.size
    if miou.shape != (P, P):
        raise ValueError(f'miou has shape {miou.shape}, expected {(P, P)} for {P} scores')
    keep = np.ones(P, dtype=bool)
    order = np.argsort(-scores, kind='stable')
    for rank, i in enumerate(order):
        if keep[i]:
            later = order[rank + 1:]
            keep[later[miou[i, later] >= thr]] = False  # NaN >= thr is False
    return keep


def semantic_map(parsings, order_scores, score_thr: Optional[float] = None):
    """The image-level category map of :func:`paint_persons` (its ``label``).

    Args:
        parsings, order_scores, score_thr: As :func:`paint_persons`.

    Returns:
        Tensor | ndarray: (H, W) int64, 0 where no person paints.
    """
    return paint_persons(parsings, order_scores, score_thr)[1]


__all__: Tuple[str, ...] = ('QANET_SCORE_THR', 'paint_persons', 'person_instance_maps',
                            'mean_part_iou', 'paired_parsing_miou', 'pairwise_parsing_miou',
                            'parsing_nms', 'semantic_map')
