"""Multi-person human parsing Inferencer: person boxes (an mmdet detector or given) + QANet.

Note:
    n: persons of an image. C: parsing classes, background included.
    H, W: image height and width.
"""
import os.path as osp
from typing import List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.structures import PixelData

from hp_mm.evaluation.submission_writers import write_cihp_prediction, write_json
from hp_mm.registry import INFERENCERS
from hp_mm.structures import QANET_SCORE_THR, person_instance_maps, to_numpy
from ..pipeline import is_top_down, person_fields
from .base_parsing_inferencer import BaseParsingInferencer
from .person_detection import detect_person_boxes, init_person_detector

_PERSON_SCORES = (('box_scores', 'box_score'), ('iou_scores', 'iou_score'),
                  ('pixel_scores', 'pixel_score'), ('scores', 'score'))


@INFERENCERS.register_module(name='multi-human-parsing')
@INFERENCERS.register_module()
class MultiHumanParsingInferencer(BaseParsingInferencer):
    """Find the persons of each image (any mmdet detector, or given boxes), parse them top-down.

    As mmpose's top-down Inferencers: the detector is mmdet's ``DetInferencer``
    run in mmdet's scope, its boxes of the class named ``person_class`` kept
    (:func:`~hp_mm.apis.inferencers.person_detection.init_person_detector`);
    the boxes go into the image's sample (``PackMultiPersonParsingInputs``)
    and the parser (``TopDownParser``) crops, parses, pastes back and scores
    them (QAM) in one ``test_step`` per batch. Then the persons shown are
    chosen once per prediction, as the metric scores them
    (:func:`hp_mm.structures.person_instance_maps`: kept by the model, score
    ``>= score_thr``, still visible): the drawing, the files and the returned
    persons all use that choice.

    Examples:
        >>> inferencer = MultiHumanParsingInferencer(
        ...     'qanet_r50_cihp', 'qanet.pth',
        ...     det_model='mmdet::rtmdet/rtmdet_tiny_8xb32-300e_coco.py', det_weights='rtmdet.pth')
        >>> out = inferencer('photos/', out_dir='outputs/', det_score_thr=0.3)
        >>> out['predictions'][0]['persons'][0]['score']   # QAM quality score
        >>> gt = MultiHumanParsingInferencer('qanet_r18_minihumans', 'qanet.pth')  # no detector
        >>> gt('a.jpg', bboxes=[[[10, 20, 60, 140]]])      # boxes given, x1 y1 x2 y2

    Call arguments besides the base's: ``det_score_thr`` (detector boxes
    below it are dropped; 0.3), ``bboxes`` (one (N, 4) or (N, 5) array per
    input, pixel-centre ``x1, y1, x2, y2`` [, score], instead of the
    detector; None in the list: detect that input) and ``score_thr`` (persons
    below this quality score are not shown; QANet's 0.01).

    Predictions (without ``return_datasamples``): per image a dict with
    ``sem_seg`` (H, W) int64 and ``persons``, one dict per person:
    ``human_id`` (1..K by descending score among those shown, 0 = not shown),
    ``bbox`` (x1, y1, x2, y2 in pixel centres), ``box_score``, ``iou_score``,
    ``pixel_score``, ``score`` (QAM), ``kept`` (when the model marks the
    persons it keeps) and ``parts``: per class name ``class_id``, ``score``,
    ``pixel_score``, ``instance_part_id`` (0 = not visible) and ``area``.
    The data samples (``return_datasamples=True``) also carry
    ``pred_instances.ids`` (n,), ``pred_human_ids`` and ``pred_instance_ids``
    (1, H, W), metainfo ``instance_regions`` and ``score_thr``.

    Files under ``out_dir``: CIHP's layout
    (:func:`~hp_mm.evaluation.submission_writers.write_cihp_prediction`:
    ``Category_ids/``, ``Human_ids/``, ``Instance_ids/``), ``json/<name>.json``
    (``image`` (the name), ``height``, ``width``, ``score_thr`` and the
    ``persons`` above) and ``vis/<name>.jpg`` (image | drawing); for a video, those of
    each frame ``<video>_<frame:06d>`` without ``vis/``, and the drawings in
    ``vis/<video>.mp4``.

    Args:
        model (str | Config): Parser config path, model name or config stem.
        weights (str, optional): Parser checkpoint.
        det_model (str | Config, optional): Detector config: a path,
            ``'mmdet::...'``, an mmdet model name or a config stem under
            ``configs/``. None: boxes must be given (``bboxes``).
        det_weights (str, optional): Detector checkpoint.
        device (str, optional): Device; default CUDA if available.
        cfg_options (dict, optional): Parser config overrides.
        det_cfg_options (dict, optional): Detector config overrides.
        person_class (str): The detector's class name of persons.
        show_progress (bool): Progress bar. Defaults to False.
        backend (str): ``'pytorch'`` or ``'onnxruntime'`` (the parser).
        label_set (str, optional): Convert the predictions to this label set.
        src_label_set (str, optional): The parser's label set.
    """

    preprocess_kwargs: set = {'det_score_thr', 'bboxes'}
    forward_kwargs: set = {'score_thr'}
    vis_subdir = 'vis'
    vis_suffix = ''
    video_suffix = ''

    def __init__(self,
                 model: Union[str, Config],
                 weights: Optional[str] = None,
                 det_model: Union[str, Config, None] = None,
                 det_weights: Optional[str] = None,
                 device: Optional[str] = None,
                 cfg_options: Optional[dict] = None,
                 det_cfg_options: Optional[dict] = None,
                 person_class: str = 'person',
                 show_progress: bool = False,
                 backend: str = 'pytorch',
                 label_set: Optional[str] = None,
                 src_label_set: Optional[str] = None) -> None:
        super().__init__(model, weights, device, cfg_options, show_progress, backend,
                         label_set=label_set, src_label_set=src_label_set)
        if not is_top_down(self.pipeline):
            raise ValueError(f'{self.cfg.filename}: not a top-down parser in image mode (its '
                             'test pipeline must end in PackMultiPersonParsingInputs)')
        self.detector, self.person_label = None, None
        if det_model is not None:
            self.detector, self.person_label = init_person_detector(
                det_model, det_weights, det_cfg_options, person_class, self.device)

    # ----------------------------------------------------------------- inputs
    def _sample_fields(self, record: dict, det_score_thr: float = 0.3,
                       bboxes: Optional[Sequence] = None) -> dict:
        """The person boxes of an input (given, or the detector's) and the parser's fields."""
        given = None
        if bboxes is not None:
            if record['index'] >= len(bboxes):
                raise IndexError(f'bboxes has {len(bboxes)} entries, one per input; none for '
                                 f'input {record["index"]} ({record["path"] or record["name"]})')
            given = bboxes[record['index']]
        if given is None and self.detector is None:
            raise ValueError('MultiHumanParsingInferencer without a detector (det_model=None) '
                             'needs the person boxes of every input: bboxes=[...]')
        boxes = given if given is not None else detect_person_boxes(
            self.detector, self.person_label, record['img'], det_score_thr)
        return person_fields(record['img'].shape[:2], self.model.decode_head.num_classes,
                             self.model.dataset_meta, boxes,
                             box_source='given' if given is not None else 'detector')

    # ---------------------------------------------------------------- forward
    def forward(self, inputs: dict, score_thr: float = QANET_SCORE_THR, **kwargs) -> list:
        """Parse the batch's persons, then choose those shown (see the class doc)."""
        preds = super().forward(inputs, **kwargs)
        for pred in preds:
            mark_shown_persons(pred, score_thr)
        return preds

    # ------------------------------------------------------- visualize / save
    def _draw(self, image: np.ndarray, pred, with_labels: bool) -> np.ndarray:
        return self.visualizer.draw_parsing(image, pred.pred_sem_seg, pred.pred_instances,
                                            with_labels)

    def _convert(self, pred, pred_out_dir: str) -> dict:
        """``sem_seg`` and ``persons`` (see the class doc); CIHP's files and the JSON."""
        persons = person_records(pred, self.classes)
        if pred_out_dir:
            name = pred.input_name
            write_cihp_prediction(pred_out_dir, name, pred.pred_sem_seg.data,
                                  pred.pred_human_ids.data, pred.pred_instance_ids.data,
                                  pred.instance_regions)
            h, w = pred.pred_sem_seg.data.shape[-2:]
            write_json(osp.join(pred_out_dir, 'json', f'{name}.json'),
                       dict(image=name, height=int(h), width=int(w), score_thr=pred.score_thr,
                            persons=persons))
        return dict(sem_seg=pred.pred_sem_seg.data[0].cpu().numpy(), persons=persons)


def mark_shown_persons(pred, score_thr: Optional[float] = QANET_SCORE_THR) -> None:
    """Choose the persons of a prediction that are shown, as the metric scores them.

    :func:`hp_mm.structures.person_instance_maps` of the persons the model
    kept (``pred_instances.kept``, when present) with quality score
    ``>= score_thr``; a person is shown when it is still visible there.

    Args:
        pred (SegDataSample): A ``TopDownParser`` image-mode prediction
            (``pred_sem_seg``, ``pred_instances`` with ``parsings``,
            ``scores``). Set on it: ``pred_instances.ids`` (n,) int64 CIHP
            human ids (0 = not shown), ``pred_human_ids`` and
            ``pred_instance_ids`` (PixelData (1, H, W) int64), metainfo
            ``instance_regions`` (``(instance_part_id, class_id, human_id,
            person, area)`` each) and ``score_thr``.
        score_thr (float, optional): Quality score threshold; None keeps all.
    """
    inst = pred.pred_instances
    h, w = pred.pred_sem_seg.data.shape[-2:]
    if len(inst) == 0:  # no person (person_instance_maps needs n >= 1)
        empty = np.zeros((h, w), dtype=np.int64)
        maps = dict(human_ids=empty, instance_ids=empty, person_human_id=np.zeros(0, np.int64),
                    regions=[])
    else:
        maps = person_instance_maps(inst.parsings, inst.scores, score_thr,
                                    keep=inst.kept if 'kept' in inst else None)
    device = pred.pred_sem_seg.data.device
    inst.ids = torch.as_tensor(maps['person_human_id'], dtype=torch.int64, device=device)
    pred.pred_human_ids = PixelData(data=torch.as_tensor(maps['human_ids'], device=device)[None])
    pred.pred_instance_ids = PixelData(
        data=torch.as_tensor(maps['instance_ids'], device=device)[None])
    pred.set_metainfo(dict(instance_regions=[tuple(int(v) for v in r) for r in maps['regions']],
                           score_thr=score_thr))


def person_records(pred, classes: Sequence[str]) -> List[dict]:
    """The persons of a prediction (after :func:`mark_shown_persons`) as plain Python.

    Args:
        pred (SegDataSample): The prediction.
        classes (Sequence[str]): Class names, background first (C).

    Returns:
        list[dict]: One dict per person, in the model's order (see
        :class:`MultiHumanParsingInferencer`).
    """
    inst = pred.pred_instances
    region_of = {(person, cls): (rid, area)
                 for rid, cls, _, person, area in pred.instance_regions}
    fields = {k: to_numpy(inst[k]) for k in ('bboxes', 'part_scores', 'part_pixel_scores', 'ids',
                                             'kept') + tuple(k for k, _ in _PERSON_SCORES)
              if k in inst}
    persons = []
    for p in range(len(inst)):
        person = dict(human_id=int(fields['ids'][p]),
                      bbox=[float(v) for v in fields['bboxes'][p]])
        person.update({name: float(fields[key][p]) for key, name in _PERSON_SCORES
                       if key in fields})
        if 'kept' in fields:
            person['kept'] = bool(fields['kept'][p])
        parts = {}
        for c in range(1, len(classes)):
            rid, area = region_of.get((p, c), (0, 0))
            part = dict(class_id=c)
            part.update({name: float(fields[key][p, c - 1]) for key, name in
                         (('part_scores', 'score'), ('part_pixel_scores', 'pixel_score'))
                         if key in fields})
            parts[classes[c]] = dict(part, instance_part_id=rid, area=area)
        person['parts'] = parts
        persons.append(person)
    return persons
