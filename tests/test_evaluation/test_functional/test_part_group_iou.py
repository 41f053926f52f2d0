"""IoU of learned parts against ground-truth part groups (paper Table 3 style), by hand."""
import pytest
import torch

from hp_mm.evaluation.functional.part_group_iou import (LIP_PART_GROUPS, group_map,
                                                        part_group_confusion, part_group_iou)


def test_group_map_lip_ids():
    gt = torch.tensor([[0, 1, 2, 13, 5, 14, 9, 16, 18, 12, 255]])
    # 1 head, 2 upper body, 3 legs, 4 shoes, 5 other foreground (skirt), 255 kept
    assert group_map(gt).tolist() == [[0, 1, 1, 1, 2, 2, 3, 3, 4, 5, 255]]


def test_part_group_iou_by_hand():
    # one 4 x 3 map; GT groups: row 0 head, rows 1-2 upper body, row 3 shoes; column 2 background
    gt = torch.tensor([[1, 1, 0], [2, 2, 0], [2, 2, 0], [4, 4, 0]])
    # learned parts (K = 4): 1 on row 0 and one bg pixel, 2 on rows 1-2 minus one pixel,
    # 3 on row 3; pixel (2, 1) left as background
    pred = torch.tensor([[1, 1, 1], [2, 2, 0], [2, 0, 0], [3, 3, 0]])
    conf = part_group_confusion(pred[None], gt[None], num_classes=4, num_groups=4)
    assert conf.shape == (6, 4) and int(conf.sum()) == 12
    iou = part_group_iou(conf, list(LIP_PART_GROUPS))
    # foreground: person 8 px, predicted 8 px, overlap 7 -> 7 / 9
    assert iou['foreground'] == pytest.approx(100 * 7 / 9)
    # part 1 -> head: TP 2, FP 1 (the bg pixel) -> 2 / 3; part 2 -> upper: TP 3, FN 1 -> 3 / 4
    assert iou['head'] == pytest.approx(100 * 2 / 3)
    assert iou['upper_body'] == pytest.approx(75.0)
    assert iou['shoes'] == pytest.approx(100.0)  # part 3 -> shoes, exact
    assert iou['legs'] == 0.0  # no part went to legs
    assert [iou[f'assign/{k}'] for k in (1, 2, 3)] == [1, 2, 4]
    # two parts on one group are united
    pred2 = torch.tensor([[1, 1, 0], [2, 3, 0], [2, 3, 0], [0, 0, 0]])
    iou2 = part_group_iou(part_group_confusion(pred2[None], gt[None], 4, 4), list(LIP_PART_GROUPS))
    assert iou2['upper_body'] == pytest.approx(100.0) and iou2['shoes'] == 0.0
    with pytest.raises(ValueError, match='same shape'):
        part_group_confusion(pred, gt[:2], 4, 4)


def test_part_group_confusion_drops_255_on_either_side():
    gt = torch.tensor([[1, 255, 2, 0]])
    pred = torch.tensor([[1, 1, 255, 3]])
    conf = part_group_confusion(pred, gt, num_classes=4, num_groups=4)
    # only (0, 0) head -> part 1 and (0, 3) background -> part 3 are counted
    expected = torch.zeros(6, 4, dtype=torch.long)
    expected[1, 1] = 1
    expected[0, 3] = 1
    assert torch.equal(conf, expected)
    with pytest.raises(ValueError, match=r'pred has values outside \[0, 4\).*\[7\]'):
        part_group_confusion(torch.tensor([[7]]), torch.tensor([[1]]), 4, 4)
    # a group with an empty union scores 0, not NaN
    iou = part_group_iou(torch.zeros(6, 4, dtype=torch.long), list(LIP_PART_GROUPS))
    assert [iou[k] for k in ('foreground', 'head', 'legs')] == [0.0, 0.0, 0.0]
