"""LIP-style single-person parsing metric with challenge and size breakdowns."""
import os.path as osp
from collections import OrderedDict
from collections.abc import Mapping
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log
from mmengine.utils import mkdir_or_exist
from prettytable import PrettyTable

from hp_mm.evaluation.functional import (SIZE_BINS, confusion_matrix, mirror_confusion,
                                         parsing_scores, person_size_bin)
from hp_mm.evaluation.submission_writers import write_lip_prediction
from hp_mm.registry import METRICS

#: The five challenging factors of the LIP paper (Fig. 5).
LIP_ATTRIBUTES = ('occlusion', 'full_body', 'upper_body', 'head_missed', 'back_view')


@METRICS.register_module()
class HumanParsingMetric(BaseMetric):
    """Pixel accuracy, mean accuracy and mIoU of single-person parsing (LIP protocol).

    The overall numbers equal mmseg's ``IoUMetric`` (same keys ``aAcc``, ``mIoU``,
    ``mAcc``, percentages rounded to 2 decimals, NaN classes left out of the means),
    with the LIP paper's breakdowns added:

    - ``mIoU_<attribute>``: mIoU over the images where a challenge attribute is True
      (LIP Fig. 5: occlusion, full-body, upper-body, head-missed, back-view). The
      attributes come from the data sample's ``attributes`` metainfo, a
      ``{name: bool}`` dict; an image without it counts in no attribute subset.
    - ``mIoU_small`` / ``mIoU_medium`` / ``mIoU_large``: mIoU per person size, the
      size being sqrt of the area of the tight box around the gt person pixels
      (LIP Table 6 middle: below 153, below 321, else large). Only non-empty bins
      are reported.
    - ``LR_confusion``: the percentage of gt pixels of a left/right part that are
      predicted as its mirror part, over all ``flip_pairs`` of the dataset meta.

    ``process`` stores one small item per sample (a C x C confusion matrix from one
    ``bincount`` on the prediction's device, the size bin and the attributes), so
    ``collect_results`` re-orders the ranks' items and drops the sampler's padding
    by count. Every subset score is derived from the summed matrices.

    Note:
        C: number of classes, ``len(dataset_meta['classes'])``.
        H, W: height and width of a label map.

    Args:
        ignore_index (int): Ground-truth value ignored in evaluation. Defaults to 255.
        attributes (Sequence[str]): Attribute names reported as ``mIoU_<name>``.
            Defaults to the five LIP challenge factors.
        size_bins (bool): Whether to report ``mIoU_small/medium/large``.
            Defaults to True.
        report_mirror (bool): Whether to report ``LR_confusion`` when the dataset
            meta has ``flip_pairs``. Defaults to True.
        background_index (int): Background class, not a person pixel when sizing
            the person. Defaults to 0.
        format_only (bool): Only write the predictions (needs ``output_dir``),
            score nothing: a test-server submission without ground truth, as
            mmseg's ``IoUMetric``. Defaults to False.
        output_dir (str, optional): Write each prediction as a LIP-style label
            PNG ``<output_dir>/<image stem>.png``
            (:func:`hp_mm.evaluation.submission_writers.write_lip_prediction`).
        collect_device (str): Device used to collect results across ranks, 'cpu'
            or 'gpu'. Defaults to 'cpu'.
        prefix (str, optional): Prefix of the metric names. Defaults to None (no
            prefix), so the keys match mmseg's ``IoUMetric``.
        collect_dir (str, optional): Directory for collecting results across ranks
            when ``collect_device='cpu'``. Defaults to None.
    """
    # No prefix: 'mIoU' stays comparable with (and interchangeable for) IoUMetric's.
    default_prefix: Optional[str] = None

    def __init__(self,
                 ignore_index: int = 255,
                 attributes: Sequence[str] = LIP_ATTRIBUTES,
                 size_bins: bool = True,
                 report_mirror: bool = True,
                 background_index: int = 0,
                 format_only: bool = False,
                 output_dir: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)
        if format_only and not output_dir:
            raise ValueError('format_only=True needs an output_dir for the label PNGs')
        self.format_only = format_only
        self.output_dir = output_dir
        if output_dir:
            mkdir_or_exist(output_dir)
        if isinstance(attributes, str):
            attributes = (attributes, )
        self.ignore_index = ignore_index
        self.attributes = tuple(attributes)
        self.size_bins = size_bins
        self.report_mirror = report_mirror
        self.background_index = background_index

    # ------------------------------------------------------------------ per sample
    @staticmethod
    def sample_stats(pred: torch.Tensor,
                     gt: torch.Tensor,
                     num_classes: int,
                     ignore_index: int = 255,
                     attributes: Optional[Mapping] = None,
                     attribute_names: Sequence[str] = LIP_ATTRIBUTES,
                     size_bins: bool = True,
                     background_index: int = 0) -> dict:
        """The item stored for one sample.

        Args:
            pred (Tensor): Predicted classes, shape (H, W).
            gt (Tensor): Ground-truth classes, shape (H, W).
            num_classes (int): C.
            ignore_index (int): Ignored gt value. Defaults to 255.
            attributes (Mapping, optional): The sample's ``{name: bool}`` attributes.
            attribute_names (Sequence[str]): The names kept from ``attributes``.
            size_bins (bool): Whether to compute the size bin. Defaults to True.
            background_index (int): Background class. Defaults to 0.

        Returns:
            dict: ``confusion`` (int64 ndarray, shape (C, C)), ``size_bin`` (str or
            None) and ``attributes`` (dict of bool, only the names present).
        """
        confusion = confusion_matrix(pred, gt, num_classes, ignore_index)
        bin_ = person_size_bin(gt, ignore_index, background_index) if size_bins else None
        attrs = {}
        if attributes is not None:
            if not isinstance(attributes, Mapping):
                raise TypeError('the data sample\'s "attributes" must be a {name: bool} dict, '
                                f'got {type(attributes).__name__}')
            attrs = {k: bool(attributes[k]) for k in attribute_names if k in attributes}
        return dict(confusion=confusion.cpu().numpy(), size_bin=bin_, attributes=attrs)

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Append one item per sample to ``self.results``.

        Args:
            data_batch (dict): A batch from the dataloader (unused).
            data_samples (Sequence[dict]): The model outputs, with ``pred_sem_seg``,
                ``gt_sem_seg`` and optionally the ``attributes`` metainfo.
        """
        num_classes = len(self.dataset_meta['classes'])
        for data_sample in data_samples:
            if self.output_dir:
                path = data_sample.get('img_path') or data_sample.get('seg_map_path')
                if not path:
                    raise KeyError('the data sample has no img_path to name its label PNG')
                write_lip_prediction(self.output_dir, osp.splitext(osp.basename(path))[0],
                                     data_sample['pred_sem_seg']['data'])
            if self.format_only:
                continue
            pred = data_sample['pred_sem_seg']['data'].squeeze()
            gt = data_sample['gt_sem_seg']['data'].squeeze().to(pred)
            if pred.dim() < 2 and pred.shape == gt.shape:
                # squeeze() also dropped a height or width of 1: restore (H, W) for sizing
                hw = data_sample['gt_sem_seg']['data'].shape[-2:]
                pred, gt = pred.reshape(hw), gt.reshape(hw)
            try:
                item = self.sample_stats(
                    pred, gt, num_classes, self.ignore_index,
                    attributes=data_sample.get('attributes'),
                    attribute_names=self.attributes,
                    size_bins=self.size_bins,
                    background_index=self.background_index)
            except (ValueError, TypeError) as e:
                where = data_sample.get('img_path') or data_sample.get('seg_map_path')
                if where is None:
                    raise
                raise type(e)(f'{where}: {e}') from e
            self.results.append(item)

    # ------------------------------------------------------------------ summary
    @staticmethod
    def summarize(results: Sequence[dict],
                  num_classes: int,
                  attribute_names: Sequence[str] = LIP_ATTRIBUTES,
                  size_bins: bool = True,
                  flip_pairs: Optional[Sequence[Tuple[int, int]]] = None) -> dict:
        """Sum the per-sample items and derive every score.

        Args:
            results (Sequence[dict]): Items of :meth:`sample_stats`.
            num_classes (int): C.
            attribute_names (Sequence[str]): Attributes to break down.
            size_bins (bool): Whether to break down by person size.
            flip_pairs (Sequence[tuple[int, int]], optional): Left/right class
                pairs for ``LR_confusion``; None or empty skips it.

        Returns:
            dict: ``metrics`` (the flat metric dict), ``scores`` (the
            :func:`parsing_scores` of all samples), ``subsets`` (list of
            ``(name, count, mIoU)``), ``mirror`` (:func:`mirror_confusion` output
            or None), ``num_samples`` and ``num_with_attributes``.
        """
        total = np.zeros((num_classes, num_classes), dtype=np.int64)
        by_attr = {k: np.zeros_like(total) for k in attribute_names}
        n_attr = dict.fromkeys(attribute_names, 0)
        by_size = {k: np.zeros_like(total) for k in SIZE_BINS}
        n_size = dict.fromkeys(SIZE_BINS, 0)
        n_with_attr = 0
        for i, item in enumerate(results):
            conf = np.asarray(item['confusion'])
            if conf.shape != total.shape:
                raise ValueError(f'result {i} has a confusion matrix of shape {conf.shape}, '
                                 f'expected {total.shape} (num_classes={num_classes})')
            total += conf
            attrs = item.get('attributes') or {}
            n_with_attr += bool(attrs)
            for name in attribute_names:
                if attrs.get(name, False):
                    by_attr[name] += conf
                    n_attr[name] += 1
            bin_ = item.get('size_bin')
            if size_bins and bin_ in by_size:
                by_size[bin_] += conf
                n_size[bin_] += 1

        scores = parsing_scores(total)
        metrics = OrderedDict(aAcc=scores['aAcc'], mIoU=scores['mIoU'], mAcc=scores['mAcc'])
        subsets = [('all', len(results), scores['mIoU'])]
        for name in attribute_names:
            miou = parsing_scores(by_attr[name])['mIoU'] if n_attr[name] else float('nan')
            if n_attr[name]:
                metrics[f'mIoU_{name}'] = miou
            subsets.append((name, n_attr[name], miou))
        if size_bins:
            for name in SIZE_BINS:
                miou = parsing_scores(by_size[name])['mIoU'] if n_size[name] else float('nan')
                if n_size[name]:
                    metrics[f'mIoU_{name}'] = miou
                subsets.append((name, n_size[name], miou))
        mirror = None
        if flip_pairs:
            mirror = mirror_confusion(total, flip_pairs)
            metrics['LR_confusion'] = mirror['overall']
        return dict(
            metrics=dict(metrics),
            scores=scores,
            subsets=subsets,
            mirror=mirror,
            num_samples=len(results),
            num_with_attributes=n_with_attr)

    @staticmethod
    def calculate(preds: Sequence[torch.Tensor],
                  gts: Sequence[torch.Tensor],
                  num_classes: int,
                  ignore_index: int = 255,
                  attributes: Optional[Sequence[Optional[Mapping]]] = None,
                  attribute_names: Sequence[str] = LIP_ATTRIBUTES,
                  size_bins: bool = True,
                  flip_pairs: Optional[Sequence[Tuple[int, int]]] = None,
                  background_index: int = 0) -> Dict[str, float]:
        """Compute the metrics of label maps directly, without a runner.

        Args:
            preds (Sequence[Tensor]): N predicted maps, each of shape (H, W).
            gts (Sequence[Tensor]): N ground-truth maps, each of shape (H, W).
            num_classes (int): C.
            ignore_index (int): Ignored gt value. Defaults to 255.
            attributes (Sequence[Mapping | None], optional): N ``{name: bool}``
                dicts (None for an image without attributes).
            attribute_names (Sequence[str]): Attributes to break down.
            size_bins (bool): Whether to break down by person size. Defaults to True.
            flip_pairs (Sequence[tuple[int, int]], optional): Left/right pairs for
                ``LR_confusion``.
            background_index (int): Background class. Defaults to 0.

        Returns:
            dict[str, float]: The same keys as :meth:`compute_metrics`.
        """
        if len(preds) != len(gts):
            raise ValueError(f'got {len(preds)} preds but {len(gts)} gts')
        if attributes is None:
            attributes = [None] * len(preds)
        elif len(attributes) != len(preds):
            raise ValueError(f'got {len(preds)} preds but {len(attributes)} attributes')
        results = [
            HumanParsingMetric.sample_stats(
                torch.as_tensor(p), torch.as_tensor(g), num_classes, ignore_index, a,
                attribute_names, size_bins, background_index)
            for p, g, a in zip(preds, gts, attributes)
        ]
        return HumanParsingMetric.summarize(results, num_classes, attribute_names, size_bins,
                                            flip_pairs)['metrics']

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Sum the collected items, log the tables and return the metrics.

        Args:
            results (list[dict]): The items of every sample, from all ranks.

        Returns:
            dict[str, float]: ``aAcc``, ``mIoU``, ``mAcc``, ``mIoU_<attribute>``,
            ``mIoU_<size>`` (non-empty subsets only) and ``LR_confusion``.
        """
        logger: MMLogger = MMLogger.get_current_instance()
        if self.format_only:
            print_log(f'label maps written to {self.output_dir}; format_only: nothing scored',
                      logger)
            return OrderedDict()
        class_names = self.dataset_meta['classes']
        flip_pairs = self.dataset_meta.get('flip_pairs') if self.report_mirror else None
        out = self.summarize(results, len(class_names), self.attributes, self.size_bins,
                             flip_pairs)

        scores = out['scores']
        table = PrettyTable()
        table.add_column('Class', list(class_names))
        table.add_column('IoU', [float(v) for v in scores['IoU']])
        table.add_column('Acc', [float(v) for v in scores['Acc']])
        print_log('per class results:', logger)
        print_log('\n' + table.get_string(), logger=logger)

        if self.attributes or self.size_bins:
            table = PrettyTable(['Subset', 'Images', 'mIoU'])
            for name, count, miou in out['subsets']:
                table.add_row([name, count, '-' if count == 0 else miou])
            if self.attributes:
                print_log(f'attributes found on {out["num_with_attributes"]} of '
                          f'{out["num_samples"]} images', logger)
            print_log('breakdown by attribute and person size:', logger)
            print_log('\n' + table.get_string(), logger=logger)

        if out['mirror'] is not None:
            table = PrettyTable(['Left', 'Right', 'LR confusion (%)'])
            for (left, right), value in out['mirror']['pairs'].items():
                table.add_row([class_names[left], class_names[right], value])
            table.add_row(['all pairs', '', out['mirror']['overall']])
            print_log('left/right confusion:', logger)
            print_log('\n' + table.get_string(), logger=logger)
        return out['metrics']
