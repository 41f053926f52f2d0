"""Top-down (one crop per person) transforms for multi-person parsing (QANet).

Training pipeline (``data_mode='person'``), as QANet's
``qanet/datasets/transform.py`` ``build_transforms`` (Convert -> Scale ->
Rotate -> Flip -> CropAndResizeCV2)::

    LoadParsingImageFromFile -> LoadPersonParsingAnnotation -> PersonBBoxCenterScale
    -> PersonRandomFlip -> PersonRandomScaleRotate -> PersonAffine -> PackSegInputs

Evaluation (``data_mode='image'``): ``LoadParsingImageFromFile ->
LoadMultiPersonAnnotations -> PackMultiPersonParsingInputs``; the model crops
the persons itself (``hp_mm.structures.warp_to_crops``).

Boxes and centres use hp_mm's pixel-centre coordinates (see
:mod:`hp_mm.structures.bbox`).
"""
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from hp_mm.registry import TRANSFORMS
from hp_mm.structures import bbox_xyxy_to_center_scale, get_affine_matrix, mask_to_bbox
from ..label_io import check_label_map, read_label_file
from .flip import ParsingRandomFlip


def _add_seg_field(results: dict, key: str) -> None:
    fields = results.setdefault('seg_fields', [])
    if key not in fields:
        fields.append(key)


@TRANSFORMS.register_module()
class LoadPersonParsingAnnotation(BaseTransform):
    """Load one person's label map: its parts, everything else background.

    ``gt_seg_map = category * (human == parsing_id)`` (QANet
    ``lib/data/structures/instance.py`` ``Parsing.__init__``), or the person's
    own label file (MHP-v2) when ``human_map_path`` is None.

    Required Keys: ``seg_map_path``, ``human_map_path`` (None for a per-person
    label file), ``parsing_id``, ``ori_shape`` (load the image first),
    ``num_classes``, ``bbox`` (None: computed here).

    Modified Keys: ``bbox`` (when None: the extent of the person's pixels),
    ``seg_fields``.

    Added Keys: ``gt_seg_map`` (H, W) uint8.

    Args:
        ignore_index (int): Label value allowed besides ``[0, num_classes)``.
            Defaults to 255.
        backend_args (dict, optional): mmengine file backend arguments.

    Raises:
        FileNotFoundError / OSError: a label file is missing or undecodable.
        ValueError: ``parsing_id`` does not occur in the human-id map, the
            person has no labelled pixel, or a map's size or values are wrong
            (each message names the file).
    """

    def __init__(self, ignore_index: int = 255, backend_args: Optional[dict] = None) -> None:
        self.ignore_index = ignore_index
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        seg_path = results['seg_map_path']
        human_path = results.get('human_map_path')
        pid = int(results['parsing_id'])
        label = read_label_file(seg_path, self.backend_args)
        shape = results.get('ori_shape')
        if human_path:
            human = read_label_file(human_path, self.backend_args)
            if shape is not None and human.shape != tuple(shape[:2]):
                raise ValueError(f'human map {human_path}: size {human.shape[1]}x'
                                 f'{human.shape[0]} (WxH) does not match its image, '
                                 f'{shape[1]}x{shape[0]}')
            mask = human == pid
            if not mask.any():
                present = [int(v) for v in np.unique(human) if v > 0]
                raise ValueError(f'person parsing_id={pid} does not occur in the human map '
                                 f'{human_path} (ids present: {present[:20]})')
            label = np.where(mask, label, 0).astype(np.uint8)
        else:
            mask = (label > 0) & (label != self.ignore_index)
            if not mask.any():
                raise ValueError(f'person label file {seg_path} (parsing_id={pid}) has no '
                                 'labelled pixel')
        check_label_map(label, seg_path, shape, results.get('num_classes'),
                                           self.ignore_index)
        results['gt_seg_map'] = label
        _add_seg_field(results, 'gt_seg_map')
        if results.get('bbox') is None:
            results['bbox'] = mask_to_bbox(mask)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(ignore_index={self.ignore_index})'


@TRANSFORMS.register_module()
class LoadMultiPersonAnnotations(BaseTransform):
    """Load an image's category map and human-id map, and its GT boxes if needed.

    From ``Category_ids`` + ``Human_ids`` (CIHP layout) or from the per-person
    label files (MHP-v2: ``human_map_path`` is a list, person ``k`` has id
    ``person_ids[k]``; where files overlap the later person wins).

    Required Keys: ``seg_map_path`` (None for per-person files),
    ``human_map_path`` (str or list), ``person_ids`` (with a list),
    ``ori_shape``, ``num_classes``, ``bboxes`` / ``bbox_scores`` (None: GT
    boxes computed here).

    Modified Keys: ``bboxes``, ``bbox_scores`` (when None: one box per person
    id, the extent of its pixels, score 1), ``seg_fields``.

    Added Keys: ``gt_seg_map`` (H, W) uint8 category map, ``gt_instance_map``
    (H, W) uint8 person ids (0 = no person).

    Args:
        ignore_index (int): Label value allowed besides ``[0, num_classes)``.
            Defaults to 255.
        backend_args (dict, optional): mmengine file backend arguments.
    """

    def __init__(self, ignore_index: int = 255, backend_args: Optional[dict] = None) -> None:
        self.ignore_index = ignore_index
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        human_path = results['human_map_path']
        shape = results.get('ori_shape')
        num_classes = results.get('num_classes')
        gt_boxes = []
        if isinstance(human_path, (list, tuple)):
            ids = results.get('person_ids') or list(range(1, len(human_path) + 1))
            if len(ids) != len(human_path):
                raise ValueError(f'{len(human_path)} person files but {len(ids)} person_ids '
                                 f'for {results.get("img_path")}')
            if shape is None:
                raise KeyError('LoadMultiPersonAnnotations needs ori_shape with per-person '
                               f'files (load the image first): {results.get("img_path")}')
            category = np.zeros(shape[:2], np.uint8)
            human = np.zeros(shape[:2], np.uint8)
            for pid, path in zip(ids, human_path):
                person = read_label_file(path, self.backend_args)
                check_label_map(person, path, shape, num_classes,
                                                   self.ignore_index)
                sel = (person > 0) & (person != self.ignore_index)
                category[sel] = person[sel]
                human[sel] = pid
                gt_boxes.append(mask_to_bbox(sel))
        else:
            seg_path = results['seg_map_path']
            category = read_label_file(seg_path, self.backend_args)
            check_label_map(category, seg_path, shape, num_classes,
                                               self.ignore_index)
            human = read_label_file(human_path, self.backend_args)
            check_label_map(human, human_path, shape)
            ids = [int(v) for v in np.unique(human) if v > 0]
            gt_boxes = [mask_to_bbox(human == k) for k in ids]
        if results.get('bboxes') is None:
            keep = [b for b in gt_boxes if b is not None]
            results['bboxes'] = np.array(keep, np.float32).reshape(-1, 4)
            results['bbox_scores'] = np.ones(len(keep), np.float32)
        results['gt_seg_map'] = category
        results['gt_instance_map'] = human
        _add_seg_field(results, 'gt_seg_map')
        _add_seg_field(results, 'gt_instance_map')
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(ignore_index={self.ignore_index})'


@TRANSFORMS.register_module()
class PersonBBoxCenterScale(BaseTransform):
    """Box -> centre and crop-region size extended to the input aspect ratio.

    QANet ``Instance.convert``: grow the shorter side to ``W / H`` of
    ``input_size`` and pad both sides by ``padding`` (1.25). Uses
    :func:`hp_mm.models.utils.bbox_xyxy_to_center_scale`.

    Required Keys: ``bbox`` (4,) ``(x1, y1, x2, y2)``.

    Added Keys: ``bbox_center`` (2,) float32, ``bbox_scale`` (2,) float32
    ``(w, h)``.

    Args:
        input_size (tuple[int, int]): Crop size ``(W, H)``. Defaults to
            ``(384, 512)``.
        padding (float): Padding factor. Defaults to 1.25 (QANet).
    """

    def __init__(self, input_size: Tuple[int, int] = (384, 512), padding: float = 1.25) -> None:
        self.input_size = tuple(input_size)
        self.padding = padding

    def transform(self, results: dict) -> dict:
        bbox = results.get('bbox')
        if bbox is None:
            raise KeyError(f'{type(self).__name__}: no bbox for {results.get("img_path")} '
                           f'(parsing_id={results.get("parsing_id")})')
        center, scale = bbox_xyxy_to_center_scale(
            torch.as_tensor(np.asarray(bbox, np.float32).reshape(1, 4)),
            self.input_size[0] / self.input_size[1], self.padding)
        results['bbox_center'] = center[0].numpy().astype(np.float32)
        results['bbox_scale'] = scale[0].numpy().astype(np.float32)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(input_size={self.input_size}, padding={self.padding})'


@TRANSFORMS.register_module()
class PersonRandomFlip(ParsingRandomFlip):
    """Horizontal flip of the whole image, its label and the person's box.

    Left/right labels are swapped with the sample's ``flip_pairs`` (as
    :class:`ParsingRandomFlip`); x coordinates map to ``W - 1 - x`` (QANet
    ``Instance.flip``: ``size - x - 1``), so flipping twice is the identity.
    QANet flips with probability 0.5 (``lib/data/transforms/transforms.py``
    ``Flip``).

    Required Keys: ``img``, ``gt_seg_map`` (optional), ``flip_pairs``,
    ``bbox_center`` (optional), ``bbox`` (optional).

    Modified Keys: ``img``, ``gt_seg_map``, ``bbox_center``, ``bbox``.

    Added Keys: ``flip``, ``flip_direction``, ``swap_seg_labels``.

    Args:
        prob (float): Flip probability. Defaults to 0.5.
        swap_seg_labels (list, optional): Pairs to swap instead of the
            sample's ``flip_pairs``.
    """

    def __init__(self, prob: float = 0.5, swap_seg_labels: Optional[Sequence] = None) -> None:
        super().__init__(prob=prob, direction='horizontal', swap_seg_labels=swap_seg_labels)

    def _flip(self, results: dict) -> None:
        super()._flip(results)
        if results.get('flip_direction') != 'horizontal':
            return
        last = results['img'].shape[1] - 1
        if results.get('bbox_center') is not None:
            center = np.array(results['bbox_center'], np.float32)
            center[0] = last - center[0]
            results['bbox_center'] = center
        if results.get('bbox') is not None:
            x1, y1, x2, y2 = np.asarray(results['bbox'], np.float32).tolist()
            results['bbox'] = np.array([last - x2, y1, last - x1, y2], np.float32)


@TRANSFORMS.register_module()
class PersonRandomScaleRotate(BaseTransform):
    """QANet's random crop-region scale and rotation.

    ``s = clip(N(0, 1) * scale_factor + 1, 1 - scale_factor, 1 + scale_factor)``
    multiplies ``bbox_scale`` (``Instance.scale``); with probability
    ``rotate_prob`` ``r = clip(N(0, 1) * rotate_factor, -2 rotate_factor,
    2 rotate_factor)`` degrees, else 0 (``Instance.rotate``: ``random.random()
    <= 0.6``). Defaults are QANet's (``qanet/core/config.py``
    ``TRAIN.SCALE_FACTOR = 0.3``, ``TRAIN.ROT_FACTOR = 40``).

    Required Keys: ``bbox_scale``.

    Modified Keys: ``bbox_scale``.

    Added Keys: ``bbox_rotation`` (float, degrees).

    Args:
        scale_factor (float): Defaults to 0.3.
        rotate_factor (float): Standard deviation of the angle, degrees;
            angles are clipped to twice that. Defaults to 40.
        rotate_prob (float): Probability of rotating. Defaults to 0.6.
    """

    def __init__(self, scale_factor: float = 0.3, rotate_factor: float = 40.0,
                 rotate_prob: float = 0.6) -> None:
        if not 0 <= scale_factor < 1:
            raise ValueError(f'scale_factor must be in [0, 1), got {scale_factor}')
        self.scale_factor = scale_factor
        self.rotate_factor = rotate_factor
        self.rotate_prob = rotate_prob

    @cache_randomness
    def _sample(self) -> Tuple[float, float]:
        sf, rf = self.scale_factor, self.rotate_factor
        scale = float(np.clip(np.random.randn() * sf + 1, 1 - sf, 1 + sf))
        rot = 0.0
        if np.random.rand() < self.rotate_prob:
            rot = float(np.clip(np.random.randn() * rf, -2 * rf, 2 * rf))
        return scale, rot

    def transform(self, results: dict) -> dict:
        scale, rot = self._sample()
        results['bbox_scale'] = (np.asarray(results['bbox_scale'], np.float32) *
                                 scale).astype(np.float32)
        results['bbox_rotation'] = rot
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(scale_factor={self.scale_factor}, '
                f'rotate_factor={self.rotate_factor}, rotate_prob={self.rotate_prob})')


@TRANSFORMS.register_module()
class PersonAffine(BaseTransform):
    """Warp the person's region to the ``input_size`` crop with one affine.

    The matrix is :func:`hp_mm.models.utils.get_affine_matrix`; the image is
    warped bilinearly (``cv2.INTER_LINEAR``, border 0), label maps nearest
    (``cv2.INTER_NEAREST``) with border ``ignore_index`` so pixels outside
    the image are ignored by the loss (QANet leaves cv2's border 0 there).

    Required Keys: ``img``, ``bbox_center``, ``bbox_scale``,
    ``bbox_rotation`` (optional, default 0), ``seg_fields`` (optional).

    Modified Keys: ``img``, ``img_shape``, every key in ``seg_fields``.

    Added Keys: ``input_size`` ``(W, H)``, ``input_center`` (2,),
    ``input_scale`` (2,), ``input_rotation`` (degrees): what the crop was
    taken with (paste-back), as mmpose's ``TopdownAffine``.

    Args:
        input_size (tuple[int, int]): Crop size ``(W, H)``. Defaults to
            ``(384, 512)``.
        ignore_index (int): Label border value. Defaults to 255.
    """

    def __init__(self, input_size: Tuple[int, int] = (384, 512), ignore_index: int = 255) -> None:
        self.input_size = (int(input_size[0]), int(input_size[1]))
        self.ignore_index = ignore_index

    def transform(self, results: dict) -> dict:
        center = np.asarray(results['bbox_center'], np.float32).reshape(2)
        scale = np.asarray(results['bbox_scale'], np.float32).reshape(2)
        rot = float(results.get('bbox_rotation', 0.0))
        matrix = get_affine_matrix(torch.from_numpy(center)[None].double(),
                                   torch.from_numpy(scale)[None].double(),
                                   torch.tensor([rot], dtype=torch.float64),
                                   self.input_size)[0].numpy()
        results['img'] = cv2.warpAffine(results['img'], matrix, self.input_size,
                                        flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                                        borderValue=0)
        for key in results.get('seg_fields', []):
            results[key] = cv2.warpAffine(results[key], matrix, self.input_size,
                                          flags=cv2.INTER_NEAREST,
                                          borderMode=cv2.BORDER_CONSTANT,
                                          borderValue=self.ignore_index)
        results['img_shape'] = results['img'].shape[:2]
        results['input_size'] = self.input_size
        results['input_center'] = center
        results['input_scale'] = scale
        results['input_rotation'] = rot
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(input_size={self.input_size}, '
                f'ignore_index={self.ignore_index})')
