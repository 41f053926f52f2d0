"""Multi-person human parsing Inferencer: an mmdet person detector + a top-down parser (QANet)."""
import copy
import os.path as osp
from typing import Optional, Union

import numpy as np
import torch.nn as nn
from mmengine.config import Config

from hp_mm.registry import INFERENCERS
from ..multi_parsing_inference import (draw_multi_parsing_result, inference_multi_parser,
                                       init_multi_parser, save_multi_parsing_result)
from .base_parsing_inferencer import BaseParsingInferencer
from .utils import resolve_config


@INFERENCERS.register_module(name='multi-human-parsing')
@INFERENCERS.register_module()
class MultiHumanParsingInferencer(BaseParsingInferencer):
    """Detect the persons of each image with any mmdet detector, then parse them top-down.

    As mmpose's ``Pose2DInferencer`` (detector in the loop): the detector is
    built and run in mmdet's scope and its boxes of the class named
    ``person`` in the detector's own ``dataset_meta`` (its checkpoint's
    classes, or COCO's) are kept (:func:`~hp_mm.apis.init_multi_parser`,
    :func:`~hp_mm.apis.detect_persons`); the parser (``TopDownParser``) crops,
    parses, pastes back and scores them (QAM) in one ``test_step`` per batch
    (:func:`~hp_mm.apis.inference_multi_parser`).

    Examples:
        >>> inferencer = MultiHumanParsingInferencer(
        ...     'qanet_r50_cihp', 'qanet.pth',
        ...     det_model='mmdet::rtmdet/rtmdet_tiny_8xb32-300e_coco.py', det_weights='rtmdet.pth')
        >>> out = inferencer('photos/', out_dir='outputs/', det_score_thr=0.3)
        >>> out['predictions'][0]['persons'][0]['score']   # QAM quality score

    Predictions (without ``return_datasamples``): per image a dict with
    ``sem_seg`` (H, W) int64 and ``persons``, a list of dicts ``bbox`` (x1, y1,
    x2, y2 in pixel centres), ``score`` (QAM), ``box_score``, ``iou_score``,
    ``pixel_score``, ``part_scores`` ({class name: QAM part score}) and
    ``kept`` (when the model marks the persons it keeps).

    Files under ``out_dir``: the CIHP layout of
    :func:`~hp_mm.apis.save_multi_parsing_result` (``Category_ids/``,
    ``Human_ids/``, ``Instance_ids/``, ``json/``, ``vis/``); for a video,
    those of each frame ``<video>_<frame:06d>`` without ``vis/``, and the
    drawings in ``vis/<video>.mp4``.

    Args:
        model (str | Config): Parser config path, metafile model name or
            config stem.
        weights (str, optional): Parser checkpoint.
        det_model (str | Config): Detector config: a path, ``'mmdet::...'``,
            an mmdet metafile model name (e.g. ``'rtmdet_tiny_8xb32-300e_coco'``)
            or a config stem under ``configs/`` (e.g. ``'fcos_r50_fpn_cihp'``).
        det_weights (str, optional): Detector checkpoint (else the mmdet
            metafile's weights).
        device (str, optional): Device; default CUDA if available.
        cfg_options (dict, optional): Parser config overrides.
        det_cfg_options (dict, optional): Detector config overrides.
        person_class (str): The detector's class name of persons. Defaults
            to ``'person'`` (COCO's, CIHP's); an error names the classes if
            the detector has no such class.
        show_progress (bool): Progress bar. Defaults to False.
    """

    forward_kwargs: set = {'det_score_thr'}
    visualize_kwargs: set = BaseParsingInferencer.visualize_kwargs | {'score_thr'}

    def __init__(self,
                 model: Union[str, Config],
                 weights: Optional[str] = None,
                 det_model: Union[str, Config, None] = None,
                 det_weights: Optional[str] = None,
                 device: Optional[str] = None,
                 cfg_options: Optional[dict] = None,
                 det_cfg_options: Optional[dict] = None,
                 person_class: str = 'person',
                 show_progress: bool = False) -> None:
        if det_model is None:
            raise ValueError('MultiHumanParsingInferencer needs a person detector: det_model= '
                             'an mmdet config path, "mmdet::..." or a model name')
        self._det_args = (det_model, det_weights, det_cfg_options, person_class)
        self._score_thr: Optional[float] = None
        super().__init__(model, weights, device, cfg_options, show_progress)

    def _init_model(self, cfg: Config, weights: Optional[str], device: str = 'cpu') -> nn.Module:
        det_model, det_weights, det_cfg_options, person_class = self._det_args
        det_cfg, meta_weights = resolve_config(det_model, scope='mmdet')
        models = init_multi_parser(copy.deepcopy(det_cfg), det_weights or meta_weights, cfg,
                                   weights, device=device, det_cfg_options=det_cfg_options,
                                   person_class=person_class)
        self.detector = models['detector']
        self.person_label = models['person_label']
        return models['parser']

    @property
    def models(self) -> dict:
        """``detector``, ``parser`` and ``person_label``, as :func:`init_multi_parser` returns."""
        return dict(detector=self.detector, parser=self.model, person_label=self.person_label)

    def _forward_batch(self, imgs, det_score_thr: float = 0.3, **kwargs) -> list:
        return inference_multi_parser(self.models, list(imgs), det_score_thr=det_score_thr,
                                      batch_size=len(imgs))

    def visualize(self, pairs, score_thr: Optional[float] = None, **kwargs):
        """:meth:`BaseParsingInferencer.visualize`; ``score_thr``: persons below it are not
        drawn nor written (default: :func:`save_multi_parsing_result`'s)."""
        self._score_thr = score_thr
        return super().visualize(pairs, **kwargs)

    def _draw(self, img_rgb: np.ndarray, pred, with_labels: bool) -> np.ndarray:
        return draw_multi_parsing_result(self.visualizer, img_rgb, pred,
                                         **self._thr_kwargs(), with_legend=with_labels)

    def _thr_kwargs(self) -> dict:
        return {} if self._score_thr is None else dict(score_thr=self._score_thr)

    def _prediction(self, pred) -> dict:
        inst = pred.pred_instances
        classes = (self.model.dataset_meta or {}).get('classes')
        fields = {k: inst[k].cpu().numpy() for k in ('bboxes', 'scores', 'box_scores',
                                                     'iou_scores', 'pixel_scores', 'part_scores')
                  if k in inst}
        kept = inst.kept.cpu().numpy() if 'kept' in inst else None
        persons = []
        for p in range(len(inst)):
            person = dict(bbox=[float(v) for v in fields['bboxes'][p]])
            for key, name in (('scores', 'score'), ('box_scores', 'box_score'),
                              ('iou_scores', 'iou_score'), ('pixel_scores', 'pixel_score')):
                if key in fields:
                    person[name] = float(fields[key][p])
            if 'part_scores' in fields:
                person['part_scores'] = {
                    (classes[c + 1] if classes and c + 1 < len(classes) else str(c + 1)):
                    float(s) for c, s in enumerate(fields['part_scores'][p])}
            if kept is not None:
                person['kept'] = bool(kept[p])
            persons.append(person)
        return dict(sem_seg=pred.pred_sem_seg.data[0].cpu().numpy(), persons=persons)

    def _save(self, record: dict, pred, vis, out_dir: str, video_frame: bool, **kwargs) -> None:
        save_multi_parsing_result(record['img'], pred, out_dir, self.model.dataset_meta,
                                  name=record['name'], visualizer=self.visualizer, overlay=vis,
                                  save_overlay=not video_frame, **self._thr_kwargs())

    def _video_out_file(self, out_dir: str) -> str:
        return osp.join(out_dir, 'vis', f'{self._video_info["name"]}.mp4')
