"""Top-down warp core: cv2-equivalent warps, paste-back."""
import math

import cv2
import numpy as np
import pytest
import torch

from hp_mm.structures import (bbox_xyxy_to_center_scale, get_affine_matrix, paste_crops,
                              warp_to_crops)


def apply(m, pts):
    """Apply (2, 3) matrices to points (K, 2)."""
    pts = torch.as_tensor(pts, dtype=torch.float64)
    return pts @ m[:, :2].T.double() + m[:, 2].double()


def smooth_image(h, w, c=3, seed=0):
    """A smooth float image (gradients of a few grey levels per pixel), (H, W, C)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    chans = []
    for _ in range(c):
        fx, fy, px, py = rng.uniform(0.02, 0.06, 2).tolist() + rng.uniform(0, 6, 2).tolist()
        chans.append(127 + 60 * np.sin(fx * xx + px) + 60 * np.cos(fy * yy + py))
    return np.stack(chans, -1).astype(np.float32)


@pytest.mark.parametrize('rot', [0.0, 25.0, -60.0])
def test_affine_round_trip_and_region(rot):
    out_w, out_h = 384, 512
    boxes = torch.tensor([[40.3, 17.8, 140.9, 260.2], [3., 4., 203., 54.]])
    c, s = bbox_xyxy_to_center_scale(boxes, out_w / out_h)
    r = torch.full((2, ), rot)
    m = get_affine_matrix(c, s, r, (out_w, out_h))
    minv = get_affine_matrix(c, s, r, (out_w, out_h), inverse=True)
    assert m.shape == minv.shape == (2, 2, 3) and m.dtype == torch.float32
    pts = torch.tensor([[0., 0.], [55.5, 123.25], [300., -20.]])
    for i in range(2):
        back = apply(minv[i], apply(m[i], pts))
        assert (back - pts.double()).abs().max() < 0.5 * 1e-2  # far below half a pixel
        # centre -> crop centre
        torch.testing.assert_close(apply(m[i], c[i:i + 1]),
                                   torch.tensor([[(out_w - 1) / 2, (out_h - 1) / 2]],
                                                dtype=torch.float64), atol=1e-3, rtol=0)
        # the image point w/2 "up" after turning by rot maps straight up to the crop's top edge
        a = math.radians(rot)
        up = c[i].double() + s[i, 1].double() / 2 * torch.tensor([math.sin(a), -math.cos(a)],
                                                                  dtype=torch.float64)
        torch.testing.assert_close(apply(m[i], up[None]),
                                   torch.tensor([[(out_w - 1) / 2, -0.5]], dtype=torch.float64),
                                   atol=1e-3, rtol=0)


def test_affine_corners_and_qanet_construction():
    """Unrotated: the region's corners go to the crop's corners; rotated: same matrix as
    QANet's three-point construction (centre, centre + rotated up-vector, perpendicular)."""
    out_w, out_h = 96, 128
    c, s = torch.tensor([[50., 60.]]), torch.tensor([[30., 40.]])
    m = get_affine_matrix(c, s, None, (out_w, out_h))[0]
    corners = torch.tensor([[35., 40.], [65., 80.]])
    torch.testing.assert_close(apply(m, corners),
                               torch.tensor([[-0.5, -0.5], [out_w - 0.5, out_h - 0.5]],
                                            dtype=torch.float64), atol=1e-4, rtol=0)
    rot = 30.0
    a = math.radians(rot)
    src_dir = np.array([s[0, 0] / 2 * math.sin(a), -s[0, 0] / 2 * math.cos(a)])
    src0 = c[0].numpy().astype(np.float64)
    dst0 = np.array([(out_w - 1) / 2, (out_h - 1) / 2])
    dst_dir = np.array([0, -out_w / 2])

    def third(p, q):
        d = p - q
        return q + np.array([-d[1], d[0]])

    src = np.float32([src0, src0 + src_dir, third(src0, src0 + src_dir)])
    dst = np.float32([dst0, dst0 + dst_dir, third(dst0, dst0 + dst_dir)])
    ref = cv2.getAffineTransform(src, dst)
    ours = get_affine_matrix(c, s, torch.tensor([rot]), (out_w, out_h))[0].numpy()
    np.testing.assert_allclose(ours, ref, atol=1e-3)


def interior_mask(minv, out_w, out_h, img_w, img_h, margin=2):
    """Crop pixels whose source point lies at least ``margin`` px inside the image."""
    yy, xx = np.mgrid[0:out_h, 0:out_w]
    pts = np.stack([xx.ravel(), yy.ravel()], 1).astype(np.float64)
    src = apply(minv, pts).numpy()
    ok = ((src[:, 0] >= margin) & (src[:, 0] <= img_w - 1 - margin) & (src[:, 1] >= margin)
          & (src[:, 1] <= img_h - 1 - margin))
    return ok.reshape(out_h, out_w)


def test_warp_to_crops_matches_cv2():
    imgs = [smooth_image(90, 120, seed=0), smooth_image(90, 120, seed=1)]
    images = torch.from_numpy(np.stack(imgs)).permute(0, 3, 1, 2)
    boxes = torch.tensor([[10., 5., 60., 85.], [70., 20., 110., 50.], [-20., 30., 40., 120.]])
    rots = torch.tensor([0., 35., -20.])
    inds = torch.tensor([0, 1, 0])
    out_w, out_h = 48, 64
    c, s = bbox_xyxy_to_center_scale(boxes, out_w / out_h)
    m = get_affine_matrix(c, s, rots, (out_w, out_h))
    minv = get_affine_matrix(c, s, rots, (out_w, out_h), inverse=True)
    crops = warp_to_crops(images, m, inds, (out_w, out_h))
    assert crops.shape == (3, 3, out_h, out_w) and crops.dtype == torch.float32
    for i in range(3):
        ref = cv2.warpAffine(imgs[int(inds[i])], m[i].numpy(), (out_w, out_h),
                             flags=cv2.INTER_LINEAR)
        ours = crops[i].permute(1, 2, 0).numpy()
        ok = interior_mask(minv[i], out_w, out_h, 120, 90)
        assert ok.sum() > 100
        diff = np.abs(ours - ref)[ok]
        assert diff.max() < 0.05 and diff.mean() < 0.01
    # far outside the image: zeros, as cv2's constant border
    assert crops[2, :, :, 0].abs().max() == 0
    # nearest for label maps agrees with cv2.INTER_NEAREST almost everywhere
    label = np.random.default_rng(0).integers(0, 20, (90, 120)).astype(np.uint8)
    label = cv2.resize(label[::6, ::6], (120, 90), interpolation=cv2.INTER_NEAREST)
    lab_crops = warp_to_crops(torch.from_numpy(label)[None, None], m[:1], torch.zeros(1),
                              (out_w, out_h), mode='nearest')
    assert lab_crops.dtype == torch.float32
    ref = cv2.warpAffine(label, m[0].numpy(), (out_w, out_h), flags=cv2.INTER_NEAREST)
    assert (lab_crops[0, 0].round().to(torch.uint8).numpy() == ref).mean() > 0.97


def test_paste_crops_inverts_warp_inside_box():
    img = smooth_image(80, 100, c=2, seed=3)
    image = torch.from_numpy(img).permute(2, 0, 1)[None]
    boxes = torch.tensor([[20., 10., 60., 70.], [50., 30., 95., 60.]])
    rots = torch.tensor([0., 30.])
    out_w, out_h = 96, 128  # finer than the image: paste-back loses little
    c, s = bbox_xyxy_to_center_scale(boxes, out_w / out_h, padding=1.25)
    m = get_affine_matrix(c, s, rots, (out_w, out_h))
    crops = warp_to_crops(image, m, torch.zeros(2, dtype=torch.long), (out_w, out_h))
    pasted = paste_crops(crops, m, (80, 100))
    assert pasted.shape == (2, 2, 80, 100)
    for i in range(2):
        x1, y1, x2, y2 = boxes[i].round().int().tolist()
        inside = (pasted[i, :, y1:y2 + 1, x1:x2 + 1] - image[0, :, y1:y2 + 1, x1:x2 + 1]).abs()
        assert inside.max() < 1.5 and inside.mean() < 0.3
    # zeros outside the (unrotated) crop region of box 0
    region_x2 = float(c[0, 0] + s[0, 0] / 2)
    assert pasted[0, :, :, int(math.ceil(region_x2)) + 1:].abs().max() == 0
    # channels map to channels; empty input gives empty output
    assert paste_crops(crops[:0], m[:0], (80, 100)).shape == (0, 2, 80, 100)
    assert warp_to_crops(image, m[:0], torch.zeros(0), (out_w, out_h)).shape == (0, 2, out_h,
                                                                                  out_w)


def test_errors():
    m = torch.zeros(2, 3, 3)
    with pytest.raises(ValueError, match=r'\(N, 2, 3\)'):
        warp_to_crops(torch.zeros(1, 1, 4, 4), m, torch.zeros(2), (4, 4))
    with pytest.raises(ValueError, match='batch_inds'):
        warp_to_crops(torch.zeros(1, 1, 4, 4), torch.zeros(2, 2, 3), torch.zeros(3), (4, 4))
    with pytest.raises(ValueError, match='scales must be > 0'):
        get_affine_matrix(torch.zeros(1, 2), torch.zeros(1, 2), None, (4, 4))
