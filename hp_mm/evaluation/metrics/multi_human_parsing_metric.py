"""Multi-person (instance-level) human parsing metric: AP^p, PCP, AP^r, mIoU per ranking."""
import os.path as osp
from collections import OrderedDict
from collections.abc import Mapping
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log
from mmengine.utils import mkdir_or_exist
from prettytable import PrettyTable

from hp_mm.evaluation.functional.multi_human_parsing import (QANET_MAX_REGIONS,
                                                             accumulate_image, summarize)
from hp_mm.evaluation.submission_writers import write_cihp_prediction
from hp_mm.registry import METRICS
from hp_mm.structures import as_label_map, person_instance_maps, to_numpy

#: The result keys of one ranking, in table order.
METRIC_KEYS = ('AP_p', 'AP_p50', 'PCP50', 'AP_r', 'AP_r50', 'mIoU')
#: Name of the single ranking of a prediction without ``variant_scores``.
MODEL_VARIANT = 'model'
#: Arguments that moved to the model's ``test_cfg`` (QANet's post-processing).
_MOVED_TO_MODEL = dict(score_variants='score_variants', score_thr='score_thr',
                       miou_score_thr='semseg_score_thr', parsing_nms_thr='parsing_nms_thr')


@METRICS.register_module()
class MultiHumanParsingMetric(BaseMetric):
    """QANet's multi-person parsing metrics of exactly what the model predicted.

    Reports, in percent (definitions: ``configs/qanet/README.md``, "Evaluation
    protocol", and :mod:`hp_mm.evaluation.functional.multi_human_parsing`):
    ``AP_p`` (AP^p_vol, mean over IoU thresholds 0.1..0.9), ``AP_p50``,
    ``PCP50``, ``AP_r`` (AP^r_vol), ``AP_r50`` and ``mIoU``, as in QANet
    Tables 1-3.

    **What is scored.** The model's post-processing
    (:func:`hp_mm.models.utils.qanet_post_process`, called by
    ``TopDownParser.predict``) owns the QAM weights, the score and NMS
    thresholds and the semantic map; the metric recomputes none of them. mIoU
    scores ``pred_sem_seg``; AP^p / PCP / AP^r rank the persons of every
    ranking the model returned (``pred_instances.score_variants``: the model's
    own QAM ranking first, then e.g. box score only = "QAM off" and pixel
    score only, QANet Table 1) by their ``variant_scores`` /
    ``variant_part_scores``, counting the persons ``variant_kept`` (parsing NMS
    and ``score_thr``). The first ranking gives the plain keys (``AP_p`` ...),
    the others ``<ranking>/AP_p`` ... (no ``mIoU``: one semantic map). A
    prediction without ``variant_scores`` is scored with its ``scores``,
    ``part_scores`` and ``kept`` (default: all) as one ranking.

    **Streaming.** ``process`` keeps, per image, one dict ``{ranking: record}``
    of :func:`accumulate_image` records (scores, per-threshold flags, region
    IoUs, a C x C confusion matrix; no mask), so ``collect_results``
    re-interleaves the ranks and drops the sampler's padding by count.

    **Submission.** With ``output_dir`` the predictions are written in CIHP's
    layout (:func:`hp_mm.evaluation.submission_writers.write_cihp_prediction`:
    ``Category_ids`` = ``pred_sem_seg``, ``Human_ids`` / ``Instance_ids`` of the
    kept persons of the first ranking); with ``format_only`` nothing is scored
    (no ground truth needed), as mmseg's ``IoUMetric``.

    Consumed data-sample fields (an image-mode sample after
    ``TopDownParser.predict``): ``gt_sem_seg.data`` (1, H, W) category map
    (values outside ``[0, C)`` ignored), ``gt_instance_map.data`` (1, H, W)
    person ids (0 = none), ``pred_sem_seg.data`` (1, H, W), ``pred_instances``
    with ``parsings`` (N, H, W) integer per-person label maps over the image
    and the rankings above.

    Note:
        N: number of persons predicted in an image (detector boxes).
        V: rankings. C: number of classes, background included.
        H, W: image height and width.

    Args:
        max_regions (int, optional): QANet's cap of 254 part regions per image
            (uint8 PNG). None keeps all.
        skip_empty_gt_persons (bool): Drop gt persons without a foreground
            pixel (MHP-v2's official evaluator). Defaults to False (QANet).
        count_empty_images (bool): Count images without any predicted person
            in AP^r and mIoU. Defaults to False (QANet).
        class_mean (str): ``'nanmean'`` (QANet) or ``'mean'`` (CIHP_PGN) over
            the per-class AP^r.
        decimals (int, optional): Rounding of the returned percentages.
            Defaults to 2; None keeps full precision.
        format_only (bool): Only write the submission (needs ``output_dir``).
        output_dir (str, optional): Where to write the CIHP-layout predictions.
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Key prefix; None uses ``default_prefix``.
        collect_dir (str, optional): Directory for collecting results across
            ranks when ``collect_device='cpu'``.
    """
    default_prefix: Optional[str] = 'parsing'

    def __init__(self,
                 max_regions: Optional[int] = QANET_MAX_REGIONS,
                 skip_empty_gt_persons: bool = False,
                 count_empty_images: bool = False,
                 class_mean: str = 'nanmean',
                 decimals: Optional[int] = 2,
                 format_only: bool = False,
                 output_dir: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None,
                 **kwargs) -> None:
        moved = sorted(set(kwargs) & set(_MOVED_TO_MODEL))
        if moved:
            raise TypeError(
                f'MultiHumanParsingMetric does not take {moved} any more: the model owns '
                'QANet\'s post-processing; set ' +
                ', '.join(f'model.test_cfg.{_MOVED_TO_MODEL[k]}' for k in moved) + ' instead')
        if kwargs:
            raise TypeError(f'unexpected MultiHumanParsingMetric arguments: {sorted(kwargs)}')
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)
        if class_mean not in ('nanmean', 'mean'):
            raise ValueError(f"class_mean must be 'nanmean' or 'mean', got {class_mean!r}")
        if format_only and not output_dir:
            raise ValueError('format_only=True needs an output_dir for the CIHP-layout files')
        self.max_regions = max_regions
        self.skip_empty_gt_persons = skip_empty_gt_persons
        self.count_empty_images = count_empty_images
        self.class_mean = class_mean
        self.decimals = decimals
        self.format_only = format_only
        self.output_dir = output_dir
        if output_dir:
            mkdir_or_exist(output_dir)

    # ------------------------------------------------------------------ per image
    @staticmethod
    def rankings(pred_instances: Mapping, num_classes: int) -> 'OrderedDict[str, tuple]':
        """The rankings of a prediction: ``{name: (scores, part_scores, kept)}``.

        Args:
            pred_instances (Mapping): The fields listed in the class docstring.
            num_classes (int): C.

        Returns:
            OrderedDict: name -> (scores (N,) float64, part_scores (N, C - 1)
            float64, kept (N,) bool, weights), ndarrays; ``weights`` are the
            ranking's QAM weights (``score_variant_weights``) or None.
        """

        def field(name, shape_tail, dtype):
            if name not in pred_instances:
                raise KeyError(f'pred_instances has no "{name}" '
                               f'(fields: {sorted(pred_instances.keys())})')
            value = torch.as_tensor(pred_instances[name]).detach().cpu().to(dtype)
            if value.dim() != 1 + len(shape_tail) or tuple(value.shape[1:]) != shape_tail:
                raise ValueError(f'pred_instances.{name} has shape {tuple(value.shape)}, '
                                 f'expected (N{"".join(", " + str(d) for d in shape_tail)}) '
                                 f'(num_classes={num_classes})')
            return value.numpy()

        out = OrderedDict()
        if 'variant_scores' in pred_instances:
            names = tuple(pred_instances.get('score_variants') or ())
            V = len(names)
            if not V:
                raise KeyError('pred_instances has variant_scores but no score_variants names')
            scores = field('variant_scores', (V, ), torch.float64)
            parts = field('variant_part_scores', (V, num_classes - 1), torch.float64)
            kept = field('variant_kept', (V, ), torch.bool)
            weights = tuple(pred_instances.get('score_variant_weights') or (None, ) * V)
            for v, name in enumerate(names):
                w = None if weights[v] is None else tuple(float(x) for x in weights[v])
                out[name] = (scores[:, v], parts[:, v], kept[:, v], w)
            return out
        scores = field('scores', (), torch.float64)
        parts = field('part_scores', (num_classes - 1, ), torch.float64)
        kept = field('kept', (), torch.bool) if 'kept' in pred_instances else \
            np.ones(scores.shape[0], dtype=bool)
        out[MODEL_VARIANT] = (scores, parts, kept, None)
        return out

    @staticmethod
    def sample_records(pred_instances: Mapping,
                       pred_sem_seg,
                       gt_category_map,
                       gt_instance_map,
                       num_classes: int,
                       max_regions: Optional[int] = QANET_MAX_REGIONS,
                       skip_empty_gt_persons: bool = False) -> Dict[str, dict]:
        """The item stored for one image: one :func:`accumulate_image` record per ranking.

        Args:
            pred_instances (Mapping): ``parsings`` (N, H, W) and the rankings.
            pred_sem_seg (ndarray | Tensor): (1, H, W) or (H, W) semantic map.
            gt_category_map (ndarray | Tensor): (H, W) part classes.
            gt_instance_map (ndarray | Tensor): (H, W) person ids, 0 = none.
            num_classes (int): C.
            max_regions, skip_empty_gt_persons: As in the class.

        Returns:
            dict[str, dict]: ``{ranking: record}``.
        """
        if 'parsings' not in pred_instances:
            raise KeyError(f'pred_instances has no "parsings" '
                           f'(fields: {sorted(pred_instances.keys())})')
        parsings = to_numpy(pred_instances['parsings'], 'pred_instances.parsings')
        gt = dict(category_map=as_label_map(gt_category_map, 'gt_sem_seg'),
                  instance_map=as_label_map(gt_instance_map, 'gt_instance_map'))
        sem_seg = as_label_map(pred_sem_seg, 'pred_sem_seg')
        if parsings.ndim != 3 or parsings.shape[1:] != gt['category_map'].shape:
            raise ValueError(f'pred_instances.parsings has shape {parsings.shape}, expected '
                             f'(N, {", ".join(map(str, gt["category_map"].shape))})')
        n = parsings.shape[0]
        records = {}
        for name, (scores, part_scores, kept, weights) in MultiHumanParsingMetric.rankings(
                pred_instances, num_classes).items():
            if scores.shape[0] != n:
                raise ValueError(f'{n} parsings but {scores.shape[0]} scores ({name})')
            persons = [
                dict(parsing=parsings[i], score=float(scores[i]), part_scores=part_scores[i],
                     kept=bool(kept[i])) for i in range(n)
            ]
            records[name] = accumulate_image(
                persons, gt, num_classes, score_thr=-np.inf, max_regions=max_regions,
                skip_empty_gt_persons=skip_empty_gt_persons, sem_seg=sem_seg)
            records[name]['weights'] = weights
        return records

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Append one ``{ranking: record}`` item per sample (and write the submission).

        Args:
            data_batch (dict): A batch from the dataloader (unused).
            data_samples (Sequence[dict]): The model outputs (see the class
                docstring for the fields).
        """
        num_classes = self._num_classes(data_samples)
        for data_sample in data_samples:
            where = data_sample.get('img_path') or data_sample.get('seg_map_path') or \
                'a data sample'
            try:
                needed = ('pred_instances', 'pred_sem_seg') if self.format_only else \
                    ('gt_sem_seg', 'gt_instance_map', 'pred_instances', 'pred_sem_seg')
                for key in needed:
                    if data_sample.get(key) is None:
                        raise KeyError(f'the data sample has no "{key}" (a packed image-mode '
                                       'sample with the parser\'s predictions is needed)')
                if self.output_dir:
                    self.write_prediction(data_sample, num_classes)
                if self.format_only:
                    continue
                item = self.sample_records(
                    data_sample['pred_instances'], data_sample['pred_sem_seg']['data'],
                    data_sample['gt_sem_seg']['data'], data_sample['gt_instance_map']['data'],
                    num_classes, max_regions=self.max_regions,
                    skip_empty_gt_persons=self.skip_empty_gt_persons)
            except (KeyError, ValueError, TypeError) as e:
                raise type(e)(f'{where}: {e.args[0] if e.args else e}') from e
            self.results.append(item)

    def write_prediction(self, data_sample: Mapping, num_classes: int) -> Dict[str, str]:
        """Write one sample's CIHP-layout files under ``output_dir``."""
        pred = data_sample['pred_instances']
        scores, _, kept, _ = next(iter(self.rankings(pred, num_classes).values()))
        maps = person_instance_maps(pred['parsings'], scores, score_thr=None, keep=kept)
        path = data_sample.get('img_path') or data_sample.get('seg_map_path')
        if not path:
            raise KeyError('the data sample has no img_path to name its submission files')
        name = osp.splitext(osp.basename(path))[0]
        return write_cihp_prediction(self.output_dir, name, data_sample['pred_sem_seg']['data'],
                                     maps['human_ids'], maps['instance_ids'], maps['regions'])

    def _num_classes(self, data_samples: Sequence[dict]) -> int:
        meta = self.dataset_meta or {}
        if meta.get('classes'):
            return len(meta['classes'])
        for data_sample in data_samples:
            if data_sample.get('num_classes'):
                return int(data_sample['num_classes'])
        raise ValueError('MultiHumanParsingMetric needs the number of classes: set '
                         'dataset_meta["classes"] (done by the runner) or a num_classes metainfo')

    # ------------------------------------------------------------------ summary
    @staticmethod
    def summarize(results: Sequence[Mapping[str, dict]],
                  num_classes: int,
                  count_empty_images: bool = False,
                  class_mean: str = 'nanmean',
                  decimals: Optional[int] = 2) -> dict:
        """Final metrics of every variant from the per-image items.

        Args:
            results (Sequence[Mapping[str, dict]]): Items of
                :meth:`sample_records`, in data-set order.
            num_classes (int): C.
            count_empty_images (bool): See the class.
            class_mean (str): See the class.
            decimals (int, optional): Rounding of the metrics.

        Returns:
            dict: ``metrics`` (the flat dict: headline keys, then
            ``<variant>/<key>`` without ``mIoU``), ``variants`` (variant ->
            the :func:`summarize` dict with ``details``, unrounded) and
            ``num_images``.
        """
        if not results:
            raise ValueError('no results to summarize (empty data set?)')
        names = list(results[0])
        for i, item in enumerate(results):
            if list(item) != names:
                raise ValueError(f'result {i} has variants {list(item)}, result 0 has {names}')
        per_variant = OrderedDict()
        for name in names:
            per_variant[name] = summarize([item[name] for item in results], num_classes,
                                          count_empty_images=count_empty_images,
                                          class_mean=class_mean, details=True)

        def rounded(value):
            value = float(value)
            return value if decimals is None or np.isnan(value) else round(value, decimals)

        metrics = OrderedDict()
        for i, (name, res) in enumerate(per_variant.items()):
            for key in METRIC_KEYS:
                if i == 0:
                    metrics[key] = rounded(res[key])
                elif key != 'mIoU':
                    metrics[f'{name}/{key}'] = rounded(res[key])
        return dict(metrics=dict(metrics), variants=per_variant, num_images=len(results))

    @staticmethod
    def calculate(preds: Sequence[Mapping],
                  pred_sem_segs: Sequence,
                  gts: Sequence[Mapping],
                  num_classes: int,
                  max_regions: Optional[int] = QANET_MAX_REGIONS,
                  skip_empty_gt_persons: bool = False,
                  count_empty_images: bool = False,
                  class_mean: str = 'nanmean',
                  decimals: Optional[int] = 2) -> Dict[str, float]:
        """The metrics of a data set without a runner.

        Args:
            preds (Sequence[Mapping]): Per image, the ``pred_instances`` fields.
            pred_sem_segs (Sequence): Per image, the (H, W) semantic map.
            gts (Sequence[Mapping]): Per image, ``dict(category_map=(H, W),
                instance_map=(H, W))``.
            num_classes (int): C.
            Others: as in the class.

        Returns:
            dict[str, float]: The keys of :meth:`compute_metrics`, unprefixed.
        """
        if not len(preds) == len(pred_sem_segs) == len(gts):
            raise ValueError(f'{len(preds)} predictions, {len(pred_sem_segs)} semantic maps '
                             f'for {len(gts)} ground truths')
        results = [
            MultiHumanParsingMetric.sample_records(p, m, g['category_map'], g['instance_map'],
                                                   num_classes, max_regions,
                                                   skip_empty_gt_persons)
            for p, m, g in zip(preds, pred_sem_segs, gts)
        ]
        return MultiHumanParsingMetric.summarize(results, num_classes, count_empty_images,
                                                 class_mean, decimals)['metrics']

    def compute_metrics(self, results: List[Mapping[str, dict]]) -> Dict[str, float]:
        """Summarize the collected items, log the tables and return the metrics.

        Args:
            results (list[dict]): The ``{variant: record}`` items of every image,
                from all ranks.

        Returns:
            dict[str, float]: ``AP_p``, ``AP_p50``, ``PCP50``, ``AP_r``,
            ``AP_r50``, ``mIoU`` of the first variant, and ``<variant>/AP_p``,
            ... (no ``mIoU``) of the others, in percent.
        """
        logger: MMLogger = MMLogger.get_current_instance()
        if self.format_only:
            print_log(f'multi-person predictions written to {self.output_dir} (CIHP layout); '
                      'format_only: nothing scored', logger)
            return OrderedDict()
        meta = self.dataset_meta or {}
        num_classes = len(meta['classes']) if meta.get('classes') else \
            int(np.asarray(results[0][next(iter(results[0]))]['confusion']).shape[0])
        class_names = list(meta.get('classes') or [str(c) for c in range(num_classes)])
        out = self.summarize(results, num_classes, self.count_empty_images, self.class_mean,
                             self.decimals)

        def fmt(value):
            return '-' if np.isnan(value) else f'{value:.2f}'

        columns = ('mIoU', ) + METRIC_KEYS[:-1]  # the paper's column order
        table = PrettyTable(['Scores', '(a, b, g)'] + list(columns))
        for name, res in out['variants'].items():
            w = results[0][name].get('weights')
            weights = 'model' if w is None else ', '.join(f'{x:g}' for x in w)
            table.add_row([name, weights] + [fmt(res[k]) for k in columns])
        print_log(f'multi-person parsing on {out["num_images"]} images (QANet Table 1 style; '
                  'mIoU scores the model\'s semantic map, the same for every row):', logger)
        print_log('\n' + table.get_string(), logger=logger)

        name, head = next(iter(out['variants'].items()))
        table = PrettyTable(['Class', 'IoU', 'AP_r', 'AP_r50'])
        ap_r = head['AP_r_per_class']  # (C - 1, T), percent
        for c, cls in enumerate(class_names):
            if c == 0:
                table.add_row([cls, fmt(head['IoU'][0]), '', ''])
                continue
            with np.errstate(all='ignore'):
                mean = float(np.nanmean(ap_r[c - 1])) if not np.isnan(ap_r[c - 1]).all() \
                    else float('nan')
            table.add_row([cls, fmt(head['IoU'][c]), fmt(mean), fmt(ap_r[c - 1][4])])
        print_log(f'per class results ({name} scores):', logger)
        print_log('\n' + table.get_string(), logger=logger)
        return out['metrics']
