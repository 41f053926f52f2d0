"""QANet's pixel score and Quality-Aware Module (QAM) score.

Yang et al., "Quality-Aware Network for Human Parsing" (QANet), Sec. 3.2
(Algorithm 1) and Sec. 3.3 (Eq. 1). Checked against soeaver/QANet
``qanet/modeling/parsing_head/inference.py`` (``get_parsing_results``,
l.104-123 of the ``61615c4`` snapshot) and ``qanet/datasets/evaluation.py``
(l.293-300, how the scores are fused). Only torch is imported.

Note:
    N: number of person instances.
    C: number of parsing classes, background (0) included.
    H, W: height and width of the probability maps.
"""
import math
from numbers import Number
from typing import Sequence, Tuple, Union

import torch
from torch import Tensor


def pixel_score(probs: Tensor, thr: float = 0.2) -> Tuple[Tensor, Tensor]:
    """Instance and category pixel scores (QANet Algorithm 1).

    With ``m(x) = max_c probs[n, c, x]`` and ``l(x) = argmax_c probs[n, c, x]``
    (``torch.max`` over the class axis):

    - instance score ``= sum_{x: m(x) >= thr} m(x) / max(#{x: m(x) >= thr}, 1e-6)``
      over **all** pixels, background-labelled ones included (Algorithm 1:
      ``inst_hcm = inst_max >= T``; ``inference.py`` l.108-113);
    - category score of class ``c`` (1..C-1)
      ``= sum_{x: l(x) = c, m(x) >= thr} m(x) / max(#{x: ...}, 1e-6)``
      (Algorithm 1 / l.115-123: ``cate_max = inst_max * (inst_idx == c)``,
      ``cate_hcm = cate_max >= T``); the count is clamped at 1e-6 as in
      ``inference.py``, so a class with no pixel at or above ``thr`` scores
      exactly 0 (Algorithm 1 itself would divide 0 by 0).

    Verified details: the comparison is ``>=`` (the paper's text says "greater
    than" T, its Algorithm 1 and the code use ``>=``); the instance score is
    *not* restricted to foreground pixels. QANet computes it on the pasted,
    flip/scale-averaged image-size probabilities, where pixels outside the
    person's box have all-zero probabilities and so drop out for ``thr > 0``.
    For ``thr <= 0`` the code's ``cate_max >= T`` holds for every pixel (0 for
    other classes), so every pixel of the map counts in the denominator of
    every category; this is reproduced.

    Args:
        probs (Tensor): Class probabilities, shape (N, C, H, W), floating.
        thr (float): High-confidence threshold T. Defaults to 0.2 (paper,
            ``PARSING.PIXEL_SCORE_TH``).

    Returns:
        tuple[Tensor, Tensor]: ``instance_scores`` (N,) and
        ``category_scores`` (N, C - 1), on ``probs``' device, in ``probs``'
        dtype (float32 for half precision inputs).
    """
    if not isinstance(probs, Tensor):
        raise TypeError(f'probs must be a torch.Tensor, got {type(probs).__name__}')
    if probs.dim() != 4:
        raise ValueError(f'probs must have shape (N, C, H, W), got {tuple(probs.shape)}')
    if not probs.is_floating_point():
        raise TypeError(f'probs must be floating, got {probs.dtype}')
    N, C, H, W = probs.shape
    if C < 2:
        raise ValueError(f'probs must have at least 2 classes (background + parts), got {C}')
    dtype = probs.dtype if probs.dtype in (torch.float32, torch.float64) else torch.float32
    inst_max, inst_idx = torch.max(probs, dim=1)  # (N, H, W)
    inst_max = inst_max.to(dtype).reshape(N, H * W)
    inst_idx = inst_idx.reshape(N, H * W)
    hcm = inst_max >= thr  # high-confidence mask
    hcv = inst_max * hcm  # high-confidence values
    eps = 1e-6
    instance_scores = hcv.sum(1) / hcm.sum(1).to(dtype).clamp(min=eps)

    # per-class sums in one scatter over (N, HW) -> (N, C)
    cate_hcv = probs.new_zeros((N, C), dtype=dtype).scatter_add_(1, inst_idx, hcv)
    if thr > 0:
        cate_num = probs.new_zeros((N, C), dtype=dtype).scatter_add_(1, inst_idx, hcm.to(dtype))
    else:  # 0 >= thr: every pixel is in every category's mask (as in inference.py)
        cate_num = probs.new_full((N, C), float(H * W), dtype=dtype)
    category_scores = cate_hcv[:, 1:] / cate_num[:, 1:].clamp(min=eps)
    return instance_scores, category_scores


ScoreLike = Union[Tensor, float]


def quality_score(box_score: ScoreLike,
                  iou_score: ScoreLike,
                  pixel_score: ScoreLike,
                  weights: Sequence[float] = (1.0, 0.5, 3.0)) -> ScoreLike:
    """QAM quality score (QANet Eq. 1).

    ``S_q = (S_b^alpha * S_i^beta * S_p^gamma) ** (1 / (alpha + beta + gamma))``.

    The paper's default is ``alpha = beta = gamma = 1`` (a geometric mean);
    (1.0, 0.5, 3.0) is its grid-searched choice for CIHP, MHP-v2 and PASCAL
    (``cfgs/*/QANet/*.yaml`` ``QUALITY_WEIGHTS``). A weight of 0 ignores its
    score (``0 ** 0 = 1``). For part scores, QANet
    (``qanet/datasets/evaluation.py`` l.297-299) uses the person's box and IoU
    scores with each category pixel score:
    ``quality_score(box[:, None], iou[:, None], category_scores)``.

    Args:
        box_score (Tensor | float): Detector score S_b.
        iou_score (Tensor | float): Predicted IoU score S_i.
        pixel_score (Tensor | float): Pixel score S_p.
        weights (Sequence[float]): ``(alpha, beta, gamma)``, summing to > 0.

    Returns:
        Tensor | float: The broadcast quality score; a Python float if no
        input is a tensor.
    """
    if len(weights) != 3:
        raise ValueError(f'weights must be (alpha, beta, gamma), got {weights!r}')
    alpha, beta, gamma = (float(w) for w in weights)
    total = alpha + beta + gamma
    if not total > 0:
        raise ValueError(f'the weights must sum to > 0, got {weights!r}')
    scores = (box_score, iou_score, pixel_score)
    tensors = [s for s in scores if isinstance(s, Tensor)]
    if not tensors:
        for s in scores:
            if not isinstance(s, Number):
                raise TypeError(f'scores must be tensors or numbers, got {type(s).__name__}')
        dot = (float(box_score)**alpha) * (float(iou_score)**beta) * (float(pixel_score)**gamma)
        return math.pow(dot, 1.0 / total)
    ref = tensors[0]
    dtype = torch.promote_types(ref.dtype, torch.float32) if not ref.is_floating_point() \
        else ref.dtype
    for t in tensors[1:]:
        dtype = torch.promote_types(dtype, t.dtype)
    b, i, p = (torch.as_tensor(s, dtype=dtype, device=ref.device) for s in scores)
    dot = torch.pow(b, alpha) * torch.pow(i, beta) * torch.pow(p, gamma)
    return torch.pow(dot, 1.0 / total)
