"""mmseg's function pair on hp_mm's Inferencer helpers: ``init_model`` and ``inference_model``.

    model = init_model('configs/lip/fpn_r18_minihumans.py', 'iter_3000.pth', device='cpu')
    result = inference_model(model, 'a.jpg')              # a SegDataSample
    results = inference_model(model, ['a.jpg', bgr_array])

Any hp_mm model: a parser (``pred_sem_seg``), a top-down parser in image mode
(persons given per image, else one box over the whole image) or a re-ID model
(``pred_feature``, ISP part maps). The model is built and loaded as the
Inferencers do (:mod:`hp_mm.apis.model_init`) and the images go through the
same pipeline (:mod:`hp_mm.apis.pipeline`); for folders, videos, failure
records, drawings and files use the Inferencers.
"""
from pathlib import Path
from typing import Optional, Sequence, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import DefaultScope

from .model_init import build_model, load_config, load_weights, read_checkpoint
from .pipeline import (LoadCheckedImage, build_inference_pipeline, is_top_down, person_fields,
                       same_shape_chunks)

ImageLike = Union[str, Path, np.ndarray, dict]


def init_model(config: Union[str, Path, Config],
               checkpoint: Optional[str] = None,
               device: str = 'cpu',
               cfg_options: Optional[dict] = None) -> torch.nn.Module:
    """Build a model from its config and load a checkpoint (strictly).

    Args:
        config (str | Path | Config): Config file, :class:`Config`, model
            name of ``model-index.yml`` or config stem.
        checkpoint (str, optional): Checkpoint file or URL; None keeps random
            weights (with a warning).
        device (str): e.g. ``'cpu'`` or ``'cuda:0'``.
        cfg_options (dict, optional): Overrides merged into the config.

    Returns:
        nn.Module: The model in eval mode, with ``cfg`` and ``dataset_meta``
        (the config's test dataset ``METAINFO`` updated by the checkpoint's).

    Raises:
        ValueError: A parser checkpoint's classes (its ``dataset_meta`` or its
            classifier's output channels) differ from the config's.
        RuntimeError: Missing or unexpected checkpoint keys.
    """
    cfg = load_config(config, cfg_options)
    model = build_model(cfg)
    load_weights(model, None if checkpoint is None else read_checkpoint(checkpoint), cfg,
                 source=checkpoint)
    return model.to(device).eval()


def _pack(pipeline: Compose, model: torch.nn.Module, image: ImageLike, top_down: bool) -> dict:
    if isinstance(image, (str, Path)):
        sample = dict(img_path=str(image))
    elif isinstance(image, np.ndarray):
        sample = dict(img=image)
    elif isinstance(image, dict):
        sample = dict(image)
    else:
        raise TypeError(f'an image must be a path, a BGR array or a dict, got '
                        f'{type(image).__name__}')
    if top_down:
        sample = LoadCheckedImage()(sample)
        sample.update(person_fields(sample['img'].shape[:2], model.decode_head.num_classes,
                                    model.dataset_meta, sample.get('bboxes')))
    return pipeline(sample)


@torch.no_grad()
def inference_model(model: torch.nn.Module, images: Union[ImageLike, Sequence[ImageLike]]):
    """Run a model on image files or BGR arrays (H, W, 3) through its test pipeline.

    Files are read with :func:`~hp_mm.apis.image_io.read_image` (a truncated
    JPEG is an error, not a half-grey image). A top-down parser takes an image
    as a dict ``{'img_path' or 'img', 'bboxes': (N, 4) or (N, 5)}`` (pixel-centre
    ``x1, y1, x2, y2`` [, score]); a bare image is one person box over the
    whole image. Images of one size are batched together.

    Args:
        model (nn.Module): From :func:`init_model`.
        images: One image or a list.

    Returns:
        SegDataSample | list[SegDataSample]: The model's predictions (one for
        a single input), at each image's size: ``pred_sem_seg`` (1, H, W)
        and ``seg_logits`` for a parser, plus ``pred_instances`` for a
        top-down parser, ``pred_feature`` (and ISP's fields) for re-ID.

    Raises:
        OSError: An image file is unreadable or truncated.
    """
    single = not isinstance(images, (list, tuple))
    images = [images] if single else list(images)
    with DefaultScope.overwrite_default_scope(model.cfg.get('default_scope', 'hp_mm')):
        pipeline = build_inference_pipeline(model.cfg)
        top_down = is_top_down(pipeline)
        packed = [_pack(pipeline, model, image, top_down) for image in images]
        preds = []
        for chunk in same_shape_chunks(packed, max(len(packed), 1),
                                       lambda p: tuple(p['inputs'].shape)):
            preds += model.test_step(pseudo_collate(chunk))
    return preds[0] if single else preds
