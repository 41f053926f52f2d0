"""Box conventions: COCO <-> pixel-centre xyxy (half-pixel shift), mask boxes, QANet's box extension."""
import numpy as np
import pytest
import torch

from hp_mm.structures import (bbox_center_xyxy_to_coco, bbox_coco_to_center_xyxy,
                              bbox_xyxy_to_center_scale, mask_to_bbox)


def test_center_scale_extension_by_hand():
    boxes = torch.tensor([[10., 20., 50., 60.],   # 40 x 40: too wide for 3:4 -> grow h
                          [0., 0., 30., 100.],    # 30 x 100: too tall -> grow w
                          [5., 5., 35., 45.]])    # 30 x 40: already 3:4
    centers, scales = bbox_xyxy_to_center_scale(boxes, aspect_ratio=0.75, padding=1.25)
    torch.testing.assert_close(centers, torch.tensor([[30., 40.], [15., 50.], [20., 25.]]))
    torch.testing.assert_close(scales, torch.tensor([[40 * 1.25, 40 / 0.75 * 1.25],
                                                     [75 * 1.25, 100 * 1.25],
                                                     [30 * 1.25, 40 * 1.25]]))
    # padding defaults to QANet's 1.25 and every region has w / h == aspect_ratio
    _, default_scales = bbox_xyxy_to_center_scale(boxes, 0.75)
    torch.testing.assert_close(default_scales, scales)
    torch.testing.assert_close(scales[:, 0] / scales[:, 1], torch.full((3, ), 0.75))
    with pytest.raises(ValueError, match=r'\(N, 4\)'):
        bbox_xyxy_to_center_scale(torch.zeros(3))


def test_box_conventions():
    xywh = np.array([[3., 4., 10., 20.]])
    xyxy = bbox_coco_to_center_xyxy(xywh)
    np.testing.assert_allclose(xyxy, [[2.5, 3.5, 12.5, 23.5]])
    np.testing.assert_allclose(bbox_center_xyxy_to_coco(xyxy), xywh)
    torch.testing.assert_close(bbox_coco_to_center_xyxy(torch.tensor(xywh)), torch.tensor(xyxy))
    mask = np.zeros((30, 20), np.uint8)
    mask[4:24, 3:13] = 7  # columns 3..12, rows 4..23: COCO [3, 4, 10, 20]
    np.testing.assert_allclose(mask_to_bbox(mask), xyxy[0])
    assert mask_to_bbox(np.zeros((3, 3))) is None
