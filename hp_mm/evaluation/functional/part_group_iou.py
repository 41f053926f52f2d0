"""IoU of ISP's learned parts against ground-truth part groups (paper Table 3).

ISP's parts are anonymous (numbered top to bottom); the paper scores them against
a LIP parser's output merged into Foreground / Head / Legs / Shoes (its footnote 4:
head = hat, hair, sunglasses, face; legs = left/right leg, socks, pants; shoes =
left/right shoe). Here an Upper-body group is added (upper-clothes, dress, coat,
jumpsuits, scarf, gloves, arms); skirts count for the foreground only.

Matching: the official ``engine/miou.py`` hard-codes which part index is which group
for K = 6 / 7 only (and reports the mean of the group's and the background's IoU).
Here each learned part 1..K-1 goes to the group (head, upper body, legs, shoes) that
holds most of its pixels over the whole evaluated set (a many-to-one majority
mapping that works for every K); a group's predicted mask is the union of its parts,
and the IoU is the group's own ``TP / (TP + FP + FN)``. Foreground is ``label > 0``
on both sides. Pure torch.

Note:
    N: maps; h, w: map size; K: learned classes (background included); G: groups.
"""
from typing import Dict, Sequence, Tuple

import torch
from torch import Tensor

from .confusion import iou_from_confusion, merge_confusion_columns, rectangular_confusion_matrix

#: LIP class ids of each ground-truth group (LIP: 0 background, 1 hat, 2 hair, 3 glove,
#: 4 sunglasses, 5 upper-clothes, 6 dress, 7 coat, 8 socks, 9 pants, 10 jumpsuits,
#: 11 scarf, 12 skirt, 13 face, 14/15 left/right arm, 16/17 leg, 18/19 shoe)
LIP_PART_GROUPS: Dict[str, Tuple[int, ...]] = {
    'head': (1, 2, 4, 13),
    'upper_body': (3, 5, 6, 7, 10, 11, 14, 15),
    'legs': (8, 9, 16, 17),
    'shoes': (18, 19),
}


def group_map(gt: Tensor, groups: Dict[str, Sequence[int]] = LIP_PART_GROUPS,
              num_gt_classes: int = 256) -> Tensor:
    """Ground-truth class map -> group map: 0 background, 1..G the groups (in ``groups``
    order), G + 1 other foreground; ``255`` stays 255 (ignored)."""
    lut = torch.full((num_gt_classes, ), len(groups) + 1, dtype=torch.long)
    lut[0] = 0
    for g, ids in enumerate(groups.values(), start=1):
        lut[list(ids)] = g
    lut[255] = 255
    return lut.to(gt.device)[gt.long()]


def part_group_confusion(pred: Tensor, gt_groups: Tensor, num_classes: int,
                         num_groups: int) -> Tensor:
    """Counts ``conf[g, k]`` of pixels of group g (0 bg, 1..G groups, G+1 other) labelled k.

    :func:`~.confusion.rectangular_confusion_matrix` over the pixels where neither
    map is 255.

    Args:
        pred (Tensor): Learned labels (N, h, w), 0..K-1 (255 ignored).
        gt_groups (Tensor): :func:`group_map` output of the same shape.
        num_classes (int): K.
        num_groups (int): G.

    Returns:
        Tensor: (G + 2, K) int64, on ``pred``'s device.
    """
    if pred.shape != gt_groups.shape:
        raise ValueError(f'pred and gt must have the same shape, got pred {tuple(pred.shape)} '
                         f'and gt {tuple(gt_groups.shape)}')
    counted = (pred != 255) & (gt_groups.to(pred.device) != 255)
    return rectangular_confusion_matrix(pred, gt_groups, num_groups + 2, num_classes,
                                        counted=counted)


def part_group_iou(conf: Tensor, group_names: Sequence[str]) -> Dict[str, float]:
    """Foreground and per-group IoU (%) from :func:`part_group_confusion` counts.

    Each learned part goes to the group holding most of its pixels; the part
    columns are summed per group (:func:`~.confusion.merge_confusion_columns`)
    and the group IoU is read from that matrix (:func:`~.confusion.iou_from_confusion`);
    the foreground IoU likewise from the 2 x 2 matrix background / person. A
    group with an empty union scores 0.

    Args:
        conf (Tensor): (G + 2, K) counts.
        group_names (Sequence[str]): The G group names, in row order 1..G.

    Returns:
        dict: ``foreground`` and one entry per group name (IoU in %), plus
        ``assign/<k>`` = the group index (1..G) each learned part k went to.
    """
    conf = conf.double()
    G = len(group_names)
    owner = conf[1:G + 1, 1:].argmax(0) + 1  # (K-1,) group of each learned part
    by_group = merge_confusion_columns(conf, torch.cat([owner.new_zeros(1), owner]), G + 2)
    # background / person on both axes: (2, 2)
    is_person = (torch.arange(G + 2, device=conf.device) > 0).long()
    fg_bg = merge_confusion_columns(merge_confusion_columns(by_group, is_person, 2).T,
                                    is_person, 2).T
    out = {'foreground': float(100 * iou_from_confusion(fg_bg)[1].nan_to_num(0.0))}
    iou = iou_from_confusion(by_group).nan_to_num(0.0)
    for g, name in enumerate(group_names, start=1):
        out[name] = float(100 * iou[g])
    for k, g in enumerate(owner.tolist(), start=1):
        out[f'assign/{k}'] = g
    return out
