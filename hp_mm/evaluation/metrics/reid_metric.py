"""Person re-ID metric under the Market-1501 protocol (CMC Rank-k, mAP, mINP)."""
import os.path as osp
import pickle
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log
from mmengine.utils import mkdir_or_exist

from hp_mm.evaluation.functional.reid import ALIGNED_FIELDS, eval_reid, pair_distance, re_ranking
from hp_mm.registry import METRICS

_ALIGNED_KEYS = tuple(f'pred_{k}' for k in ALIGNED_FIELDS)


def _meta(sample, key):
    """A metainfo value of a data sample (``BaseDataElement`` or dict)."""
    if isinstance(sample, dict):
        return sample.get(key, sample.get('metainfo', {}).get(key))
    return sample.metainfo.get(key)


def _field(sample, key):
    if isinstance(sample, dict):
        return sample.get(key)
    return getattr(sample, key, None)


@METRICS.register_module()
class ReIDMetric(BaseMetric):
    """Rank-k (CMC), mAP and mINP of person re-ID, Market-1501 protocol.

    The test dataset holds the query and the gallery images together; each data sample
    says which by its ``split`` metainfo (``'query'`` / ``'gallery'``), with ``pid`` and
    ``camid``. The model's ``predict`` sets on each data sample either

    - ``pred_feature`` (C,) for ``distance='cosine'`` or ``'euclidean'``, or
    - ``pred_global_feature`` (C,), ``pred_foreground_feature`` (C,),
      ``pred_part_features`` (K-1, C) and ``pred_part_visibility`` (K-1,) bool for
      ``distance='aligned'`` (ISP eq. 10,
      :func:`hp_mm.evaluation.functional.aligned_distance`).

    ``process`` keeps one small item per sample (its features on the CPU, pid, camid,
    split, sample_idx, img_path); mmengine's ``collect_results`` gathers the ranks'
    items in dataset order and drops the sampler's padding by count, and items are also
    de-duplicated by ``sample_idx``, so every image is counted once whatever the number
    of processes. ``compute_metrics`` (rank 0) builds the (Nq, Ng) distance, optionally
    re-ranks it (k-reciprocal, :func:`hp_mm.evaluation.functional.re_ranking`, which then
    also needs the query-query and gallery-gallery distances) and calls
    :func:`hp_mm.evaluation.functional.eval_reid`.

    Reported keys (percentages, 2 decimals): ``Rank-<k>`` for each ``topk``, ``mAP``,
    ``mINP``; with the default prefix, ``reid/Rank-1`` and so on.

    Args:
        distance (str): ``'cosine'`` (1 - cos), ``'euclidean'`` or ``'aligned'``.
        normalize_feature (bool): L2-normalise ``pred_feature`` before the Euclidean
            distance (ISP's ``TEST.FEAT_NORM``).
        aligned_mode (str): ``'paper'`` (eq. 10) or ``'official'`` (the official code's
            variant); see :func:`hp_mm.evaluation.functional.aligned_distance`.
        rerank (bool): Apply k-reciprocal re-ranking.
        k1, k2, lambda_value: Re-ranking parameters (20, 6, 0.3).
        topk (Sequence[int]): Ranks reported.
        max_rank (int): Length of the CMC curve computed.
        out_file (str, optional): Pickle with the ranking for
            ``tools/analysis_tools/visualize_reid_ranks.py``: image paths, pids,
            camids of both sets and each query's ``rank_list_size`` nearest gallery
            indices and distances (``rank_indices``, ``rank_distances``, same-pid
            same-camera images left out; inf where fewer remain).
        rank_list_size (int): Gallery entries per query kept in ``out_file``.
        collect_device (str): 'cpu' or 'gpu'.
        prefix (str, optional): Metric-name prefix (default ``'reid'``).
        collect_dir (str, optional): Directory for collecting results across ranks.
    """
    default_prefix: Optional[str] = 'reid'

    def __init__(self, distance: str = 'cosine', normalize_feature: bool = False,
                 aligned_mode: str = 'paper', rerank: bool = False, k1: int = 20, k2: int = 6,
                 lambda_value: float = 0.3, topk: Sequence[int] = (1, 5, 10),
                 max_rank: int = 50, out_file: Optional[str] = None, rank_list_size: int = 20,
                 collect_device: str = 'cpu', prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)
        if distance not in ('cosine', 'euclidean', 'aligned'):
            raise ValueError(f"ReIDMetric: distance must be 'cosine', 'euclidean' or "
                             f"'aligned', got {distance!r}")
        if aligned_mode not in ('paper', 'official'):
            raise ValueError(f"ReIDMetric: aligned_mode must be 'paper' or 'official', got "
                             f'{aligned_mode!r}')
        self.distance = distance
        self.normalize_feature = normalize_feature
        self.aligned_mode = aligned_mode
        self.rerank = rerank
        self.k1, self.k2, self.lambda_value = k1, k2, lambda_value
        self.topk = tuple(int(k) for k in topk)
        self.max_rank = max(int(max_rank), max(self.topk))
        self.out_file = out_file
        self.rank_list_size = rank_list_size

    # ------------------------------------------------------------------ process
    def process(self, data_batch, data_samples: Sequence) -> None:
        """Keep each sample's features (CPU) and identity fields."""
        for sample in data_samples:
            item = dict(pid=int(_meta(sample, 'pid')), camid=int(_meta(sample, 'camid')),
                        split=_meta(sample, 'split'), sample_idx=_meta(sample, 'sample_idx'),
                        img_path=_meta(sample, 'img_path'))
            if item['split'] not in ('query', 'gallery'):
                raise ValueError(f"ReIDMetric: sample {item['img_path']} has split "
                                 f"{item['split']!r}; evaluate on a dataset with split='test' "
                                 "(query + gallery)")
            if self.distance == 'aligned':
                for key in _ALIGNED_KEYS:
                    value = _field(sample, key)
                    if value is None:
                        raise KeyError(f"ReIDMetric(distance='aligned'): the model's data "
                                       f'sample has no {key} ({item["img_path"]})')
                    item[key] = torch.as_tensor(value).detach().cpu()
            else:
                value = _field(sample, 'pred_feature')
                if value is None:
                    raise KeyError(f"ReIDMetric: the model's data sample has no pred_feature "
                                   f'({item["img_path"]})')
                item['pred_feature'] = torch.as_tensor(value).detach().float().cpu().reshape(-1)
            self.results.append(item)

    # ------------------------------------------------------------------ compute
    @staticmethod
    def _dedupe(results: List[dict]) -> List[dict]:
        if not results or any(r['sample_idx'] is None for r in results):
            return results
        seen, out = set(), []
        for r in results:
            if r['sample_idx'] not in seen:
                seen.add(r['sample_idx'])
                out.append(r)
        return out

    def _pair_distance(self, a: List[dict], b: List[dict]) -> np.ndarray:
        """Distance between two lists of items, shape (len(a), len(b)) float32."""
        keys = _ALIGNED_KEYS if self.distance == 'aligned' else ('pred_feature', )

        def stack(items):
            return {k[len('pred_'):]: torch.stack([r[k] for r in items]) for k in keys}

        return pair_distance(stack(a), stack(b), self.distance, self.aligned_mode,
                             self.normalize_feature)

    @classmethod
    def calculate(cls, q_g: np.ndarray, q_pids, g_pids, q_camids, g_camids,
                  topk: Sequence[int] = (1, 5, 10), max_rank: int = 50) -> Dict[str, float]:
        """The reported numbers (percentages) from a query-gallery distance."""
        res = eval_reid(q_g, np.asarray(q_pids), np.asarray(g_pids), np.asarray(q_camids),
                        np.asarray(g_camids), max_rank=max(max_rank, max(topk)))
        out = {f'Rank-{k}': round(float(res['cmc'][k - 1]) * 100, 2) for k in topk}
        out['mAP'] = round(res['mAP'] * 100, 2)
        out['mINP'] = round(res['mINP'] * 100, 2)
        return out

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        logger: MMLogger = MMLogger.get_current_instance()
        results = self._dedupe(results)
        query = [r for r in results if r['split'] == 'query']
        gallery = [r for r in results if r['split'] == 'gallery']
        if not query or not gallery:
            raise ValueError(f'ReIDMetric: {len(query)} query and {len(gallery)} gallery '
                             'samples; both are needed')
        q_pids = np.array([r['pid'] for r in query])
        g_pids = np.array([r['pid'] for r in gallery])
        q_cams = np.array([r['camid'] for r in query])
        g_cams = np.array([r['camid'] for r in gallery])
        q_g = self._pair_distance(query, gallery)
        if self.rerank:
            q_g = re_ranking(q_g, self._pair_distance(query, query),
                             self._pair_distance(gallery, gallery), k1=self.k1, k2=self.k2,
                             lambda_value=self.lambda_value)
        metrics = self.calculate(q_g, q_pids, g_pids, q_cams, g_cams, self.topk,
                                 self.max_rank)
        if self.out_file:
            self._dump(q_g, query, gallery)
        name = f'{self.distance}{"/" + self.aligned_mode if self.distance == "aligned" else ""}'
        print_log(f're-ID ({len(query)} queries x {len(gallery)} gallery, distance {name}'
                  f'{", re-ranked" if self.rerank else ""}): '
                  + ', '.join(f'{k} {v:.2f}' for k, v in metrics.items()), logger=logger)
        return metrics

    def _dump(self, q_g: np.ndarray, query: List[dict], gallery: List[dict]) -> None:
        """Pickle each query's nearest gallery images, same-pid same-camera ones
        (excluded by the protocol) left out."""
        q_pids = np.array([r['pid'] for r in query])
        g_pids = np.array([r['pid'] for r in gallery])
        q_cams = np.array([r['camid'] for r in query])
        g_cams = np.array([r['camid'] for r in gallery])
        k = min(self.rank_list_size, q_g.shape[1])
        top = np.empty((len(query), k), np.int64)
        dist = np.empty((len(query), k), np.float32)
        for start in range(0, len(query), 256):
            s = slice(start, start + 256)
            d = q_g[s].astype(np.float32, copy=True)
            d[(q_pids[s, None] == g_pids) & (q_cams[s, None] == g_cams)] = np.inf
            order = np.argsort(d, axis=1, kind='stable')[:, :k]
            top[s], dist[s] = order, np.take_along_axis(d, order, axis=1)
        out = dict(
            query_paths=[r['img_path'] for r in query],
            gallery_paths=[r['img_path'] for r in gallery],
            q_pids=q_pids, g_pids=g_pids, q_camids=q_cams, g_camids=g_cams,
            rank_indices=top, rank_distances=dist, distance=self.distance,
            rerank=self.rerank)
        if osp.dirname(self.out_file):
            mkdir_or_exist(osp.dirname(self.out_file))
        with open(self.out_file, 'wb') as f:
            pickle.dump(out, f)
