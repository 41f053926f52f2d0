"""Hungarian-matched mIoU / accuracy of unsupervised parsing (PiCIE protocol)."""
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log
from prettytable import PrettyTable

from hp_mm.evaluation.functional import cluster_histogram, eval_unsupervised_parsing
from hp_mm.registry import METRICS


@METRICS.register_module()
class UnsupervisedParsingMetric(BaseMetric):
    """mIoU and pixel accuracy after one cluster-to-class matching over the whole set.

    The model predicts *cluster* indices (``pred_sem_seg``, values in ``[0, K)``);
    ``process`` stores one class-by-cluster histogram (N x K, one ``bincount``) per
    sample; ``compute_metrics`` sums the histograms of all samples of all ranks (the
    ranks' items are gathered by mmengine's ``collect_results``) and matches once with
    :func:`eval_unsupervised_parsing` (Hungarian, maximal matched pixels; or
    many-to-one majority matching). Matching per rank or per image would inflate the
    scores; this is PiCIE's protocol.

    Note:
        N: number of classes, ``len(dataset_meta['classes'])``. K: number of clusters.

    Args:
        num_clusters (int, optional): K. Defaults to None (K = N).
        many_to_one (bool): Majority matching instead of Hungarian (needed for
            K > N to use every cluster). Defaults to False.
        collect_device (str): 'cpu' or 'gpu'. Defaults to 'cpu'.
        prefix (str, optional): Prefix of the metric names. Defaults to None.
        collect_dir (str, optional): Directory for collecting across ranks.

    Returns of ``compute_metrics``: ``mIoU``, ``acc``, ``mean_class_acc`` (percent,
    rounded to 2 decimals) and ``IoU.<class>`` per class.
    """
    default_prefix: Optional[str] = None

    def __init__(self,
                 num_clusters: Optional[int] = None,
                 many_to_one: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)
        self.num_clusters = num_clusters
        self.many_to_one = many_to_one

    def _sizes(self):
        n = len(self.dataset_meta['classes'])
        return n, (self.num_clusters or n)

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Append one (N, K) int64 histogram per sample to ``self.results``.

        Args:
            data_batch (dict): The dataloader batch (unused).
            data_samples (Sequence[dict]): Model outputs with ``pred_sem_seg``
                (cluster indices) and ``gt_sem_seg``.
        """
        n_classes, n_clusters = self._sizes()
        for data_sample in data_samples:
            pred = data_sample['pred_sem_seg']['data'].squeeze(0)
            gt = data_sample['gt_sem_seg']['data'].squeeze(0)
            try:
                hist = cluster_histogram(gt, pred, n_classes, n_clusters)
            except (ValueError, TypeError) as e:
                where = data_sample.get('img_path') or data_sample.get('seg_map_path')
                if where is None:
                    raise
                raise type(e)(f'{where}: {e}') from e
            self.results.append(hist)

    @staticmethod
    def calculate(hists: Sequence[np.ndarray], many_to_one: bool = False) -> dict:
        """Sum per-sample histograms and match once (the runner-free entry point).

        Args:
            hists (Sequence[ndarray]): Per-sample (N, K) histograms.
            many_to_one (bool): Majority matching. Defaults to False.

        Returns:
            dict: The output of :func:`eval_unsupervised_parsing` plus ``hist``.
        """
        if not len(hists):
            raise ValueError('UnsupervisedParsingMetric: no samples were evaluated')
        total = np.zeros_like(np.asarray(hists[0]), dtype=np.int64)
        for i, h in enumerate(hists):
            h = np.asarray(h)
            if h.shape != total.shape:
                raise ValueError(f'histogram {i} has shape {h.shape}, expected {total.shape}')
            total += h
        res = eval_unsupervised_parsing(total, many_to_one=many_to_one)
        res['hist'] = total
        return res

    def compute_metrics(self, results: List[np.ndarray]) -> Dict[str, float]:
        """Sum the histograms of every sample, match once, log the class table.

        Args:
            results (list[ndarray]): The per-sample histograms of all ranks.

        Returns:
            dict[str, float]: ``mIoU``, ``acc``, ``mean_class_acc``, ``IoU.<class>``.
        """
        logger: MMLogger = MMLogger.get_current_instance()
        class_names = self.dataset_meta['classes']
        res = self.calculate(results, self.many_to_one)
        table = PrettyTable()
        table.add_column('Class', list(class_names))
        table.add_column('Clusters', [str(a) for a in res['assignment']] if self.many_to_one
                         else [int(a) for a in res['assignment']])
        table.add_column('IoU', [round(float(v), 2) for v in res['iou']])
        table.add_column('Acc', [round(float(v), 2) for v in res['class_acc']])
        table.add_column('Pixels', [int(v) for v in res['hist'].sum(1)])
        matching = 'many-to-one (majority)' if self.many_to_one else 'Hungarian'
        print_log(f'unsupervised parsing, {matching} matching of {res["hist"].shape[1]} clusters '
                  f'on {len(results)} images:', logger)
        print_log('\n' + table.get_string(), logger=logger)
        metrics = dict(
            mIoU=round(res['mIoU'], 2),
            acc=round(res['acc'], 2),
            mean_class_acc=round(res['mean_class_acc'], 2))
        for name, v in zip(class_names, res['iou']):
            metrics[f'IoU.{name}'] = round(float(v), 2)
        return metrics
