"""Multi-person (instance-level) human parsing metric: AP^p, PCP, AP^r, mIoU per score variant."""
from collections import OrderedDict
from collections.abc import Mapping
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log
from prettytable import PrettyTable

from hp_mm.evaluation.functional.multi_human_parsing import (QANET_MAX_REGIONS,
                                                             accumulate_image, summarize)
from hp_mm.evaluation.functional.parsing_nms import pairwise_parsing_miou, parsing_nms
from hp_mm.models.utils.quality_scores import quality_score
from hp_mm.registry import METRICS

#: The result keys of one score variant, in table order.
METRIC_KEYS = ('AP_p', 'AP_p50', 'PCP50', 'AP_r', 'AP_r50', 'mIoU')
#: QANet Table 1 rows: (h) QAM (the headline), (a) box score only ("QAM off"),
#: (c) pixel score only.
DEFAULT_SCORE_VARIANTS = dict(qam=(1.0, 0.5, 3.0), box=(1.0, 0.0, 0.0), pixel=(0.0, 0.0, 1.0))
#: Name of the single variant scored with the model's own ``scores`` / ``part_scores``.
MODEL_VARIANT = 'model'
_COMPONENTS = ('box_scores', 'iou_scores', 'pixel_scores')


@METRICS.register_module()
class MultiHumanParsingMetric(BaseMetric):
    """QANet's multi-person parsing metrics, for several quality-score variants at once.

    Reports, in percent (definitions in
    :mod:`hp_mm.evaluation.functional.multi_human_parsing`): ``AP_p``
    (AP^p_vol, mean over IoU thresholds 0.1..0.9), ``AP_p50``, ``PCP50``,
    ``AP_r`` (AP^r_vol), ``AP_r50`` and ``mIoU``, as in QANet Tables 1-3.

    **Score variants.** The model returns the score components of every person
    (``pred_instances``: ``box_scores`` S_b, ``iou_scores`` S_i,
    ``pixel_scores`` S_p and ``part_pixel_scores``, the category pixel scores);
    each variant ``name=(alpha, beta, gamma)`` recomputes the person score
    ``S_q = quality_score(S_b, S_i, S_p, (alpha, beta, gamma))`` (QANet Eq. 1)
    and the part scores ``quality_score(S_b, S_i, category pixel score)``
    (QANet ``qanet/datasets/evaluation.py`` l.293-299), which rank the persons
    for AP^p / PCP and the part regions for AP^r. The default evaluates the
    paper's QAM weights (1.0, 0.5, 3.0) (Table 1 (h), the headline keys), the
    box score alone (Table 1 (a): "QAM off", Tables 2-3) and the pixel score
    alone (Table 1 (c)); any other row of Table 1 is one more entry. The first
    variant gives the plain keys (``AP_p`` ...), the others
    ``<variant>/AP_p`` ... (no ``mIoU``: the semantic map is painted in
    box-score order, as QANet's, so it is the same for every variant).
    ``score_variants=None`` scores with the model's own ``scores`` and
    ``part_scores`` instead (no components needed).

    **QANet's evaluation protocol** (defaults, ``qanet/core/config.py``):
    persons with ``S_q < score_thr`` (0.01, ``PARSING.SCORE_THRESH``) are
    dropped from AP^p / PCP / AP^r; the mIoU map paints the persons with box
    score ``>= miou_score_thr`` (0.3, ``PARSING.SEMSEG_SCORE_THRESH`` of CIHP;
    QANet uses 0.05 for MHP-v2) in ascending box-score order; duplicate persons
    are removed by parsing NMS (:mod:`hp_mm.evaluation.functional.parsing_nms`,
    ``parsing_nms_thr`` 0.6, ``PARSING.PARSING_NMS_TH``) per variant, after the
    mIoU map is painted; an image without any person box counts in AP^p only.

    **Streaming.** ``process`` keeps, per image, one dict ``{variant: record}``
    of :func:`accumulate_image` records (scores, per-threshold flags, region
    IoUs, a C x C confusion matrix; no mask), so ``collect_results``
    re-interleaves the ranks and drops the sampler's padding by count.

    Consumed data-sample fields (a packed image-mode sample after
    ``TopDownParser.predict``): ``gt_sem_seg.data`` (1, H, W) category map
    (values outside ``[0, C)`` ignored), ``gt_instance_map.data`` (1, H, W)
    person ids (0 = none), ``pred_instances`` with ``parsings`` (N, H, W)
    integer per-person label maps over the image, ``box_scores``,
    ``iou_scores``, ``pixel_scores`` (N,) and ``part_pixel_scores`` (N, C - 1)
    (or ``scores`` (N,) and ``part_scores`` (N, C - 1) with
    ``score_variants=None``).

    Note:
        N: number of persons predicted in an image (detector boxes kept).
        C: number of classes, background included, ``len(dataset_meta['classes'])``.
        H, W: image height and width.

    Args:
        score_variants (dict[str, tuple[float, float, float]] | None): Name ->
            QAM weights ``(alpha, beta, gamma)``; the first one is the headline.
            Defaults to ``DEFAULT_SCORE_VARIANTS``. None: the model's scores.
        score_thr (float): Persons with a (variant) score below it are dropped
            from AP^p, PCP and AP^r. Defaults to 0.01 (QANet).
        miou_score_thr (float): Persons with a box score below it are left out
            of the mIoU map. Defaults to 0.3 (QANet, CIHP).
        parsing_nms_thr (float, optional): Parsing NMS threshold on the mean
            part IoU; None disables it. Defaults to 0.6 (QANet).
        max_regions (int, optional): QANet's cap of 254 part regions per image
            (uint8 PNG). None keeps all. Defaults to 254.
        skip_empty_gt_persons (bool): Drop gt persons without a foreground
            pixel (MHP-v2's official evaluator). Defaults to False (QANet).
        count_empty_images (bool): Count images without any predicted person
            in AP^r and mIoU. Defaults to False (QANet).
        class_mean (str): ``'nanmean'`` (QANet) or ``'mean'`` (CIHP_PGN) over
            the per-class AP^r.
        decimals (int, optional): Rounding of the returned percentages.
            Defaults to 2; None keeps full precision.
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Key prefix; None uses ``default_prefix``.
        collect_dir (str, optional): Directory for collecting results across
            ranks when ``collect_device='cpu'``.
    """
    default_prefix: Optional[str] = 'parsing'

    def __init__(self,
                 score_variants: Optional[Dict[str, Sequence[float]]] = DEFAULT_SCORE_VARIANTS,
                 score_thr: float = 0.01,
                 miou_score_thr: float = 0.3,
                 parsing_nms_thr: Optional[float] = 0.6,
                 max_regions: Optional[int] = QANET_MAX_REGIONS,
                 skip_empty_gt_persons: bool = False,
                 count_empty_images: bool = False,
                 class_mean: str = 'nanmean',
                 decimals: Optional[int] = 2,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)
        self.score_variants = self._check_variants(score_variants)
        if class_mean not in ('nanmean', 'mean'):
            raise ValueError(f"class_mean must be 'nanmean' or 'mean', got {class_mean!r}")
        self.score_thr = float(score_thr)
        self.miou_score_thr = float(miou_score_thr)
        self.parsing_nms_thr = None if parsing_nms_thr is None else float(parsing_nms_thr)
        self.max_regions = max_regions
        self.skip_empty_gt_persons = skip_empty_gt_persons
        self.count_empty_images = count_empty_images
        self.class_mean = class_mean
        self.decimals = decimals

    @staticmethod
    def _check_variants(variants) -> Optional[Dict[str, Tuple[float, float, float]]]:
        if variants is None:
            return None
        if not isinstance(variants, Mapping) or not variants:
            raise TypeError('score_variants must be a non-empty {name: (alpha, beta, gamma)} '
                            f'dict or None, got {variants!r}')
        out = OrderedDict()
        for name, weights in variants.items():
            if not isinstance(name, str) or not name or '/' in name:
                raise ValueError(f'score variant names must be non-empty strings without "/", '
                                 f'got {name!r}')
            weights = tuple(float(w) for w in weights)
            if len(weights) != 3 or min(weights) < 0 or not sum(weights) > 0:
                raise ValueError(f'score variant {name!r}: weights must be 3 non-negative '
                                 f'numbers summing to > 0, got {weights!r}')
            out[name] = weights
        return out

    # ------------------------------------------------------------------ per image
    @staticmethod
    def variant_scores(pred_instances: Mapping,
                       num_classes: int,
                       score_variants: Optional[Mapping[str, Sequence[float]]]) -> dict:
        """Person and part scores of every variant, from the score components.

        Args:
            pred_instances (Mapping): The fields listed in the class docstring.
            num_classes (int): C.
            score_variants (Mapping | None): Name -> (alpha, beta, gamma); None
                uses the model's ``scores`` and ``part_scores``.

        Returns:
            dict: ``{variant: (scores (N,) float64 ndarray, part_scores (N, C - 1)
            float64 ndarray)}``.
        """

        def field(name, ndim):
            if name not in pred_instances:
                raise KeyError(f'pred_instances has no "{name}" '
                               f'(fields: {sorted(pred_instances.keys())})')
            value = torch.as_tensor(pred_instances[name]).detach().to('cpu', torch.float64)
            n = value.shape[0] if value.dim() else -1
            if value.dim() != ndim or (ndim == 2 and value.shape[1] != num_classes - 1):
                raise ValueError(f'pred_instances.{name} has shape {tuple(value.shape)}, '
                                 f'expected ({n if n >= 0 else "N"}'
                                 f'{", " + str(num_classes - 1) if ndim == 2 else ""}) '
                                 f'(num_classes={num_classes})')
            return value

        if score_variants is None:
            return {MODEL_VARIANT: (field('scores', 1).numpy(), field('part_scores', 2).numpy())}
        needed = set()
        for weights in score_variants.values():
            needed.update(name for name, w in zip(_COMPONENTS, weights) if w != 0)
        if any(w[2] != 0 for w in score_variants.values()):
            needed.add('part_pixel_scores')
        values = {name: field(name, 2 if name == 'part_pixel_scores' else 1) for name in needed}
        lengths = {name: v.shape[0] for name, v in values.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(f'pred_instances score fields differ in length: {lengths}')
        n = next(iter(lengths.values())) if lengths else 0
        ones = torch.ones(n, dtype=torch.float64)
        box, iou, pix = (values.get(name, ones) for name in _COMPONENTS)
        part_pix = values.get('part_pixel_scores', ones[:, None].expand(n, num_classes - 1))
        out = {}
        for name, weights in score_variants.items():
            scores = quality_score(box, iou, pix, weights)
            parts = quality_score(box[:, None], iou[:, None], part_pix, weights)
            out[name] = (scores.numpy(), parts.numpy())
        return out

    @staticmethod
    def sample_records(pred_instances: Mapping,
                       gt_category_map,
                       gt_instance_map,
                       num_classes: int,
                       score_variants: Optional[Mapping[str, Sequence[float]]] = None,
                       score_thr: float = 0.01,
                       miou_score_thr: float = 0.3,
                       parsing_nms_thr: Optional[float] = 0.6,
                       max_regions: Optional[int] = QANET_MAX_REGIONS,
                       skip_empty_gt_persons: bool = False) -> Dict[str, dict]:
        """The item stored for one image: one :func:`accumulate_image` record per variant.

        Args:
            pred_instances (Mapping): ``parsings`` (N, H, W) and the score fields.
            gt_category_map (ndarray | Tensor): (H, W) part classes.
            gt_instance_map (ndarray | Tensor): (H, W) person ids, 0 = none.
            num_classes (int): C.
            score_variants, score_thr, miou_score_thr, parsing_nms_thr,
                max_regions, skip_empty_gt_persons: As in the class.

        Returns:
            dict[str, dict]: ``{variant: record}``.
        """
        if 'parsings' not in pred_instances:
            raise KeyError(f'pred_instances has no "parsings" '
                           f'(fields: {sorted(pred_instances.keys())})')
        parsings = pred_instances['parsings']
        if hasattr(parsings, 'detach'):
            parsings = parsings.detach().cpu().numpy()
        parsings = np.asarray(parsings)
        gt = dict(category_map=_to_map(gt_category_map, 'gt_sem_seg'),
                  instance_map=_to_map(gt_instance_map, 'gt_instance_map'))
        if parsings.ndim != 3 or parsings.shape[1:] != gt['category_map'].shape:
            raise ValueError(f'pred_instances.parsings has shape {parsings.shape}, expected '
                             f'(N, {", ".join(map(str, gt["category_map"].shape))})')
        variants = MultiHumanParsingMetric.variant_scores(pred_instances, num_classes,
                                                          score_variants)
        n = parsings.shape[0]
        for name, (scores, _) in variants.items():
            if scores.shape[0] != n:
                raise ValueError(f'{n} parsings but {scores.shape[0]} scores ({name})')
        box = pred_instances.get('box_scores')
        if box is None:  # score_variants=None without box scores: the model's scores
            box = next(iter(variants.values()))[0]
        box = torch.as_tensor(box).detach().to('cpu', torch.float64).numpy().reshape(-1)
        miou = None
        if parsing_nms_thr is not None and n > 1:
            miou = pairwise_parsing_miou(parsings, num_classes)
        records = {}
        for name, (scores, part_scores) in variants.items():
            if miou is not None:
                keep = parsing_nms(miou, scores, parsing_nms_thr)
                # suppressed persons leave AP^p / AP^r but stay in the mIoU map (QANet)
                scores = np.where(keep, scores, -np.inf)
            persons = [
                dict(parsing=parsings[i], score=float(scores[i]), part_scores=part_scores[i],
                     semseg_score=float(box[i])) for i in range(n)
            ]
            records[name] = accumulate_image(
                persons, gt, num_classes, score_thr=score_thr, miou_score_thr=miou_score_thr,
                max_regions=max_regions, skip_empty_gt_persons=skip_empty_gt_persons)
        return records

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Append one ``{variant: record}`` item per sample to ``self.results``.

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
                for key in ('gt_sem_seg', 'gt_instance_map', 'pred_instances'):
                    if data_sample.get(key) is None:
                        raise KeyError(f'the data sample has no "{key}" (a packed image-mode '
                                       'sample with the parser\'s pred_instances is needed)')
                item = self.sample_records(
                    data_sample['pred_instances'], data_sample['gt_sem_seg']['data'],
                    data_sample['gt_instance_map']['data'], num_classes,
                    score_variants=self.score_variants, score_thr=self.score_thr,
                    miou_score_thr=self.miou_score_thr, parsing_nms_thr=self.parsing_nms_thr,
                    max_regions=self.max_regions,
                    skip_empty_gt_persons=self.skip_empty_gt_persons)
            except (KeyError, ValueError, TypeError) as e:
                raise type(e)(f'{where}: {e.args[0] if e.args else e}') from e
            self.results.append(item)

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
                  gts: Sequence[Mapping],
                  num_classes: int,
                  score_variants: Optional[Mapping[str, Sequence[float]]] = DEFAULT_SCORE_VARIANTS,
                  score_thr: float = 0.01,
                  miou_score_thr: float = 0.3,
                  parsing_nms_thr: Optional[float] = 0.6,
                  max_regions: Optional[int] = QANET_MAX_REGIONS,
                  skip_empty_gt_persons: bool = False,
                  count_empty_images: bool = False,
                  class_mean: str = 'nanmean',
                  decimals: Optional[int] = 2) -> Dict[str, float]:
        """The metrics of a data set without a runner.

        Args:
            preds (Sequence[Mapping]): Per image, the ``pred_instances`` fields.
            gts (Sequence[Mapping]): Per image, ``dict(category_map=(H, W),
                instance_map=(H, W))``.
            num_classes (int): C.
            Others: as in the class.

        Returns:
            dict[str, float]: The keys of :meth:`compute_metrics`, unprefixed.
        """
        if len(preds) != len(gts):
            raise ValueError(f'{len(preds)} predictions for {len(gts)} ground truths')
        variants = MultiHumanParsingMetric._check_variants(score_variants)
        results = [
            MultiHumanParsingMetric.sample_records(
                p, g['category_map'], g['instance_map'], num_classes, variants, score_thr,
                miou_score_thr, parsing_nms_thr, max_regions, skip_empty_gt_persons)
            for p, g in zip(preds, gts)
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
            weights = 'model' if self.score_variants is None else \
                ', '.join(f'{w:g}' for w in self.score_variants[name])
            table.add_row([name, weights] + [fmt(res[k]) for k in columns])
        print_log(f'multi-person parsing on {out["num_images"]} images (QANet Table 1 style; '
                  'the mIoU map is painted in box-score order, the same for every row):', logger)
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


def _to_map(x, name: str) -> np.ndarray:
    """(1, H, W) or (H, W) tensor/array -> (H, W) integer ndarray."""
    if hasattr(x, 'detach'):
        x = x.detach().cpu().numpy()
    x = np.asarray(x)
    if x.ndim == 3 and x.shape[0] == 1:
        x = x[0]
    if x.ndim != 2:
        raise ValueError(f'{name} must have shape (1, H, W) or (H, W), got {x.shape}')
    if not np.issubdtype(x.dtype, np.integer):
        raise TypeError(f'{name} must hold integers, got dtype {x.dtype}')
    return x
