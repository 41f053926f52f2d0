"""The inference pipeline of a config, its checked image loader, and batching by shape.

One pipeline for every hp_mm model (as mmseg's and mmdet's Inferencers build
theirs): the config's test pipeline (``test_dataloader.dataset.pipeline``, else
``test_pipeline``) without the annotation loaders, its image loader replaced by
:class:`LoadCheckedImage` (a file is read and checked by
:func:`~hp_mm.apis.image_io.read_image`; an array is taken as it is). A
top-down parser (``TopDownParser`` in image mode: the pipeline ends in
``PackMultiPersonParsingInputs``) also needs its person boxes in the sample
(:func:`person_fields`).

Note:
    N: person boxes of an image. H, W: image height and width.
"""
from typing import Callable, Iterable, Iterator, List, Optional, Sequence, TypeVar

import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.config import Config
from mmengine.dataset import Compose

from hp_mm.datasets.transforms.formatting import PackMultiPersonParsingInputs
from .image_io import check_bgr_image, read_image

#: Transforms that read ground truth; an inference pipeline leaves them out.
ANNOTATION_LOADERS = frozenset({
    'LoadAnnotations', 'LoadParsingAnnotations', 'LoadColorParsingAnnotations',
    'LoadMultiPersonAnnotations',
    'LoadPersonParsingAnnotation', 'LoadReIDPartMask', 'LoadPseudoLabels', 'LoadDepthAnnotation'
})
#: Models that parse persons in whole images without a test pipeline of their own.
TOP_DOWN_MODELS = ('TopDownParser', )

T = TypeVar('T')


class LoadCheckedImage(BaseTransform):
    """The image of an inference sample: a file read and checked, or a given array.

    hp_mm's counterpart of mmseg's ``InferencerLoader``: the input may be a
    path, a BGR array or a dict with ``img`` and / or ``img_path``; a file is
    read by :func:`~hp_mm.apis.image_io.read_image` (a truncated JPEG or PNG
    is an ``OSError`` naming the file, not a half-grey image).

    Required Keys: ``img`` (H, W, 3) uint8 BGR or ``img_path``.

    Added Keys: ``img``, ``img_path`` (None for an array), ``img_shape``,
    ``ori_shape`` (H, W).
    """

    def __call__(self, results) -> dict:
        if isinstance(results, str):
            results = dict(img_path=results)
        elif isinstance(results, np.ndarray):
            results = dict(img=results)
        return self.transform(dict(results))

    def transform(self, results: dict) -> dict:
        if results.get('img') is None:
            if results.get('img_path') is None:
                raise KeyError('LoadCheckedImage: the sample has neither `img` nor `img_path`')
            results['img'] = read_image(results['img_path'])
        img = check_bgr_image(results['img'], results.get('img_path') or 'image array')
        results.setdefault('img_path', None)
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results


def _type_name(step: dict) -> str:
    kind = step.get('type')
    return kind if isinstance(kind, str) else getattr(kind, '__name__', str(kind))


def test_pipeline_steps(cfg: Config) -> List[dict]:
    """The config's test pipeline (``test_dataloader.dataset.pipeline``, else ``test_pipeline``).

    A top-down parser config without one (a bare model config) gets the
    whole-image pipeline ``[LoadImageFromFile, PackMultiPersonParsingInputs]``.

    Raises:
        ValueError: The config has no test pipeline.
    """
    dataset = (cfg.get('test_dataloader') or {}).get('dataset') or {}
    steps = dataset.get('pipeline') or cfg.get('test_pipeline')
    if steps:
        return [dict(step) for step in steps]
    if cfg.get('model', {}).get('type') in TOP_DOWN_MODELS:
        return [dict(type='LoadImageFromFile'), dict(type='PackMultiPersonParsingInputs')]
    raise ValueError(f'{cfg.filename or "the config"}: no test pipeline (neither '
                     'test_dataloader.dataset.pipeline nor test_pipeline)')


def build_inference_pipeline(cfg: Config) -> Compose:
    """The config's test pipeline for inference (see the module doc).

    Build it in the model's registry scope (``DefaultScope`` ``'hp_mm'``).

    Returns:
        Compose: :class:`LoadCheckedImage`, then the config's steps after its
        image loader, annotation loaders (:data:`ANNOTATION_LOADERS`) left out.

    Raises:
        ValueError: The pipeline does not start with an image loader.
    """
    steps = [s for s in test_pipeline_steps(cfg) if _type_name(s) not in ANNOTATION_LOADERS]
    first = _type_name(steps[0]).split('.')[-1] if steps else ''
    if not ((first.startswith('Load') and 'Image' in first) or first == 'InferencerLoader'):
        raise ValueError(f'{cfg.filename or "the config"}: the test pipeline must start with '
                         f'an image loader (LoadImageFromFile, ...), got {first or "nothing"}')
    return Compose([LoadCheckedImage()] + steps[1:])


def is_top_down(pipeline: Compose) -> bool:
    """Whether the pipeline packs whole images with person boxes (top-down image mode)."""
    return bool(pipeline.transforms) and isinstance(pipeline.transforms[-1],
                                                    PackMultiPersonParsingInputs)


def person_fields(img_shape: Sequence[int], num_classes: int, dataset_meta: Optional[dict],
                  bboxes=None, box_source: str = 'given') -> dict:
    """The fields ``PackMultiPersonParsingInputs`` needs besides the image.

    Args:
        img_shape (Sequence[int]): (H, W) of the image.
        num_classes (int): The parser's classes C.
        dataset_meta (dict, optional): The parser's; its ``flip_pairs`` go
            into the sample (the flip test swaps them back).
        bboxes (array-like, optional): (N, 4) boxes ``x1, y1, x2, y2`` in
            pixel centres, or (N, 5) with a score in the last column. None:
            one box over the whole image, ``(0, 0, W - 1, H - 1)``, score 1.
        box_source (str): Where the boxes come from (metainfo
            ``box_source``).

    Returns:
        dict: ``bboxes`` (N, 4) float32, ``bbox_scores`` (N,) float32,
        ``num_classes``, ``box_source`` and, if known, ``flip_pairs``.

    Raises:
        ValueError: ``bboxes`` is not (N, 4) or (N, 5).
    """
    h, w = int(img_shape[0]), int(img_shape[1])
    boxes = np.array([[0, 0, w - 1, h - 1]], np.float32) if bboxes is None else \
        np.asarray(bboxes, np.float32)
    if boxes.size == 0:
        boxes = boxes.reshape(0, 4)
    if boxes.ndim != 2 or boxes.shape[1] not in (4, 5):
        raise ValueError(f'person boxes must be (N, 4) or (N, 5) with scores, got shape '
                         f'{boxes.shape}')
    scores = boxes[:, 4].copy() if boxes.shape[1] == 5 else np.ones(len(boxes), np.float32)
    fields = dict(bboxes=np.ascontiguousarray(boxes[:, :4]), bbox_scores=scores,
                  num_classes=int(num_classes), box_source=box_source)
    if (dataset_meta or {}).get('flip_pairs') is not None:
        fields['flip_pairs'] = dataset_meta['flip_pairs']
    return fields


def same_shape_chunks(items: Iterable[T], size: int,
                      shape_of: Callable[[T], Optional[tuple]]) -> Iterator[List[T]]:
    """Consecutive items in chunks of at most ``size`` shaped items of one shape.

    mmseg's ``SegDataPreProcessor`` stacks only equal-size test images, so a
    chunk is cut where the packed input's shape changes. Items whose
    ``shape_of`` is None (inputs that failed) ride along in the current chunk
    without counting. The items are consumed lazily (a folder or a video is
    never held in memory at once).

    Args:
        items (Iterable): The items, in order.
        size (int): Most shaped items per chunk (>= 1).
        shape_of (Callable): An item's input shape, or None.

    Yields:
        list: The chunks, in order; every item appears once.
    """
    chunk, shape, count = [], None, 0
    for item in items:
        item_shape = shape_of(item)
        if item_shape is not None:
            if count and (count == size or item_shape != shape):
                yield chunk
                chunk, count = [], 0
            shape, count = item_shape, count + 1
        chunk.append(item)
    if chunk:
        yield chunk
