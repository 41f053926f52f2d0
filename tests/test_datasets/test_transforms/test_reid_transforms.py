"""Re-ID transforms: label maps follow the image; Zhong et al.'s random erasing; packing."""
import math

import cv2
import numpy as np
import pytest
import torch

from hp_mm.datasets.transforms import (LoadReIDPartMask, PackReIDInputs, ReIDRandomErasing,
                                       ReIDRandomFlip, ReIDRandomPadCrop, ReIDResize)
from hp_mm.datasets.transforms.reid_transforms import IMAGENET_MEAN_BGR


def sample(h=8, w=4):
    img = np.arange(h * w * 3, dtype=np.uint8).reshape(h, w, 3)
    part = np.zeros((h, w), np.uint8)
    part[:, :w // 2] = 14  # left arm on the image's left half
    part[:, w // 2:] = 15
    pseudo = np.arange(h * w, dtype=np.uint8).reshape(h, w)
    return dict(img=img, gt_part_seg=part, gt_pseudo_seg=pseudo, img_shape=(h, w),
                seg_fields=['gt_part_seg', 'gt_pseudo_seg'], img_path='x.jpg')


def test_resize_moves_every_label_map_nearest():
    out = ReIDResize(scale=(2, 16))(sample())  # (w, h)
    assert out['img'].shape == (16, 2, 3) and out['img_shape'] == (16, 2)
    # nearest: rows repeated twice, columns 0 and 2 of the 4
    np.testing.assert_array_equal(out['gt_pseudo_seg'],
                                  np.repeat(np.arange(32).reshape(8, 4)[:, [0, 2]], 2, axis=0))
    assert set(np.unique(out['gt_part_seg'])) == {14, 15}


def test_flip_mirrors_maps_and_swaps_named_pairs():
    t = ReIDRandomFlip(prob=1.0, seg_swap_pairs=dict(gt_part_seg=((14, 15), )))
    s = sample()
    out = t(dict(s, img=s['img'].copy()))
    np.testing.assert_array_equal(out['img'], s['img'][:, ::-1])
    np.testing.assert_array_equal(out['gt_pseudo_seg'], s['gt_pseudo_seg'][:, ::-1])  # no swap
    # mirrored (15 now on the left) then swapped back: left half is 14 again
    np.testing.assert_array_equal(out['gt_part_seg'], s['gt_part_seg'])
    assert out['flip'] and out['flip_direction'] == 'horizontal'
    assert ReIDRandomFlip(prob=0.0)(sample())['flip'] is False


def test_pad_crop_shifts_content():
    t = ReIDRandomPadCrop(padding=2, pad_val=0, seg_pad_val=255)
    s = sample()
    np.random.seed(0)
    seen = set()
    for _ in range(40):
        out = t(dict(s))
        dy, dx = out['crop_offset']
        seen.add((dy, dx))
        ref = np.full((12, 8), 255, np.int64)
        ref[2:10, 2:6] = s['gt_pseudo_seg']
        np.testing.assert_array_equal(out['gt_pseudo_seg'], ref[dy:dy + 8, dx:dx + 4])
        assert out['img'].shape == (8, 4, 3)
        img = np.zeros((12, 8, 3), np.uint8)
        img[2:10, 2:6] = s['img']
        np.testing.assert_array_equal(out['img'], img[dy:dy + 8, dx:dx + 4])
    assert {d for d, _ in seen} == set(range(5))  # offsets 0..2p, both ends reached


def test_random_erasing_zhong():
    img = np.full((256, 128, 3), 7, np.uint8)
    part = np.ones((256, 128), np.uint8)
    t = ReIDRandomErasing(prob=1.0, seg_fill=0)
    np.random.seed(1)
    fill = np.round(IMAGENET_MEAN_BGR).astype(np.uint8)  # (104, 116, 124)
    for _ in range(30):
        out = t(dict(img=img, gt_part_seg=part, seg_fields=['gt_part_seg']))
        y, x, h, w = out['erased_box']
        erased = (out['img'] != 7).any(-1)
        assert erased.sum() == h * w and erased[y:y + h, x:x + w].all()
        np.testing.assert_array_equal(out['img'][y, x], fill)
        # S_e in [0.02, 0.4] of the area, r_e in [0.3, 3.33] (up to the rounding of h, w)
        assert 0.02 * 256 * 128 - (h + w) <= h * w <= 0.4 * 256 * 128 + (h + w)
        assert math.sqrt(0.3) * 0.9 <= math.sqrt(h / w) <= math.sqrt(1 / 0.3) * 1.1
        assert (out['gt_part_seg'] == 0).sum() == h * w  # seg_fill
        assert (img == 7).all()  # the input is not modified
    # p = 0.5: about half of the samples are erased
    t = ReIDRandomErasing(prob=0.5)
    hits = sum(t(dict(img=img))['erased_box'] is not None for _ in range(400))
    assert 160 < hits < 240
    assert ReIDRandomErasing(prob=0.0)(dict(img=img))['erased_box'] is None
    mean = ReIDRandomErasing(prob=1.0, fill='image_mean')(dict(img=img))
    assert set(np.unique(mean['img'])) == {7}
    rgb = ReIDRandomErasing(prob=1.0, channel_order='rgb')(dict(img=img))
    y, x, _, _ = rgb['erased_box']
    np.testing.assert_array_equal(rgb['img'][y, x], fill[::-1])
    with pytest.raises(ValueError, match='fill'):
        ReIDRandomErasing(fill='zeros')


def test_pack_and_load_part_mask(tmp_path):
    path = str(tmp_path / 'm.png')
    mask = np.array([[0, 14], [15, 19]], np.uint8)
    cv2.imwrite(path, mask)
    res = LoadReIDPartMask()(dict(part_mask_path=path, img=np.zeros((2, 2, 3), np.uint8),
                                  img_path='a.jpg', pid=3, camid=1, split='train', label=0,
                                  sample_idx=5))
    np.testing.assert_array_equal(res['gt_part_seg'], mask)
    assert res['seg_fields'] == ['gt_part_seg']
    packed = PackReIDInputs()(res)
    assert packed['inputs'].shape == (3, 2, 2) and packed['inputs'].dtype == torch.uint8
    ds = packed['data_samples']
    assert (ds.pid, ds.camid, ds.split, ds.label, ds.sample_idx) == (3, 1, 'train', 0, 5)
    assert ds.gt_part_seg.data.shape == (1, 2, 2) and ds.gt_part_seg.data.dtype == torch.int64
    assert ds.gt_part_seg.data[0, 1, 1] == 19 and 'gt_pseudo_seg' not in ds
    with pytest.raises(OSError, match='missing.png'):
        LoadReIDPartMask()(dict(part_mask_path=str(tmp_path / 'missing.png')))
    with pytest.raises(KeyError, match='part_mask_prefix'):
        LoadReIDPartMask()(dict(img_path='a.jpg'))
