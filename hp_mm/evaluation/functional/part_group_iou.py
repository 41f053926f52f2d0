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

    Args:
        pred (Tensor): Learned labels (N, h, w), 0..K-1 (255 ignored).
        gt_groups (Tensor): :func:`group_map` output of the same shape.
        num_classes (int): K.
        num_groups (int): G.

    Returns:
        Tensor: (G + 2, K) int64.
    """
    if pred.shape != gt_groups.shape:
        raise ValueError(f'pred {tuple(pred.shape)} and gt {tuple(gt_groups.shape)} differ')
    pred, gt_groups = pred.long().flatten(), gt_groups.long().flatten()
    keep = (pred != 255) & (gt_groups != 255)
    idx = gt_groups[keep] * num_classes + pred[keep]
    return torch.bincount(idx, minlength=(num_groups + 2) * num_classes).view(
        num_groups + 2, num_classes)


def part_group_iou(conf: Tensor, group_names: Sequence[str]) -> Dict[str, float]:
    """Foreground and per-group IoU (%) from :func:`part_group_confusion` counts.

    Returns:
        dict: ``foreground`` and one entry per group name (IoU in %), plus
        ``assign/<k>`` = the group index (1..G) each learned part k went to.
    """
    conf = conf.double()
    G = len(group_names)
    fg_gt = conf[1:].sum(0)  # per learned class, pixels on the person
    tp = fg_gt[1:].sum()
    fp = conf[0, 1:].sum()
    fn = fg_gt[0]
    out = {'foreground': float(100 * tp / (tp + fp + fn).clamp_min(1))}
    owner = conf[1:G + 1, 1:].argmax(0) + 1  # (K-1,) group of each learned part
    for g, name in enumerate(group_names, start=1):
        sel = torch.nonzero(owner == g).flatten() + 1
        tp = conf[g, sel].sum()
        fp = conf[:, sel].sum() - tp
        fn = conf[g].sum() - tp
        out[name] = float(100 * tp / (tp + fp + fn).clamp_min(1))
    for k, g in enumerate(owner.tolist(), start=1):
        out[f'assign/{k}'] = g
    return out
