"""Top-down person crops: centre/scale -> one affine, warp and paste back.

The pure core shared by the top-down data transforms (``PersonAffine``, with
``cv2.warpAffine`` on one sample) and the top-down parser (``warp_to_crops`` /
``paste_crops`` on a batch, on the model's device). Only torch is imported;
boxes and their conventions are in :mod:`hp_mm.structures.bbox`.

Coordinates (hp_mm's convention, the same as ``cv2.warpAffine``): pixel
``(x, y)`` has its centre at the integer point ``(x, y)``, so an image of width
``W`` spans ``[-0.5, W - 0.5]``. Boxes are ``(x1, y1, x2, y2)`` float in these
coordinates; a COCO box ``[x, y, w, h]`` over pixel columns ``x .. x + w - 1``
is ``(x - 0.5, y - 0.5, x + w - 0.5, y + h - 0.5)``. A crop region of
size ``scale = (w, h)`` centred at ``c`` is mapped onto the whole crop,
``[-0.5, Wo - 0.5] x [-0.5, Ho - 0.5]``, i.e. its centre goes to
``((Wo - 1) / 2, (Ho - 1) / 2)``; ``torch.nn.functional.grid_sample`` with
``align_corners=False`` uses the same convention, which is why
:func:`warp_to_crops` equals ``cv2.warpAffine`` with the same matrix.

QANet facts (soeaver/QANet, snapshot ``61615c4``):

- Box extension: ``lib/data/structures/instance.py`` ``Instance.convert``
  (l.36-53, training) and ``lib/data/structures/instance_box.py``
  ``InstanceBox.convert`` (l.34-45, testing) take the COCO box centre, grow
  the *shorter* side until ``w / h == aspect_ratio`` where ``aspect_ratio =
  W / H`` of the input size (``qanet/datasets/transform.py`` l.19, 384 / 512 =
  0.75 for ``TRAIN.SCALES: ([384, 512],)``), then multiply both sides by a
  hard-coded **1.25** (the padding). Hence ``padding=1.25`` here.
- Affine: ``instance.py`` ``get_affine_transform`` (l.478-506) maps the centre
  to the crop centre and rotates by ``rot`` degrees with
  ``src_dir = rotate((0, -w / 2), rot)``: a positive angle turns the image
  content counter-clockwise in the crop (mmpose's ``get_warp_matrix`` is the
  same). QANet sends the centre to ``(Wo / 2, Ho / 2)`` with the COCO
  (pixel-corner) centre ``x + w / 2`` while ``cv2.warpAffine`` samples pixel
  centres; at test time it pastes back with ``grid_sample(align_corners=False)``
  and pixel centres at ``i + 0.5`` (``qanet/modeling/parsing_head/inference.py``
  l.7-31). Here one convention is used throughout (above); it equals QANet's
  paste-back exactly and differs from its training crop by less than half a
  crop pixel.

Note:
    N: number of persons (crops). B: number of images. C: channels.
    H, W: image height and width. Ho, Wo: crop height and width.
"""
import math
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


def get_affine_matrix(centers: Tensor, scales: Tensor, rotations: Optional[Tensor],
                      output_size: Sequence[int], inverse: bool = False) -> Tensor:
    """Affine matrices from image pixels to crop pixels (cv2 convention).

    The region of size ``scales[i]`` centred at ``centers[i]``, turned by
    ``rotations[i]`` degrees, fills the ``output_size`` crop:
    ``q = diag(Wo / w, Ho / h) @ R(-r) @ (p - c) + ((Wo - 1) / 2, (Ho - 1) / 2)``
    with ``R(a) = [[cos a, -sin a], [sin a, cos a]]``. A positive ``r`` turns
    the content counter-clockwise in the crop (QANet / mmpose).
    ``cv2.warpAffine(img, M[i].numpy(), output_size, flags=cv2.INTER_LINEAR)``
    gives crop ``i``.

    Args:
        centers (Tensor): Region centres ``(x, y)``, shape (N, 2).
        scales (Tensor): Region sizes ``(w, h)`` in image pixels, shape (N, 2).
        rotations (Tensor, optional): Angles in degrees, shape (N,). None
            means no rotation.
        output_size (Sequence[int]): Crop size ``(Wo, Ho)``.
        inverse (bool): Return the crop -> image matrices instead. Defaults
            to False.

    Returns:
        Tensor: Matrices of shape (N, 2, 3) mapping ``(x, y, 1)`` (image, or
        crop when ``inverse``) to pixel coordinates of the other frame, in
        the centres' floating dtype (float32 for integer input), on their
        device.
    """
    centers = torch.as_tensor(centers)
    dtype = centers.dtype if centers.is_floating_point() else torch.float32
    device = centers.device
    centers = centers.to(torch.float64)
    scales = torch.as_tensor(scales, device=device).to(torch.float64)
    if centers.dim() != 2 or centers.shape[-1] != 2 or scales.shape != centers.shape:
        raise ValueError(f'centers and scales must both have shape (N, 2), got '
                         f'{tuple(centers.shape)} and {tuple(scales.shape)}')
    if (scales <= 0).any():
        raise ValueError('scales must be > 0 (an empty box gives a zero-size crop region)')
    n = centers.shape[0]
    if rotations is None:
        rotations = torch.zeros(n, dtype=torch.float64, device=device)
    rotations = torch.as_tensor(rotations, device=device).to(torch.float64).reshape(-1)
    if rotations.numel() != n:
        raise ValueError(f'rotations must have shape ({n},), got {rotations.numel()} values')
    out_w, out_h = float(output_size[0]), float(output_size[1])
    kx = out_w / scales[:, 0]
    ky = out_h / scales[:, 1]
    rad = rotations * (math.pi / 180.0)
    cos, sin = torch.cos(rad), torch.sin(rad)
    # A = diag(kx, ky) @ R(-r),  R(-r) = [[cos, sin], [-sin, cos]]
    a = torch.stack((torch.stack((kx * cos, kx * sin), -1),
                     torch.stack((-ky * sin, ky * cos), -1)), dim=1)  # (N, 2, 2)
    dst_center = centers.new_tensor(((out_w - 1) * 0.5, (out_h - 1) * 0.5))
    if not inverse:
        t = dst_center - torch.einsum('nij,nj->ni', a, centers)
    else:
        # p = A^-1 (q - q_c) + c,  A^-1 = R(r) @ diag(1 / kx, 1 / ky)
        a = torch.stack((torch.stack((cos / kx, -sin / ky), -1),
                         torch.stack((sin / kx, cos / ky), -1)), dim=1)
        t = centers - torch.einsum('nij,j->ni', a, dst_center)
    return torch.cat((a, t[..., None]), dim=-1).to(dtype)


def _homogeneous(matrices: Tensor) -> Tensor:
    """(N, 2, 3) -> (N, 3, 3) by appending the row ``(0, 0, 1)``."""
    last = matrices.new_tensor((0.0, 0.0, 1.0)).expand(matrices.shape[0], 1, 3)
    return torch.cat((matrices, last), dim=1)


def _pixel_to_normalized(width: int, height: int, like: Tensor) -> Tensor:
    """(3, 3) matrix from pixel coords to ``grid_sample``'s (-1, 1) coords
    with ``align_corners=False``: ``u = (2 x + 1) / W - 1``."""
    return like.new_tensor(((2.0 / width, 0.0, 1.0 / width - 1.0),
                            (0.0, 2.0 / height, 1.0 / height - 1.0),
                            (0.0, 0.0, 1.0)))


def _sampling_theta(dst_to_src: Tensor, src_size: Tuple[int, int],
                    dst_size: Tuple[int, int]) -> Tensor:
    """``affine_grid`` theta (N, 2, 3) that samples ``src`` at ``dst`` pixels.

    Args:
        dst_to_src: Pixel matrices from the output frame to the sampled
            frame, shape (N, 3, 3), float64.
        src_size, dst_size: ``(W, H)`` of the sampled and of the output frame.
    """
    n_src = _pixel_to_normalized(src_size[0], src_size[1], dst_to_src)
    n_dst_inv = torch.linalg.inv(_pixel_to_normalized(dst_size[0], dst_size[1], dst_to_src))
    return (n_src @ dst_to_src @ n_dst_inv)[:, :2]


def _check_matrices(matrices: Tensor) -> None:
    if matrices.dim() != 3 or tuple(matrices.shape[1:]) != (2, 3):
        raise ValueError(f'matrices must have shape (N, 2, 3), got {tuple(matrices.shape)}')


def warp_to_crops(images: Tensor, matrices: Tensor, batch_inds: Tensor,
                  output_size: Sequence[int], mode: str = 'bilinear') -> Tensor:
    """Crop persons from a batch of images with image -> crop affines.

    Equals ``cv2.warpAffine(images[b], matrices[i], output_size, flags=...)``
    (constant zero border) within interpolation tolerance; runs with
    ``F.affine_grid`` / ``F.grid_sample`` (``align_corners=False``, zero
    padding) on the images' device.

    Args:
        images (Tensor): Images, shape (B, C, H, W). Integer images are
            converted to float32.
        matrices (Tensor): Image -> crop pixel matrices from
            :func:`get_affine_matrix`, shape (N, 2, 3).
        batch_inds (Tensor): Image index of each crop, shape (N,), long.
        output_size (Sequence[int]): Crop size ``(Wo, Ho)``.
        mode (str): ``'bilinear'`` or ``'nearest'``. Defaults to
            ``'bilinear'``.

    Returns:
        Tensor: Crops of shape (N, C, Ho, Wo), floating, on the images'
        device.
    """
    if images.dim() != 4:
        raise ValueError(f'images must have shape (B, C, H, W), got {tuple(images.shape)}')
    _check_matrices(matrices)
    batch_inds = torch.as_tensor(batch_inds, device=images.device).long().reshape(-1)
    if batch_inds.numel() != matrices.shape[0]:
        raise ValueError(f'batch_inds has {batch_inds.numel()} entries for '
                         f'{matrices.shape[0]} matrices')
    if not images.is_floating_point():
        images = images.float()
    out_w, out_h = int(output_size[0]), int(output_size[1])
    n, c = matrices.shape[0], images.shape[1]
    if n == 0:
        return images.new_zeros((0, c, out_h, out_w))
    if batch_inds.min() < 0 or batch_inds.max() >= images.shape[0]:
        raise IndexError(f'batch_inds must be in [0, {images.shape[0] - 1}], got '
                         f'[{int(batch_inds.min())}, {int(batch_inds.max())}]')
    in_h, in_w = images.shape[-2:]
    crop_to_image = torch.linalg.inv(_homogeneous(matrices.to(images.device, torch.float64)))
    theta = _sampling_theta(crop_to_image, (in_w, in_h), (out_w, out_h))
    grid = F.affine_grid(theta.to(images.dtype), [n, c, out_h, out_w], align_corners=False)
    # one grid_sample per image with its crops stacked along the height, so the image is
    # never copied once per person
    crops = images.new_empty((n, c, out_h, out_w))
    for b in torch.unique(batch_inds).tolist():
        sel = torch.nonzero(batch_inds == b).squeeze(1)
        sampled = F.grid_sample(images[b:b + 1], grid[sel].reshape(1, -1, out_w, 2), mode=mode,
                                padding_mode='zeros', align_corners=False)
        crops[sel] = sampled.view(c, sel.numel(), out_h, out_w).transpose(0, 1)
    return crops


def paste_crops(crops: Tensor, matrices: Tensor, image_size: Sequence[int],
                mode: str = 'bilinear') -> Tensor:
    """Paste crops back into image frames (the inverse warp), zeros outside.

    Image pixel ``p`` of output ``i`` samples ``crops[i]`` at ``M[i] @ p``.

    Args:
        crops (Tensor): Crops (e.g. class probabilities), shape (N, C, h, w).
            Integer crops are converted to float32.
        matrices (Tensor): Image -> crop pixel matrices of the crops (the
            ones given to :func:`warp_to_crops`), shape (N, 2, 3).
        image_size (Sequence[int]): ``(H, W)`` of the image frame.
        mode (str): ``'bilinear'`` or ``'nearest'``. Defaults to
            ``'bilinear'``.

    Returns:
        Tensor: Pasted maps of shape (N, C, H, W), floating, on the crops'
        device.
    """
    if crops.dim() != 4:
        raise ValueError(f'crops must have shape (N, C, h, w), got {tuple(crops.shape)}')
    _check_matrices(matrices)
    if matrices.shape[0] != crops.shape[0]:
        raise ValueError(f'{crops.shape[0]} crops but {matrices.shape[0]} matrices')
    if not crops.is_floating_point():
        crops = crops.float()
    img_h, img_w = int(image_size[0]), int(image_size[1])
    n, c, crop_h, crop_w = crops.shape
    if n == 0:
        return crops.new_zeros((0, c, img_h, img_w))
    image_to_crop = _homogeneous(matrices.to(crops.device, torch.float64))
    theta = _sampling_theta(image_to_crop, (crop_w, crop_h), (img_w, img_h))
    grid = F.affine_grid(theta.to(crops.dtype), [n, c, img_h, img_w], align_corners=False)
    return F.grid_sample(crops, grid, mode=mode, padding_mode='zeros', align_corners=False)
