"""Re-ID training transforms and packing.

The usual re-ID pipeline (Luo et al. "Bag of Tricks", ISP) is: resize to 256 x 128
(H x W), random horizontal flip, pad 10 px + random crop back to 256 x 128, random
erasing (Zhong et al., p = 0.5), normalise (the model's data preprocessor)::

    train_pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='ReIDResize', scale=(128, 256)),          # (w, h), mmcv's order
        dict(type='ReIDRandomFlip', prob=0.5),
        dict(type='ReIDRandomPadCrop', padding=10),
        dict(type='ReIDRandomErasing', prob=0.5),
        dict(type='PackReIDInputs'),
    ]

What the stack lacks and is written here:

- mmcv's ``Resize`` and ``RandomFlip`` move only ``gt_seg_map``; :class:`ReIDResize`
  and :class:`ReIDRandomFlip` (subclasses) also move every key in ``seg_fields``
  (ISP's ``gt_pseudo_seg``, MiniHumans' ``gt_part_seg``), nearest-neighbour.
- mmcv's ``Pad`` pads to a size at the bottom-right only; mmseg's ``RandomCrop`` has no
  padding: :class:`ReIDRandomPadCrop` is torchvision's ``Pad(p)`` + ``RandomCrop``.
- mmdet's ``RandomErasing`` erases ``n_patches`` patches of a fixed ``ratio`` of the
  side lengths with a grey value, without a probability: not Zhong et al.'s.
  :class:`ReIDRandomErasing` is (one rectangle with probability p, area 2-40 %,
  aspect 0.3-3.33, mean fill).
"""
import math
from typing import Dict, Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmcv.transforms import RandomFlip as MMCVRandomFlip
from mmcv.transforms import Resize as MMCVResize
from mmcv.transforms.utils import cache_randomness
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from hp_mm.registry import TRANSFORMS

#: ImageNet mean in BGR order (mmcv loads images as BGR), 0-255.
IMAGENET_MEAN_BGR = (103.53, 116.28, 123.675)


def _seg_keys(results: dict) -> list:
    """The label-map keys to move with the image: ``seg_fields`` plus ``gt_seg_map``."""
    keys = list(results.get('seg_fields', []))
    if 'gt_seg_map' in results and 'gt_seg_map' not in keys:
        keys.append('gt_seg_map')
    return [k for k in keys if results.get(k) is not None]


@TRANSFORMS.register_module()
class LoadReIDPartMask(BaseTransform):
    """Load a part mask (e.g. MiniHumans' ground-truth LIP parts) as a label map.

    Required Keys: ``part_mask_path`` (set by the re-ID datasets with
    ``part_mask_prefix``).
    Added Keys: ``gt_part_seg`` (H, W) uint8; ``'gt_part_seg'`` appended to
    ``seg_fields``.
    """

    def transform(self, results: dict) -> dict:
        path = results.get('part_mask_path')
        if path is None:
            raise KeyError(f'{type(self).__name__}: sample {results.get("img_path")} has no '
                           '`part_mask_path`; give the dataset `part_mask_prefix`')
        try:
            mask = mmcv.imread(path, flag='unchanged', backend='cv2')
        except Exception as e:  # noqa: BLE001  (re-raised with the file name)
            raise OSError(f'{type(self).__name__}: cannot read part mask {path!r}: {e}') from e
        if mask is None:
            raise OSError(f'{type(self).__name__}: cannot read part mask {path!r}')
        if mask.ndim != 2:
            raise ValueError(f'{type(self).__name__}: part mask {path!r} has shape '
                             f'{mask.shape}, expected a single-channel label map')
        results['gt_part_seg'] = mask
        fields = results.setdefault('seg_fields', [])
        if 'gt_part_seg' not in fields:
            fields.append('gt_part_seg')
        return results


@TRANSFORMS.register_module()
class ReIDResize(MMCVResize):
    """mmcv ``Resize`` (default ``keep_ratio=False``) that also resizes every label map
    in ``seg_fields``, nearest-neighbour.

    Required Keys: ``img``, the ``seg_fields`` keys. Modified Keys: ``img``,
    ``img_shape``, the ``seg_fields`` keys. Added Keys: ``scale``, ``scale_factor``,
    ``keep_ratio``.

    Args:
        scale (tuple[int, int]): Output size ``(w, h)`` (mmcv's order): ``(128, 256)``
            for the usual 256 x 128 re-ID input.
        **kwargs: Other mmcv ``Resize`` arguments.
    """

    def __init__(self, scale: Tuple[int, int] = (128, 256), keep_ratio: bool = False,
                 **kwargs) -> None:
        super().__init__(scale=scale, keep_ratio=keep_ratio, **kwargs)

    def _resize_seg(self, results: dict) -> None:
        for key in _seg_keys(results):
            if self.keep_ratio:
                seg = mmcv.imrescale(results[key], results['scale'], interpolation='nearest',
                                     backend=self.backend)
            else:
                seg = mmcv.imresize(results[key], results['scale'], interpolation='nearest',
                                    backend=self.backend)
            results[key] = seg


@TRANSFORMS.register_module()
class ReIDRandomFlip(MMCVRandomFlip):
    """mmcv ``RandomFlip`` that also flips every label map in ``seg_fields``.

    Required Keys: ``img``, the ``seg_fields`` keys. Modified Keys: ``img``, the
    ``seg_fields`` keys. Added Keys: ``flip``, ``flip_direction``.

    Args:
        prob (float): Flip probability.
        seg_swap_pairs (dict, optional): Per label-map key, the (left, right) label pairs
            that a horizontal flip swaps, e.g. ``dict(gt_part_seg=((14, 15), (16, 17),
            (18, 19)))`` for LIP parts. Maps not named are only mirrored (ISP's
            pseudo-labels).
        **kwargs: Other mmcv ``RandomFlip`` arguments (``direction``).
    """

    def __init__(self, prob: float = 0.5,
                 seg_swap_pairs: Optional[Dict[str, Sequence[Tuple[int, int]]]] = None,
                 **kwargs) -> None:
        super().__init__(prob=prob, **kwargs)
        self.seg_swap_pairs = {k: [tuple(p) for p in v] for k, v in (seg_swap_pairs or {}).items()}

    def _flip(self, results: dict) -> None:
        keys = [k for k in _seg_keys(results) if k != 'gt_seg_map']
        direction = results['flip_direction']
        maps = {k: results.pop(k) for k in keys}
        super()._flip(results)  # image, boxes, keypoints, gt_seg_map (swap_seg_labels)
        for key, seg in maps.items():
            seg = mmcv.imflip(seg, direction=direction)
            pairs = self.seg_swap_pairs.get(key)
            if pairs and direction == 'horizontal':
                lut = np.arange(max(256, int(seg.max()) + 1), dtype=seg.dtype)
                for a, b in pairs:
                    lut[a], lut[b] = b, a
                seg = lut[seg]
            results[key] = np.ascontiguousarray(seg)


@TRANSFORMS.register_module()
class ReIDRandomPadCrop(BaseTransform):
    """Pad every side by ``padding`` pixels, then crop a random window of the original
    size (torchvision ``Pad(padding)`` + ``RandomCrop(size)``, as re-ID trainers do).

    Required Keys: ``img``, the ``seg_fields`` keys. Modified Keys: ``img``, the
    ``seg_fields`` keys. Added Keys: ``crop_offset`` ``(dy, dx)`` in the padded image
    (``padding, padding`` = no shift).

    Args:
        padding (int): Pixels added on each side.
        pad_val (float | tuple): Image padding value (torchvision: 0, black).
        seg_pad_val (int): Label-map padding value (255: mmseg's ignore index).
    """

    def __init__(self, padding: int = 10, pad_val: Union[float, Sequence[float]] = 0,
                 seg_pad_val: int = 255) -> None:
        if padding < 0:
            raise ValueError(f'ReIDRandomPadCrop: padding must be >= 0, got {padding}')
        self.padding = int(padding)
        self.pad_val = pad_val
        self.seg_pad_val = seg_pad_val

    @cache_randomness
    def _offset(self) -> Tuple[int, int]:
        return (int(np.random.randint(0, 2 * self.padding + 1)),
                int(np.random.randint(0, 2 * self.padding + 1)))

    def _pad_crop(self, arr: np.ndarray, dy: int, dx: int, value) -> np.ndarray:
        p = self.padding
        h, w = arr.shape[:2]
        padded = mmcv.impad(arr, padding=(p, p, p, p), pad_val=value)
        return np.ascontiguousarray(padded[dy:dy + h, dx:dx + w])

    def transform(self, results: dict) -> dict:
        dy, dx = self._offset()
        results['img'] = self._pad_crop(results['img'], dy, dx, self.pad_val)
        for key in _seg_keys(results):
            results[key] = self._pad_crop(results[key], dy, dx, self.seg_pad_val)
        results['crop_offset'] = (dy, dx)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(padding={self.padding}, pad_val={self.pad_val}, '
                f'seg_pad_val={self.seg_pad_val})')


@TRANSFORMS.register_module()
class ReIDRandomErasing(BaseTransform):
    """Random erasing of Zhong et al. (AAAI 2020, ``Random Erasing Data Augmentation``,
    Alg. 1), as re-ID trainers use it.

    With probability ``prob``: up to ``max_attempts`` times draw an area
    ``S_e ~ U(area_range) * H * W`` and an aspect ratio ``r_e ~ U(aspect_range)``,
    ``h = round(sqrt(S_e * r_e))``, ``w = round(sqrt(S_e / r_e))``; the first rectangle
    with ``h < H`` and ``w < W`` is placed uniformly (top-left ``y ~ U{0..H-h}``,
    ``x ~ U{0..W-w}``) and filled.

    Unlike the reference code (which erases the normalised tensor with the numbers of the
    mean, i.e. about mean + 0.45 std), the fill is applied on the 0-255 image before the
    data preprocessor: ``fill='imagenet'`` writes the ImageNet mean, which normalises to
    0. ``fill='image_mean'`` writes the image's own channel means (ISP's training code).

    Required Keys: ``img``, the ``seg_fields`` keys (only with ``seg_fill``).
    Modified Keys: ``img`` (and the ``seg_fields`` keys with ``seg_fill``).
    Added Keys: ``erased_box`` ``(y, x, h, w)`` or None.

    Args:
        prob (float): Erasing probability (0.5).
        area_range (tuple[float, float]): Erased area as a fraction of the image
            (0.02, 0.4).
        aspect_range (tuple[float, float]): Aspect ratio h / w (0.3, 1 / 0.3).
        fill (str | float | tuple): ``'imagenet'`` (the ImageNet mean in the image's
            channel order), ``'image_mean'`` or explicit value(s).
        channel_order (str): ``'bgr'`` (mmcv's default loading) or ``'rgb'``; orders the
            ImageNet mean.
        seg_fill (int, optional): Value written into the label maps under the rectangle
            (ISP: 0, background); None leaves them untouched.
        max_attempts (int): Draws before giving up (100).
    """

    def __init__(self, prob: float = 0.5, area_range: Tuple[float, float] = (0.02, 0.4),
                 aspect_range: Tuple[float, float] = (0.3, 1 / 0.3),
                 fill: Union[str, float, Sequence[float]] = 'imagenet',
                 channel_order: str = 'bgr', seg_fill: Optional[int] = None,
                 max_attempts: int = 100) -> None:
        if not 0 <= prob <= 1:
            raise ValueError(f'ReIDRandomErasing: prob must be in [0, 1], got {prob}')
        if not 0 < area_range[0] <= area_range[1] <= 1:
            raise ValueError(f'ReIDRandomErasing: bad area_range {area_range}')
        if not 0 < aspect_range[0] <= aspect_range[1]:
            raise ValueError(f'ReIDRandomErasing: bad aspect_range {aspect_range}')
        if channel_order not in ('bgr', 'rgb'):
            raise ValueError(f"ReIDRandomErasing: channel_order must be 'bgr' or 'rgb', "
                             f'got {channel_order!r}')
        if isinstance(fill, str) and fill not in ('imagenet', 'image_mean'):
            raise ValueError(f"ReIDRandomErasing: fill must be 'imagenet', 'image_mean' or "
                             f'numbers, got {fill!r}')
        self.prob = prob
        self.area_range = tuple(area_range)
        self.aspect_range = tuple(aspect_range)
        self.fill = fill
        self.channel_order = channel_order
        self.seg_fill = seg_fill
        self.max_attempts = max_attempts

    @cache_randomness
    def _box(self, h: int, w: int) -> Optional[Tuple[int, int, int, int]]:
        if np.random.uniform(0, 1) >= self.prob:
            return None
        for _ in range(self.max_attempts):
            target = np.random.uniform(*self.area_range) * h * w
            aspect = np.random.uniform(*self.aspect_range)
            eh = int(round(math.sqrt(target * aspect)))
            ew = int(round(math.sqrt(target / aspect)))
            if ew < w and eh < h:
                y = int(np.random.randint(0, h - eh + 1))
                x = int(np.random.randint(0, w - ew + 1))
                return y, x, eh, ew
        return None

    def _fill_value(self, img: np.ndarray) -> np.ndarray:
        if isinstance(self.fill, str):
            if self.fill == 'image_mean':
                value = img.reshape(-1, img.shape[-1] if img.ndim == 3 else 1).mean(0)
            else:
                value = np.array(IMAGENET_MEAN_BGR if self.channel_order == 'bgr'
                                 else IMAGENET_MEAN_BGR[::-1])
                if img.ndim == 2 or img.shape[-1] == 1:
                    value = value.mean(keepdims=True)
        else:
            value = np.asarray(self.fill, np.float64).reshape(-1)
        if np.issubdtype(img.dtype, np.integer):
            info = np.iinfo(img.dtype)
            value = np.clip(np.round(value), info.min, info.max)
        return value.astype(img.dtype)

    def transform(self, results: dict) -> dict:
        img = results['img']
        box = self._box(img.shape[0], img.shape[1])
        results['erased_box'] = box
        if box is None:
            return results
        y, x, eh, ew = box
        img = img.copy()
        value = self._fill_value(img)
        if img.ndim == 3:
            img[y:y + eh, x:x + ew] = value.reshape(1, 1, -1)
        else:
            img[y:y + eh, x:x + ew] = value[0]
        results['img'] = img
        if self.seg_fill is not None:
            for key in _seg_keys(results):
                seg = results[key].copy()
                seg[y:y + eh, x:x + ew] = self.seg_fill
                results[key] = seg
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(prob={self.prob}, area_range={self.area_range}, '
                f'aspect_range={self.aspect_range}, fill={self.fill!r}, '
                f'seg_fill={self.seg_fill})')


@TRANSFORMS.register_module()
class PackReIDInputs(BaseTransform):
    """Pack a re-ID sample for the model.

    Required Keys: ``img`` (H, W, 3) or (H, W) uint8; the ``meta_keys`` present.
    Optional: the ``seg_keys`` present (label maps (H, W)).

    Added Keys: ``inputs`` (3, H, W) uint8 tensor (channel order as loaded); and
    ``data_samples``, a ``SegDataSample`` with metainfo = the ``meta_keys`` present and,
    for each ``seg_keys`` entry present, a ``PixelData`` field of the same name with
    ``data`` (1, H, W) int64.

    Args:
        meta_keys (tuple[str]): Keys copied to the metainfo.
        seg_keys (tuple[str]): Label maps packed as ``PixelData``.
    """

    def __init__(self, meta_keys: Sequence[str] = (
            'img_path', 'pid', 'camid', 'split', 'label', 'sample_idx', 'ori_shape',
            'img_shape', 'flip', 'flip_direction'),
            seg_keys: Sequence[str] = ('gt_pseudo_seg', 'gt_part_seg')) -> None:
        self.meta_keys = tuple(meta_keys)
        self.seg_keys = tuple(seg_keys)

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.ndim == 2:
            img = img[..., None]
        inputs = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))
        sample = SegDataSample()
        for key in self.seg_keys:
            seg = results.get(key)
            if seg is not None:
                seg = np.ascontiguousarray(seg)
                if seg.shape[:2] != img.shape[:2]:
                    raise ValueError(f'{type(self).__name__}: {key} of {results.get("img_path")}'
                                     f' has shape {seg.shape}, the image {img.shape[:2]}')
                sample.set_field(PixelData(data=torch.from_numpy(seg[None].astype(np.int64))),
                                 key)
        sample.set_metainfo({k: results[k] for k in self.meta_keys if k in results})
        return dict(inputs=inputs, data_samples=sample)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(meta_keys={self.meta_keys}, seg_keys={self.seg_keys})'
