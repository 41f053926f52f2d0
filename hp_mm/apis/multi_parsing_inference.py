"""Multi-person parsing of a user's own images: an mmdet person detector + a top-down parser.

    models = init_multi_parser('configs/qanet/detectors/fcos_r50_fpn_cihp.py', 'det.pth',
                               'configs/qanet/qanet_r50_cihp.py', 'qanet.pth', device='cpu')
    results = inference_multi_parser(models, ['a.jpg', 'b.jpg'], det_score_thr=0.3)
    save_multi_parsing_result('a.jpg', results[0], 'out/', models['parser'].dataset_meta)

The detector is built and run in mmdet's scope (``mmdet.apis.init_detector`` /
``inference_detector``, as mmpose's inferencer runs its detector), the parser
in hp_mm's (:func:`~hp_mm.apis.init_parser`). Its person boxes become the
image-mode sample of :class:`~hp_mm.datasets.transforms.PackMultiPersonParsingInputs`
(the same packing as the evaluation with a detections file), which the
parser's ``test_step`` (``TopDownParser.predict``) turns into per-person
parsings and scores.

Note:
    N: persons kept in an image. C: parsing classes, background included.
    H, W: image height and width. R: part regions of an image.
"""
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

import cv2
import mmcv
import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.utils import mkdir_or_exist

from hp_mm.datasets.transforms.formatting import PackMultiPersonParsingInputs
from hp_mm.evaluation.submission_writers import write_cihp_prediction
from hp_mm.structures import bbox_coco_to_center_xyxy, person_instance_maps
from .parsing_inference import colorize, init_parser

ImageLike = Union[str, np.ndarray]


def init_multi_parser(det_config: Union[str, Config],
                      det_checkpoint: Optional[str],
                      parser_config: Union[str, Config],
                      parser_checkpoint: Optional[str],
                      device: str = 'cpu',
                      det_cfg_options: Optional[dict] = None,
                      parser_cfg_options: Optional[dict] = None) -> Dict[str, torch.nn.Module]:
    """Build the person detector (mmdet scope) and the parser (hp_mm scope).

    Args:
        det_config (str | Config): An mmdet config (e.g.
            ``configs/qanet/detectors/fcos_r50_fpn_cihp.py``).
        det_checkpoint (str, optional): Its checkpoint; None keeps random
            weights (mmdet then assumes COCO's classes).
        parser_config (str | Config): A top-down parser config
            (``TopDownParser``).
        parser_checkpoint (str, optional): Its checkpoint.
        device (str): ``'cpu'``, ``'cuda:0'``, ...
        det_cfg_options (dict, optional): Overrides of the detector config.
        parser_cfg_options (dict, optional): Overrides of the parser config.

    Returns:
        dict: ``detector`` and ``parser`` (both in eval mode, with ``cfg``
        and ``dataset_meta``), and ``person_label``, the detector's class
        index of persons.

    Raises:
        ValueError: The detector has no ``person`` class (and more than one
            class).
    """
    from mmdet.apis import init_detector  # mmdet is only needed here

    if isinstance(det_config, str):
        det_config = Config.fromfile(det_config)
    with DefaultScope.overwrite_default_scope(det_config.get('default_scope', 'mmdet')):
        detector = init_detector(det_config, det_checkpoint, device=device,
                                 cfg_options=det_cfg_options)
    with DefaultScope.overwrite_default_scope('hp_mm'):
        parser = init_parser(parser_config, parser_checkpoint, device=device,
                             cfg_options=parser_cfg_options)
    classes = [str(c).lower() for c in (detector.dataset_meta or {}).get('classes', ())]
    if 'person' in classes:
        person_label = classes.index('person')
    elif len(classes) == 1:
        person_label = 0
    else:
        raise ValueError(f'the detector of {det_config.filename} has no "person" class '
                         f'(classes: {classes[:10]}...)')
    return dict(detector=detector, parser=parser, person_label=person_label)


def detect_persons(detector: torch.nn.Module, img: np.ndarray, person_label: int = 0,
                   det_score_thr: float = 0.3) -> Dict[str, np.ndarray]:
    """Person boxes of one image, in hp_mm's pixel-centre convention.

    mmdet's boxes have pixel corners at integers (``x2 = x + w``); they are
    moved by half a pixel with :func:`bbox_coco_to_center_xyxy` (the conversion the
    datasets apply to a detections file).

    Args:
        detector (nn.Module): From :func:`init_multi_parser`.
        img (ndarray): BGR image (H, W, 3).
        person_label (int): The detector's person class.
        det_score_thr (float): Keep boxes with score ``>= det_score_thr``.

    Returns:
        dict: ``bboxes`` (N, 4) float32 xyxy and ``scores`` (N,) float32, by
        descending score.
    """
    from mmdet.apis import inference_detector

    with DefaultScope.overwrite_default_scope(detector.cfg.get('default_scope', 'mmdet')):
        det = inference_detector(detector, img)
    inst = det.pred_instances
    keep = (inst.labels == person_label) & (inst.scores >= det_score_thr)
    boxes = inst.bboxes[keep].float().cpu()
    scores = inst.scores[keep].float().cpu()
    order = torch.argsort(scores, descending=True, stable=True)
    boxes, scores = boxes[order], scores[order]
    xywh = torch.cat([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]], dim=1)
    return dict(bboxes=bbox_coco_to_center_xyxy(xywh).numpy().astype(np.float32),
                scores=scores.numpy().astype(np.float32))


@torch.no_grad()
def inference_multi_parser(models: Dict[str, torch.nn.Module],
                           imgs: Union[ImageLike, Sequence[ImageLike]],
                           det_score_thr: float = 0.3):
    """Detect the persons of each image, then parse them top-down.

    Args:
        models (dict): From :func:`init_multi_parser`.
        imgs (str | ndarray | Sequence): Image files or BGR arrays (H, W, 3).
        det_score_thr (float): Person boxes with a lower detector score are
            dropped. Defaults to 0.3.

    Returns:
        SegDataSample | list[SegDataSample]: Per image (one for a single
        input), the parser's image-mode prediction: ``person_boxes`` (the
        kept boxes), ``pred_sem_seg`` (1, H, W) and ``pred_instances`` with
        ``bboxes`` (N, 4), ``box_scores``, ``iou_scores``, ``pixel_scores``,
        ``scores`` (N,), ``part_pixel_scores``, ``part_scores`` (N, C - 1),
        ``parsings`` (N, H, W) uint8; metainfo ``img_path`` (files only),
        ``ori_shape``, ``img_shape``.
    """
    detector, parser = models['detector'], models['parser']
    person_label = models.get('person_label', 0)
    single = not isinstance(imgs, (list, tuple))
    imgs = [imgs] if single else list(imgs)
    meta = parser.dataset_meta or {}
    num_classes = parser.decode_head.num_classes
    pack = PackMultiPersonParsingInputs()
    results = []
    for img in imgs:
        path = img if isinstance(img, str) else None
        array = mmcv.imread(img) if path else img
        if array is None or array.ndim != 3:
            raise ValueError(f'could not read a colour image from {path or "the array"}')
        boxes = detect_persons(detector, array, person_label, det_score_thr)
        info = dict(img=array, ori_shape=array.shape[:2], img_shape=array.shape[:2],
                    bboxes=boxes['bboxes'], bbox_scores=boxes['scores'],
                    num_classes=num_classes, box_source='detector')
        if path:
            info['img_path'] = path
        if meta.get('flip_pairs') is not None:
            info['flip_pairs'] = meta['flip_pairs']
        packed = pack(info)
        with DefaultScope.overwrite_default_scope('hp_mm'):
            out = parser.test_step(dict(inputs=[packed['inputs']],
                                        data_samples=[packed['data_samples']]))
        results.append(out[0])
    return results[0] if single else results


def save_multi_parsing_result(img: ImageLike,
                              result,
                              out_dir: str,
                              dataset_meta: Optional[dict] = None,
                              name: Optional[str] = None,
                              score_thr: float = 0.01,
                              alpha: float = 0.6) -> Dict[str, str]:
    """Write one image's multi-person parsing in CIHP's layout, an overlay and a JSON.

    Files (``<name>`` = the image stem):

    - ``Category_ids/<name>.png``: the semantic map ``pred_sem_seg`` (QANet's
      global parsing: persons painted in box-score order);
    - ``Human_ids/<name>.png``, ``Instance_ids/<name>.png`` and
      ``Instance_ids/<name>.txt`` (lines ``instance_part_id class_id
      human_id``): :func:`hp_mm.structures.person_instance_maps` of the
      persons the model kept (``pred_instances.kept``: parsing NMS) with
      quality score ``>= score_thr``, the persons the metric scores (8-bit
      PNGs, 16-bit beyond 255 ids);
    - ``vis/<name>.jpg``: the image and the colour overlay side by side, with
      each drawn person's box, human id and quality score;
    - ``json/<name>.json``: per person ``human_id`` (0 = not drawn),
      ``bbox`` (x1, y1, x2, y2, pixel centres), ``box_score``, ``iou_score``,
      ``pixel_score``, ``score`` and per part ``score`` (QAM with the category
      pixel score), ``pixel_score``, ``instance_part_id`` and ``area``.

    Args:
        img (str | ndarray): The image file or BGR array.
        result (SegDataSample): From :func:`inference_multi_parser`.
        out_dir (str): Output root.
        dataset_meta (dict, optional): ``classes`` and ``palette`` of the
            parser (``models['parser'].dataset_meta``).
        name (str, optional): File stem; defaults to the image's.
        score_thr (float): Quality score below which a person is not drawn.
        alpha (float): Overlay opacity.

    Returns:
        dict[str, str]: The written paths (keys ``category``, ``human``,
        ``instance``, ``instance_txt``, ``vis``, ``json``).
    """
    image = mmcv.imread(img) if isinstance(img, str) else img
    if name is None:
        name = osp.splitext(osp.basename(img))[0] if isinstance(img, str) else 'result'
    meta = dataset_meta or {}
    inst = result.pred_instances
    num_classes = int(inst.part_scores.shape[1]) + 1
    classes = list(meta.get('classes') or [str(c) for c in range(num_classes)])
    palette = meta.get('palette')
    if palette is None:
        palette = np.random.default_rng(0).integers(0, 256, (num_classes, 3)).tolist()
        palette[0] = [0, 0, 0]
    # the persons the model kept (parsing NMS and its score_thr), as the metric scores them
    maps = person_instance_maps(inst.parsings, inst.scores, score_thr,
                                keep=inst.kept if 'kept' in inst else None)
    paths = write_cihp_prediction(out_dir, name, result.pred_sem_seg.data, maps['human_ids'],
                                  maps['instance_ids'], maps['regions'])
    paths.update(vis=osp.join(out_dir, 'vis', f'{name}.jpg'),
                 json=osp.join(out_dir, 'json', f'{name}.json'))
    for key in ('vis', 'json'):
        mkdir_or_exist(osp.dirname(paths[key]))

    # overlay: the drawn part labels in the palette's colours, boxes with id and score
    colour = colorize(maps['category_ids'].astype(np.uint8), palette)[..., ::-1]
    fg = maps['category_ids'][..., None] > 0
    overlay = np.where(fg, (alpha * colour + (1 - alpha) * image).astype(np.uint8), image)
    overlay = np.ascontiguousarray(overlay)
    bboxes = inst.bboxes.cpu().numpy()
    scores = inst.scores.cpu().numpy()
    for p in np.flatnonzero(maps['person_human_id']):
        x1, y1, x2, y2 = (int(round(v)) for v in bboxes[p])
        cv2.rectangle(overlay, (x1, y1), (x2, y2), (0, 255, 0), 1)
        cv2.putText(overlay, f'{maps["person_human_id"][p]}: {scores[p]:.2f}',
                    (x1, max(y1 - 3, 10)), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 255, 0), 1,
                    cv2.LINE_AA)
    cv2.imwrite(paths['vis'], np.concatenate([image, overlay], axis=1))

    region_of = {(person, cls): (rid, area) for rid, cls, _, person, area in maps['regions']}
    fields = {k: inst[k].cpu().numpy() for k in ('box_scores', 'iou_scores', 'pixel_scores',
                                                  'part_scores', 'part_pixel_scores')}
    persons = []
    for p in range(len(inst)):
        parts = {}
        for c in range(1, num_classes):
            rid, area = region_of.get((p, c), (0, 0))
            parts[classes[c]] = dict(class_id=c, score=float(fields['part_scores'][p, c - 1]),
                                     pixel_score=float(fields['part_pixel_scores'][p, c - 1]),
                                     instance_part_id=rid, area=area)
        persons.append(dict(
            human_id=int(maps['person_human_id'][p]),
            bbox=[float(v) for v in bboxes[p]],
            box_score=float(fields['box_scores'][p]),
            iou_score=float(fields['iou_scores'][p]),
            pixel_score=float(fields['pixel_scores'][p]),
            score=float(scores[p]),
            parts=parts))
    with open(paths['json'], 'w') as f:
        json.dump(dict(image=img if isinstance(img, str) else name, height=int(image.shape[0]),
                       width=int(image.shape[1]), score_thr=score_thr, persons=persons), f,
                  indent=1)
    return paths


__all__: List[str] = [
    'init_multi_parser', 'inference_multi_parser', 'detect_persons', 'save_multi_parsing_result'
]
