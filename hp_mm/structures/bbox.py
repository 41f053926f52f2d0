"""Box conventions of hp_mm (pure torch / numpy).

Coordinates (hp_mm's convention, the same as ``cv2.warpAffine``): pixel
``(x, y)`` has its centre at the integer point ``(x, y)``, so an image of width
``W`` spans ``[-0.5, W - 0.5]``. Boxes are ``(x1, y1, x2, y2)`` float in these
*pixel-centre* coordinates. A COCO / mmdet box ``[x, y, w, h]`` has its pixel
corners at integers: it covers pixel columns ``x .. x + w - 1``, i.e.
``(x - 0.5, y - 0.5, x + w - 0.5, y + h - 0.5)`` here. The two conversions
below therefore shift by half a pixel, which is what their names say
(``coco`` <-> ``center_xyxy``); mmpose's ``bbox_xywh2xyxy`` does not shift.

The centre / scale of a top-down crop (QANet, see :mod:`hp_mm.structures.warp`)
is :func:`bbox_xyxy_to_center_scale`.
"""
from typing import Tuple

import numpy as np
import torch
from torch import Tensor

from .array_like import to_numpy


def bbox_coco_to_center_xyxy(bboxes):
    """COCO / mmdet ``[x, y, w, h]`` (pixel corners at integers) to hp_mm boxes.

    ``(x1, y1, x2, y2) = (x - 0.5, y - 0.5, x + w - 0.5, y + h - 0.5)``: the
    same region in the pixel-centre convention of this module.

    Args:
        bboxes (Tensor | np.ndarray): Boxes of shape (..., 4).

    Returns:
        Tensor | np.ndarray: Boxes of shape (..., 4), same type, floating.
    """
    b = _as_float(bboxes)
    x1, y1 = b[..., 0] - 0.5, b[..., 1] - 0.5
    return _stack(bboxes, (x1, y1, x1 + b[..., 2], y1 + b[..., 3]))


def bbox_center_xyxy_to_coco(bboxes):
    """hp_mm boxes to COCO / mmdet ``[x, y, w, h]``; inverse of :func:`bbox_coco_to_center_xyxy`.

    Args:
        bboxes (Tensor | np.ndarray): Boxes ``(x1, y1, x2, y2)``, shape (..., 4).

    Returns:
        Tensor | np.ndarray: Boxes of shape (..., 4), same type, floating.
    """
    b = _as_float(bboxes)
    return _stack(bboxes, (b[..., 0] + 0.5, b[..., 1] + 0.5, b[..., 2] - b[..., 0],
                           b[..., 3] - b[..., 1]))


def mask_to_bbox(mask):
    """Tight box of a mask's non-zero pixels, ``(x1, y1, x2, y2)`` float32.

    Pixel columns ``a .. b`` give ``x1 = a - 0.5``, ``x2 = b + 0.5`` (the
    pixels' outer edges in the pixel-centre convention).

    Args:
        mask (Tensor | np.ndarray): Mask of shape (H, W); non-zero = inside.

    Returns:
        np.ndarray | None: Box of shape (4,) float32, or None for an empty mask.
    """
    m = to_numpy(mask, 'mask')
    cols = np.flatnonzero(m.any(0))
    if cols.size == 0:
        return None
    rows = np.flatnonzero(m.any(1))
    return np.array([cols[0] - 0.5, rows[0] - 0.5, cols[-1] + 0.5, rows[-1] + 0.5], np.float32)


def _as_float(x):
    if isinstance(x, Tensor):
        return x if x.is_floating_point() else x.float()
    x = np.asarray(x)
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float32)


def _stack(like, cols):
    if isinstance(like, Tensor):
        return torch.stack(cols, dim=-1)
    return np.stack(cols, axis=-1)


def bbox_xyxy_to_center_scale(bboxes: Tensor, aspect_ratio: float = 0.75,
                              padding: float = 1.25) -> Tuple[Tensor, Tensor]:
    """Box centres and crop-region sizes extended to ``aspect_ratio`` (QANet).

    ``w, h = x2 - x1, y2 - y1``; if ``w > aspect_ratio * h`` then
    ``h = w / aspect_ratio`` else ``w = h * aspect_ratio``; then both are
    multiplied by ``padding`` (QANet ``Instance.convert``: 1.25).

    Args:
        bboxes (Tensor): Boxes ``(x1, y1, x2, y2)``, shape (N, 4).
        aspect_ratio (float): Width / height of the crop, e.g. ``384 / 512``.
            Defaults to 0.75.
        padding (float): Factor applied to both sides after the extension.
            Defaults to 1.25 (QANet's value).

    Returns:
        tuple[Tensor, Tensor]: ``centers`` (N, 2) as ``(x, y)`` and ``scales``
        (N, 2) as ``(w, h)`` with ``w / h == aspect_ratio``, floating, on the
        boxes' device.
    """
    if not isinstance(bboxes, Tensor):
        bboxes = torch.as_tensor(bboxes)
    if bboxes.dim() != 2 or bboxes.shape[-1] != 4:
        raise ValueError(f'bboxes must have shape (N, 4), got {tuple(bboxes.shape)}')
    if aspect_ratio <= 0 or padding <= 0:
        raise ValueError(f'aspect_ratio and padding must be > 0, got {aspect_ratio}, {padding}')
    if not bboxes.is_floating_point():
        bboxes = bboxes.float()
    x1, y1, x2, y2 = bboxes.unbind(-1)
    centers = torch.stack(((x1 + x2) * 0.5, (y1 + y2) * 0.5), dim=-1)
    w = (x2 - x1).clamp(min=0)
    h = (y2 - y1).clamp(min=0)
    wider = w > aspect_ratio * h
    h = torch.where(wider, w / aspect_ratio, h)
    w = torch.where(wider, w, h * aspect_ratio)
    scales = torch.stack((w, h), dim=-1) * padding
    return centers, scales
