"""Multi-person parsing of a user's own images: an mmdet person detector + a top-down parser.

    models = init_multi_parser('configs/qanet/detectors/fcos_r50_fpn_cihp.py', 'det.pth',
                               'configs/qanet/qanet_r50_cihp.py', 'qanet.pth', device='cpu')
    results = inference_multi_parser(models, ['a.jpg', 'b.jpg'], det_score_thr=0.3)
    save_multi_parsing_result('a.jpg', results[0], 'out/', models['parser'].dataset_meta)

Drawing goes through :class:`~hp_mm.visualization.ParsingLocalVisualizer`
(:func:`draw_multi_parsing_result`), the visualizer of ``tools/test.py
--show-dir`` and of the Inferencers.

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
from typing import Dict, List, Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData
from mmengine.utils import mkdir_or_exist

from hp_mm.datasets.transforms.formatting import PackMultiPersonParsingInputs
from hp_mm.evaluation.submission_writers import write_cihp_prediction
from hp_mm.structures import bbox_coco_to_center_xyxy, person_instance_maps
from hp_mm.visualization import ParsingLocalVisualizer
from .parsing_inference import equal_shape_chunks, init_parser, parsing_visualizer, read_image

ImageLike = Union[str, np.ndarray]


def init_multi_parser(det_config: Union[str, Config],
                      det_checkpoint: Optional[str],
                      parser_config: Union[str, Config],
                      parser_checkpoint: Optional[str],
                      device: str = 'cpu',
                      det_cfg_options: Optional[dict] = None,
                      parser_cfg_options: Optional[dict] = None,
                      person_class: str = 'person') -> Dict[str, torch.nn.Module]:
    """Build the person detector (mmdet scope) and the parser (hp_mm scope).

    Any mmdet detector works: its persons are the class named
    ``person_class`` in the detector's own ``dataset_meta`` (its checkpoint's
    classes; COCO's when the checkpoint has none), not a fixed index.

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
        person_class (str): The detector's class name of persons (compared
            case-insensitively). Defaults to ``'person'`` (COCO's, CIHP's).

    Returns:
        dict: ``detector`` and ``parser`` (both in eval mode, with ``cfg``
        and ``dataset_meta``), and ``person_label``, the detector's class
        index of persons.

    Raises:
        ValueError: The detector has no class named ``person_class``.
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
    classes = [str(c) for c in (detector.dataset_meta or {}).get('classes', ())]
    lowered = [c.lower() for c in classes]
    if person_class.lower() not in lowered:
        shown = ', '.join(repr(c) for c in classes[:10]) + (', ...' if len(classes) > 10 else '')
        raise ValueError(
            f'the detector {getattr(det_config, "filename", None) or "(config)"} has no class '
            f'named {person_class!r} in its dataset_meta (classes: {shown or "none"}); pass '
            'the name of its person class as person_class=')
    person_label = lowered.index(person_class.lower())
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
                           det_score_thr: float = 0.3,
                           batch_size: int = 1):
    """Detect the persons of each image, then parse them top-down.

    The detector runs image by image; the parser runs one ``test_step`` over
    up to ``batch_size`` consecutive images of one size (its data
    preprocessor stacks only equal-size test images).

    Args:
        models (dict): From :func:`init_multi_parser`.
        imgs (str | ndarray | Sequence): Image files or BGR arrays (H, W, 3).
        det_score_thr (float): Person boxes with a lower detector score are
            dropped. Defaults to 0.3.
        batch_size (int): Images per parser pass. Defaults to 1.

    Returns:
        SegDataSample | list[SegDataSample]: Per image (one for a single
        input), the parser's image-mode prediction: ``person_boxes`` (the
        kept boxes), ``pred_sem_seg`` (1, H, W) and ``pred_instances`` with
        ``bboxes`` (N, 4), ``box_scores``, ``iou_scores``, ``pixel_scores``,
        ``scores`` (N,), ``part_pixel_scores``, ``part_scores`` (N, C - 1),
        ``parsings`` (N, H, W) uint8, ``kept`` (N,) bool (see
        ``TopDownParser``); metainfo ``img_path`` (files only), ``ori_shape``,
        ``img_shape``.

    Raises:
        OSError: An image file is unreadable or truncated
            (:func:`~hp_mm.apis.read_image`).
    """
    detector, parser = models['detector'], models['parser']
    person_label = models.get('person_label', 0)
    single = not isinstance(imgs, (list, tuple))
    imgs = [imgs] if single else list(imgs)
    meta = parser.dataset_meta or {}
    num_classes = parser.decode_head.num_classes
    pack = PackMultiPersonParsingInputs()
    packed = []
    for img in imgs:
        path = img if isinstance(img, str) else None
        array = read_image(path) if path else img
        if not isinstance(array, np.ndarray) or array.ndim != 3:
            raise ValueError(f'expected a BGR image (H, W, 3), got '
                             f'{getattr(array, "shape", type(array).__name__)}')
        boxes = detect_persons(detector, array, person_label, det_score_thr)
        info = dict(img=array, ori_shape=array.shape[:2], img_shape=array.shape[:2],
                    bboxes=boxes['bboxes'], bbox_scores=boxes['scores'],
                    num_classes=num_classes, box_source='detector')
        if path:
            info['img_path'] = path
        if meta.get('flip_pairs') is not None:
            info['flip_pairs'] = meta['flip_pairs']
        packed.append(pack(info))
    results = []
    for chunk in equal_shape_chunks(packed, batch_size):
        with DefaultScope.overwrite_default_scope('hp_mm'):
            results += parser.test_step(dict(inputs=[p['inputs'] for p in chunk],
                                              data_samples=[p['data_samples'] for p in chunk]))
    return results[0] if single else results


def shown_persons(result, score_thr: Optional[float] = 0.01) -> Tuple[InstanceData, dict]:
    """The persons of a prediction that are drawn and written, with their CIHP human ids.

    :func:`hp_mm.structures.person_instance_maps` of the persons the model
    kept (``pred_instances.kept``, when present) with quality score
    ``>= score_thr``; a person is shown when it is still visible there.

    Args:
        result (SegDataSample): From :func:`inference_multi_parser`.
        score_thr (float, optional): Quality score threshold (QANet: 0.01).

    Returns:
        tuple[InstanceData, dict]: The shown persons (the prediction's
        fields plus ``ids`` (k,) int64, their human ids) and the instance
        maps.
    """
    inst = result.pred_instances
    if len(inst) == 0:  # no person detected (person_instance_maps needs n >= 1)
        h, w = inst.parsings.shape[-2:]
        empty = np.zeros((h, w), dtype=np.int64)
        maps = dict(human_ids=empty, instance_ids=empty.copy(), category_ids=empty.copy(),
                    person_human_id=np.zeros(0, dtype=np.int64), regions=[])
    else:
        maps = person_instance_maps(inst.parsings, inst.scores, score_thr,
                                    keep=inst.kept if 'kept' in inst else None)
    human_id = torch.as_tensor(maps['person_human_id'])
    shown = inst[(human_id > 0).to(inst.scores.device)] if len(inst) else inst
    shown = shown.clone()
    shown.ids = human_id[human_id > 0].to(inst.scores.device)
    return shown, maps


def draw_multi_parsing_result(visualizer: ParsingLocalVisualizer,
                              image: np.ndarray,
                              result,
                              score_thr: Optional[float] = 0.01,
                              with_legend: bool = True,
                              shown: Optional[InstanceData] = None) -> np.ndarray:
    """Draw one multi-person prediction: ``pred_sem_seg`` and the shown persons.

    Args:
        visualizer (ParsingLocalVisualizer): Set to the parser's classes.
        image (ndarray): RGB image (H, W, 3).
        result (SegDataSample): From :func:`inference_multi_parser`.
        score_thr (float, optional): See :func:`shown_persons`.
        with_legend (bool): Draw the legend of the classes present.
        shown (InstanceData, optional): :func:`shown_persons`' persons, if
            already computed.

    Returns:
        ndarray: The RGB drawing (H, W, 3): part colours, each shown person's
        box, human id, quality score and best parts.
    """
    if shown is None:
        shown, _ = shown_persons(result, score_thr)
    return visualizer.draw_parsing(image, result.pred_sem_seg, shown, with_legend)


def save_multi_parsing_result(img: ImageLike,
                              result,
                              out_dir: str,
                              dataset_meta: Optional[dict] = None,
                              name: Optional[str] = None,
                              score_thr: float = 0.01,
                              alpha: Optional[float] = None,
                              visualizer: Optional[ParsingLocalVisualizer] = None,
                              overlay: Optional[np.ndarray] = None,
                              save_overlay: bool = True) -> Dict[str, str]:
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
    - ``vis/<name>.jpg``: the image and :func:`draw_multi_parsing_result`'s
      drawing side by side (each shown person's box, human id, quality score
      and best parts);
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
        alpha (float, optional): Part opacity; default the visualizer's (0.6).
        visualizer (ParsingLocalVisualizer, optional): Draw with this one.
        overlay (ndarray, optional): The RGB drawing, if already made (e.g.
            by an Inferencer): it is written as it is.
        save_overlay (bool): Write ``vis/<name>.jpg``. Defaults to True.

    Returns:
        dict[str, str]: The written paths (keys ``category``, ``human``,
        ``instance``, ``instance_txt``, ``json`` and, with ``save_overlay``,
        ``vis``).
    """
    image = read_image(img) if isinstance(img, str) else img
    if name is None:
        name = osp.splitext(osp.basename(img))[0] if isinstance(img, str) else 'result'
    meta = dataset_meta or {}
    inst = result.pred_instances
    num_classes = int(inst.part_scores.shape[1]) + 1
    classes = list(meta.get('classes') or [str(c) for c in range(num_classes)])
    # the persons the model kept (parsing NMS and its score_thr), as the metric scores them
    shown, maps = shown_persons(result, score_thr)
    paths = write_cihp_prediction(out_dir, name, result.pred_sem_seg.data, maps['human_ids'],
                                  maps['instance_ids'], maps['regions'])
    paths['json'] = osp.join(out_dir, 'json', f'{name}.json')
    mkdir_or_exist(osp.dirname(paths['json']))
    if save_overlay:
        if overlay is None:
            vis = parsing_visualizer(classes, meta.get('palette'), visualizer, alpha)
            overlay = draw_multi_parsing_result(vis, mmcv.bgr2rgb(image), result,
                                                shown=shown)
        paths['vis'] = osp.join(out_dir, 'vis', f'{name}.jpg')
        mmcv.imwrite(np.concatenate([image, mmcv.rgb2bgr(overlay)], axis=1), paths['vis'])

    bboxes = inst.bboxes.cpu().numpy()
    scores = inst.scores.cpu().numpy()
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
            **({'kept': bool(inst.kept[p])} if 'kept' in inst else {}),
            parts=parts))
    with open(paths['json'], 'w') as f:
        json.dump(dict(image=img if isinstance(img, str) else name, height=int(image.shape[0]),
                       width=int(image.shape[1]), score_thr=score_thr, persons=persons), f,
                  indent=1)
    return paths


__all__: List[str] = [
    'init_multi_parser', 'inference_multi_parser', 'detect_persons', 'shown_persons',
    'draw_multi_parsing_result', 'save_multi_parsing_result'
]
