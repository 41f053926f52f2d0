"""qanet_post_process: QAM rankings, parsing NMS, score threshold and the semantic map, by hand."""
import math

import pytest
import torch

from hp_mm.models.utils import QAM_WEIGHTS, qanet_post_process


def scene():
    """Three persons on a 2 x 6 image, C = 3: A (cols 0-2), A' (a duplicate of A), B (cols 3-5)."""
    a = torch.zeros(2, 6, dtype=torch.uint8)
    a[0, :3], a[1, :3] = 1, 2
    b = torch.zeros_like(a)
    b[0, 3:], b[1, 3:] = 1, 2
    return torch.stack([a, a.clone(), b])


def test_rankings_nms_threshold_and_semantic_map():
    parsings = scene()
    box = torch.tensor([0.9, 0.8, 0.3])
    iou = torch.tensor([0.9, 1.0, 0.5])
    pix = torch.tensor([0.5, 0.9, 0.6])
    part_pix = torch.tensor([[0.5, 0.4], [0.9, 0.8], [0.6, 0.2]])
    out = qanet_post_process(parsings, box, iou, pix, part_pix,
                             score_variants=dict(qam=QAM_WEIGHTS, box=(1, 0, 0)),
                             score_thr=0.2, parsing_nms_thr=0.6, semseg_score_thr=0.35)
    # QAM (1, .5, 3): S = (S_b * S_i^.5 * S_p^3)^(1/4.5)
    qam = [math.exp((math.log(b) + 0.5 * math.log(i) + 3 * math.log(p)) / 4.5)
           for b, i, p in zip(box.tolist(), iou.tolist(), pix.tolist())]
    torch.testing.assert_close(out['scores'], torch.tensor(qam, dtype=torch.float64))
    assert out['scores'].dtype == torch.float64
    # A and A' overlap completely (mean part IoU 1 >= .6): under QAM A' (.86) beats A (.60) and
    # suppresses it; B (.52) stays
    assert qam[1] > qam[0] > 0.2 and qam[2] > 0.2
    assert out['kept'].tolist() == [False, True, True]
    # box ranking: A (.9) suppresses A'; B (.3) is kept (.3 >= score_thr .2)
    box_rank = out['variants']['box']
    torch.testing.assert_close(box_rank['scores'], box.double())
    assert box_rank['kept'].tolist() == [True, False, True]
    assert list(out['variants']) == ['qam', 'box'] and out['variants']['box']['weights'] == (1, 0, 0)
    # part scores: QAM with the category pixel scores
    torch.testing.assert_close(
        out['part_scores'][2, 1],
        torch.tensor(math.exp((math.log(0.3) + 0.5 * math.log(0.5) + 3 * math.log(0.2)) / 4.5),
                     dtype=torch.float64))
    # the semantic map: every person with box score >= .35 (NMS does not apply), box order:
    # A' (.8) under A (.9) -> A's labels on cols 0-2; B (.3) left out
    expected = torch.tensor([[1, 1, 1, 0, 0, 0], [2, 2, 2, 0, 0, 0]])
    torch.testing.assert_close(out['sem_seg'], expected)
    # without NMS every person above the threshold is kept; a higher threshold drops B
    out = qanet_post_process(parsings, box, iou, pix, part_pix, parsing_nms_thr=None,
                             score_thr=0.55)
    assert out['kept'].tolist() == [True, True, False]


def test_none_components_and_errors():
    parsings = scene()
    box = torch.tensor([0.9, 0.8, 0.3])
    part_pix = torch.ones(3, 2)
    out = qanet_post_process(parsings, box, None, None, part_pix,
                             score_variants=dict(box=(1, 0, 0)))
    torch.testing.assert_close(out['scores'], box.double())
    with pytest.raises(ValueError, match='iou_scores is None'):
        qanet_post_process(parsings, box, None, torch.ones(3), part_pix)
    with pytest.raises(ValueError, match='3 parsings but 2 box_scores'):
        qanet_post_process(parsings, box[:2], torch.ones(3), torch.ones(3), part_pix)
    with pytest.raises(ValueError, match='semseg_order'):
        qanet_post_process(parsings, box, torch.ones(3), torch.ones(3), part_pix,
                           semseg_order='area')
    empty = qanet_post_process(parsings[:0], box[:0], box[:0], box[:0], part_pix[:0])
    assert empty['kept'].shape == (0, ) and empty['sem_seg'].shape == (2, 6)
