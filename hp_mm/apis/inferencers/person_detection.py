"""The person detector of the multi-person Inferencer: mmdet's own ``DetInferencer``.

As mmpose's Inferencers run their detector (``_init_detector``): any mmdet
config, built and run in mmdet's scope; its persons are the class named
``person_class`` in the detector's own ``dataset_meta`` (its checkpoint's
classes, COCO's when it has none), not a fixed index.

Note:
    N: person boxes kept in an image.
"""
import copy
from typing import Optional, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from hp_mm.structures import bbox_coco_to_center_xyxy
from .utils import resolve_config


def init_person_detector(det_model: Union[str, Config],
                         det_weights: Optional[str] = None,
                         det_cfg_options: Optional[dict] = None,
                         person_class: str = 'person',
                         device: str = 'cpu') -> Tuple[object, int]:
    """Build mmdet's ``DetInferencer`` for a detector and find its person class.

    Args:
        det_model (str | Config): An mmdet config: a path, ``'mmdet::...'``,
            an mmdet model name (``'rtmdet_tiny_8xb32-300e_coco'``) or a
            config stem under hp_mm's ``configs/``.
        det_weights (str, optional): Its checkpoint; else the mmdet
            metafile's; None keeps random weights (mmdet then assumes COCO's
            classes).
        det_cfg_options (dict, optional): Overrides of the detector config.
        person_class (str): The detector's class name of persons (compared
            case-insensitively).
        device (str): ``'cpu'``, ``'cuda:0'``, ...

    Returns:
        tuple: The ``DetInferencer`` and the detector's class index of persons.

    Raises:
        ValueError: The detector has no class named ``person_class`` (the
            message lists its classes).
    """
    from mmdet.apis import DetInferencer  # mmdet is only needed with a detector

    cfg, meta_weights = resolve_config(det_model, scope='mmdet')
    cfg = copy.deepcopy(cfg)
    if det_cfg_options:
        cfg.merge_from_dict(det_cfg_options)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmdet')):
        detector = DetInferencer(cfg, det_weights or meta_weights, device=device,
                                 show_progress=False)
    classes = [str(c) for c in (detector.model.dataset_meta or {}).get('classes', ())]
    lowered = [c.lower() for c in classes]
    if person_class.lower() not in lowered:
        shown = ', '.join(repr(c) for c in classes[:10]) + (', ...' if len(classes) > 10 else '')
        raise ValueError(
            f'the detector {getattr(cfg, "filename", None) or "(config)"} has no class named '
            f'{person_class!r} in its dataset_meta (classes: {shown or "none"}); pass the name '
            'of its person class as person_class=')
    return detector, lowered.index(person_class.lower())


def detect_person_boxes(detector, person_label: int, img: np.ndarray,
                        det_score_thr: float = 0.3) -> np.ndarray:
    """The person boxes of one image, in hp_mm's pixel-centre convention, best first.

    mmdet's boxes have pixel corners at integers (``x2 = x + w``); they are
    moved by half a pixel with :func:`~hp_mm.structures.bbox_coco_to_center_xyxy`
    (the conversion the datasets apply to a detections file).

    Args:
        detector (DetInferencer): From :func:`init_person_detector`.
        person_label (int): The detector's person class.
        img (np.ndarray): BGR image (H, W, 3).
        det_score_thr (float): Keep boxes with score ``>= det_score_thr``.

    Returns:
        np.ndarray: (N, 5) float32: ``x1, y1, x2, y2, score`` by descending
        score (ties in the detector's order).
    """
    with DefaultScope.overwrite_default_scope(detector.cfg.get('default_scope', 'mmdet')):
        det = detector(img, return_datasamples=True)['predictions'][0]
    inst = det.pred_instances
    keep = (inst.labels == person_label) & (inst.scores >= det_score_thr)
    boxes, scores = inst.bboxes[keep].float().cpu(), inst.scores[keep].float().cpu()
    order = torch.argsort(scores, descending=True, stable=True)
    boxes, scores = boxes[order], scores[order]
    xywh = torch.cat([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]], dim=1)
    return np.concatenate([bbox_coco_to_center_xyxy(xywh).numpy(), scores.numpy()[:, None]],
                          axis=1).astype(np.float32)
