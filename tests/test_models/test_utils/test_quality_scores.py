"""QANet pixel score (Algorithm 1) and QAM quality score (Eq. 1), checked by hand."""
import math

import pytest
import torch

from hp_mm.models.utils.quality_scores import pixel_score, quality_score


def hand_probs():
    """N = 2, C = 4, H = 2, W = 3 probability maps (instance 1 is all zero: outside its box)."""
    probs = torch.zeros(2, 4, 2, 3, dtype=torch.float64)
    pixels = {
        (0, 0): [0.1, 0.7, 0.1, 0.1],  # max 0.7, class 1
        (0, 1): [0.2, 0.5, 0.3, 0.0],  # max 0.5, class 1
        (0, 2): [0.6, 0.2, 0.1, 0.1],  # max 0.6, class 0 (background)
        (1, 0): [0.0, 0.0, 0.0, 0.0],  # max 0.0, class 0 (outside the pasted box)
        (1, 1): [0.05, 0.05, 0.15, 0.05],  # max 0.15, class 2: the only class-2 pixel
        (1, 2): [0.1, 0.1, 0.2, 0.6],  # max 0.6, class 3
    }
    for (y, x), p in pixels.items():
        probs[0, :, y, x] = torch.tensor(p, dtype=torch.float64)
    return probs


def test_pixel_score_by_hand():
    inst, cate = pixel_score(hand_probs(), thr=0.2)
    assert inst.shape == (2, ) and cate.shape == (2, 3)
    # instance 0: maxima >= 0.2: 0.7, 0.5, 0.6 (background pixel counts too), 0.6
    #   -> (0.7 + 0.5 + 0.6 + 0.6) / 4 = 2.4 / 4 = 0.6
    # class 1: 0.7, 0.5 -> 0.6; class 2: its only pixel has 0.15 < 0.2 -> 0 / clamp(0) = 0;
    # class 3: 0.6 -> 0.6
    # instance 1: no pixel >= 0.2 -> every score 0 (counts clamped at 1e-6, no NaN)
    torch.testing.assert_close(inst, torch.tensor([0.6, 0.0], dtype=torch.float64))
    torch.testing.assert_close(cate, torch.tensor([[0.6, 0.0, 0.6], [0.0, 0.0, 0.0]],
                                                  dtype=torch.float64))


def test_pixel_score_threshold_is_inclusive():
    # thr = 0.5: the 0.5 pixel is kept (Algorithm 1 and inference.py use >=):
    #   instance (0.7 + 0.5 + 0.6 + 0.6) / 4 = 0.6 (with > it would be 1.9 / 3);
    #   class 1 (0.7 + 0.5) / 2 = 0.6
    inst, cate = pixel_score(hand_probs(), thr=0.5)
    assert inst[0].item() == pytest.approx(0.6)
    assert cate[0, 0].item() == pytest.approx(0.6)


def test_pixel_score_zero_threshold():
    # thr = 0: every pixel is high-confidence: instance 0 (0.7+0.5+0.6+0+0.15+0.6) / 6 = 0.425;
    # cate_max >= 0 holds for all 6 pixels (0 for other classes), so each class divides by 6:
    # class 1 (0.7 + 0.5) / 6 = 0.2, class 2 0.15 / 6 = 0.025, class 3 0.6 / 6 = 0.1
    inst, cate = pixel_score(hand_probs(), thr=0.0)
    torch.testing.assert_close(inst, torch.tensor([0.425, 0.0], dtype=torch.float64))
    torch.testing.assert_close(cate, torch.tensor([[0.2, 0.025, 0.1], [0.0, 0.0, 0.0]],
                                                  dtype=torch.float64))


def algorithm1_loop(probs, thr):
    """Algorithm 1 / QANet inference.py written out: a loop over the categories."""
    inst_max, inst_idx = torch.max(probs, dim=1)
    inst_hcm = inst_max >= thr
    inst_hcv = torch.sum(inst_max * inst_hcm, dim=[1, 2])
    inst_num = torch.clamp(torch.sum(inst_hcm, dim=[1, 2]).to(probs.dtype), min=1e-6)
    cate = torch.ones(probs.shape[0], probs.shape[1] - 1, dtype=probs.dtype)
    for c in range(1, probs.shape[1]):
        cate_max = inst_max * (inst_idx == c)
        cate_hcm = cate_max >= thr
        cate_hcv = torch.sum(cate_max * cate_hcm, dim=[1, 2])
        cate_num = torch.clamp(torch.sum(cate_hcm, dim=[1, 2]).to(probs.dtype), min=1e-6)
        cate[:, c - 1] = cate_hcv / cate_num
    return inst_hcv / inst_num, cate


@pytest.mark.parametrize('thr', [0.0, 0.2, 0.45])
def test_pixel_score_random_against_loop(thr):
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(5, 7, 9, 11, generator=gen, dtype=torch.float64) * 2
    probs = logits.softmax(1)
    probs[1, :, :4] = 0  # a region outside the box
    inst, cate = pixel_score(probs, thr=thr)
    ref_inst, ref_cate = algorithm1_loop(probs, thr)
    torch.testing.assert_close(inst, ref_inst)
    torch.testing.assert_close(cate, ref_cate)
    # float32 in, float32 out; half is computed in float32
    inst32, cate32 = pixel_score(probs.float(), thr=thr)
    assert inst32.dtype == torch.float32 and cate32.dtype == torch.float32
    torch.testing.assert_close(cate32, ref_cate.float(), rtol=1e-5, atol=1e-6)
    assert pixel_score(probs.half(), thr=thr)[1].dtype == torch.float32


def test_pixel_score_empty_and_errors():
    inst, cate = pixel_score(torch.zeros(0, 5, 4, 4))
    assert inst.shape == (0, ) and cate.shape == (0, 4)
    with pytest.raises(ValueError):
        pixel_score(torch.zeros(5, 4, 4))
    with pytest.raises(TypeError):
        pixel_score(torch.zeros(1, 5, 4, 4, dtype=torch.long))


def test_quality_score_by_hand():
    # (0.8^1 * 0.5^0.5 * 0.9^3) ^ (1 / 4.5)
    #   = (0.8 * 0.7071068 * 0.729) ^ 0.2222222 = 0.4123847 ^ 0.2222222
    #   = exp(-0.8857987 / 4.5) = exp(-0.1968442) = 0.8213186
    assert quality_score(0.8, 0.5, 0.9) == pytest.approx(0.8213186, abs=1e-7)
    assert isinstance(quality_score(0.8, 0.5, 0.9), float)
    # weights (1, 1, 1): geometric mean (0.8 * 0.5 * 0.9)^(1/3) = 0.36^(1/3) = 0.7113787
    assert quality_score(0.8, 0.5, 0.9, weights=(1, 1, 1)) == pytest.approx(0.7113787, abs=1e-7)
    # weights (1, 0, 0): the box score alone (0^0 = 1 leaves a zero score out)
    assert quality_score(0.8, 0.0, 0.0, weights=(1, 0, 0)) == pytest.approx(0.8)
    with pytest.raises(ValueError):
        quality_score(0.8, 0.5, 0.9, weights=(0, 0, 0))


def test_quality_score_broadcasting():
    box = torch.tensor([0.8, 0.5])
    iou = torch.tensor([0.5, 0.9])
    cate = torch.tensor([[0.9, 0.1, 1.0], [0.4, 0.0, 0.6]])
    # instance scores (N,)
    inst = quality_score(box, iou, torch.tensor([0.9, 0.7]))
    assert inst.shape == (2, )
    assert inst[0].item() == pytest.approx(0.8213186, abs=1e-6)
    # part scores (N, C - 1) as QANet builds them (stack of box^a * iou^b times cate^g)
    part = quality_score(box[:, None], iou[:, None], cate)
    assert part.shape == (2, 3)
    a, b, g = 1.0, 0.5, 3.0
    qanet = (torch.stack([box.pow(a) * iou.pow(b)] * 3, dim=1) * cate.pow(g)).pow(1 / (a + b + g))
    torch.testing.assert_close(part, qanet)
    assert part[1, 1].item() == 0.0
    # a float mixed with tensors, and dtype promotion
    mixed = quality_score(0.8, iou.double(), torch.tensor(0.9))
    assert mixed.dtype == torch.float64 and mixed.shape == (2, )
    assert mixed[0].item() == pytest.approx(math.pow(0.8 * 0.5**0.5 * 0.9**3, 1 / 4.5))
