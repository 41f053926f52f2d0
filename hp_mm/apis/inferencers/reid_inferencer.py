"""Person re-ID Inferencer: features, ISP part maps, a gallery ranked for each query.

Note:
    Nq, Ng: query and gallery images. C: feature channels. K: ISP's part-map
    classes (background included). H, W: image height and width.
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence

import mmcv
import numpy as np
import torch
from mmengine.config import Config

from hp_mm.evaluation.functional import ALIGNED_FIELDS, pair_distance
from hp_mm.evaluation.submission_writers import write_label_png
from hp_mm.registry import INFERENCERS
from hp_mm.visualization import draw_rank_list, part_map_meta, stack_rank_lists
from ..image_io import read_image
from .base_hp_mm_inferencer import BaseHPMMInferencer

#: The prediction fields of ISP's aligned distance (eq. 10), in its argument order.
#: Distances :meth:`ReIDInferencer.distance` computes.
DISTANCES = ('cosine', 'euclidean', 'aligned')


@INFERENCERS.register_module(name='reid')
@INFERENCERS.register_module()
class ReIDInferencer(BaseHPMMInferencer):
    """Re-ID features (and ISP part maps) of person crops; a gallery ranked for each query.

    Works with any hp_mm re-ID model whose ``predict`` sets ``pred_feature``
    (``GlobalReID``, ``ISPReID``); ISP models also give ``pred_part_seg`` (the
    part map at the image's size) and the fields of the aligned distance.
    See :class:`BaseHPMMInferencer` for inputs, failures and batches.

    Examples:
        >>> inferencer = ReIDInferencer('isp_r18_minihumans', 'epoch_12.pth')
        >>> queries = inferencer('my_queries/', batch_size=16, out_dir='out/query')
        >>> gallery = inferencer('my_gallery/', batch_size=16)
        >>> ranking = inferencer.rank(queries['predictions'], gallery['predictions'], topk=10)
        >>> ranking['indices'][0]     # the 10 nearest gallery images of the first query

    Predictions (without ``return_datasamples``): per image a dict with
    ``img_path`` (None for an array), ``feature`` (C,) float32 and, for ISP,
    ``global_feature`` (C',), ``foreground_feature`` (C',),
    ``part_features`` (K - 1, C'), ``part_visibility`` (K - 1,) bool and
    ``part_seg`` (H, W) uint8 (0 background, 1 .. K - 1 the parts top to
    bottom).

    Files under ``out_dir`` (ISP models): ``<name>_parts.png`` (the 8-bit
    part map) and ``<name>_parts.jpg`` (image | part colours, drawn by the
    visualizer with :func:`~hp_mm.visualization.part_map_meta`'s classes and
    palette).

    Args:
        model (str | Config): Config path, model name or config stem (e.g.
            ``'isp_r18_minihumans'``).
        weights (str, optional): Checkpoint.
        device (str, optional): Device; default CUDA if available.
        cfg_options (dict, optional): Config overrides.
        show_progress (bool): Progress bar. Defaults to False.
        backend (str): ``'pytorch'`` or ``'onnxruntime'``.
    """

    vis_suffix = '_parts'
    video_suffix = '_parts'

    def _init_visualizer(self, cfg: Config):
        """The base's visualizer, with the part-map classes and palette of ISP models."""
        visualizer = super()._init_visualizer(cfg)
        part_head = getattr(self.model, 'part_head', None)
        if part_head is not None:
            meta = part_map_meta(int(part_head.num_classes))
            visualizer.set_dataset_meta(meta['classes'], meta['palette'])
        return visualizer

    # ------------------------------------------------------- visualize / save
    @staticmethod
    def _part_map(pred) -> Optional[np.ndarray]:
        """The part map (H, W) uint8 at the image's size (``ori_shape``), or None."""
        if 'pred_part_seg' not in pred:
            return None
        label = pred.pred_part_seg.data[0].cpu().numpy().astype(np.uint8)
        h, w = pred.metainfo.get('ori_shape', label.shape)[:2]
        if label.shape != (h, w):
            label = mmcv.imresize(label, (w, h), interpolation='nearest')
        return label

    def _draw(self, image: np.ndarray, pred, with_labels: bool) -> Optional[np.ndarray]:
        part_map = self._part_map(pred)
        if part_map is None:
            return None
        return self.visualizer.draw_parsing(image, part_map, None, with_labels)

    def _convert(self, pred, pred_out_dir: str) -> dict:
        """The features and part map (see the class doc); ``<name>_parts.png`` (ISP)."""
        result = dict(img_path=pred.metainfo.get('img_path'),
                      feature=pred.pred_feature.detach().float().cpu().numpy())
        for field in ALIGNED_FIELDS:
            if f'pred_{field}' in pred:
                result[field] = pred.get(f'pred_{field}').detach().cpu().numpy()
        part_map = self._part_map(pred)
        if part_map is not None:
            result['part_seg'] = part_map
            if pred_out_dir:
                write_label_png(osp.join(pred_out_dir, f'{pred.input_name}_parts.png'), part_map)
        return result

    # --------------------------------------------------------------- ranking
    def _distance_options(self, distance: Optional[str], aligned_mode: Optional[str],
                          normalize_feature: Optional[bool]) -> tuple:
        evaluator = self.cfg.get('test_evaluator') or {}
        evaluator = evaluator if isinstance(evaluator, dict) else {}
        distance = distance or evaluator.get('distance', 'cosine')
        if distance not in DISTANCES:
            raise ValueError(f'distance must be one of {DISTANCES}, got {distance!r}')
        return (distance, aligned_mode or evaluator.get('aligned_mode', 'paper'),
                evaluator.get('normalize_feature', True) if normalize_feature is None
                else normalize_feature)

    def distance(self,
                 query: Sequence[dict],
                 gallery: Sequence[dict],
                 distance: Optional[str] = None,
                 aligned_mode: Optional[str] = None,
                 normalize_feature: Optional[bool] = None) -> np.ndarray:
        """Query-gallery distances of two lists of predictions, as ``ReIDMetric`` defines them.

        Args:
            query, gallery (Sequence[dict]): Predictions of :meth:`__call__`.
            distance (str, optional): ``'cosine'`` (1 - cos), ``'euclidean'``
                or ``'aligned'`` (ISP eq. 10, or the official variant);
                default the config's ``test_evaluator.distance``, else cosine.
            aligned_mode (str, optional): ``'paper'`` or ``'official'``;
                default the evaluator's, else ``'paper'``.
            normalize_feature (bool, optional): L2-normalise the features
                before the Euclidean distance; default the evaluator's, else
                True.

        Returns:
            np.ndarray: (Nq, Ng) float32.

        Raises:
            KeyError: ``'aligned'`` without ISP's fields.
        """
        distance, aligned_mode, normalize_feature = self._distance_options(
            distance, aligned_mode, normalize_feature)
        return pair_distance(stack_predictions(query), stack_predictions(gallery), distance,
                             aligned_mode, normalize_feature)

    def rank(self,
             query: Sequence[dict],
             gallery: Sequence[dict],
             topk: int = 10,
             distance: Optional[str] = None,
             aligned_mode: Optional[str] = None,
             normalize_feature: Optional[bool] = None) -> dict:
        """Each query's ``topk`` nearest gallery images (ties by gallery index).

        Args:
            query, gallery (Sequence[dict]): Predictions of :meth:`__call__`.
            topk (int): Gallery images per query (at most Ng).
            distance, aligned_mode, normalize_feature: See :meth:`distance`.

        Returns:
            dict: ``indices`` (Nq, k) int64 gallery indices, nearest first;
            ``distances`` (Nq, k) float32; ``distance``, the distance's name.
        """
        options = self._distance_options(distance, aligned_mode, normalize_feature)
        distmat = self.distance(query, gallery, *options)
        k = min(int(topk), distmat.shape[1])
        order = np.argsort(distmat, axis=1, kind='stable')[:, :k]
        return dict(indices=order, distances=np.take_along_axis(distmat, order, axis=1),
                    distance=options[0])

    def draw_rank_lists(self, query: Sequence[dict], gallery: Sequence[dict], ranking: dict,
                        query_pids: Sequence[int], gallery_pids: Sequence[int],
                        num_queries: int = 20) -> np.ndarray:
        """The rank lists of the first queries (:func:`~hp_mm.visualization.draw_rank_list`).

        Each row: the query, then its ranked gallery images in green (same
        person id) or red frames, captioned with the ids.

        Args:
            query, gallery (Sequence[dict]): Predictions of image files.
            ranking (dict): From :meth:`rank`.
            query_pids, gallery_pids (Sequence[int]): Person ids.
            num_queries (int): Rows drawn (the first queries).

        Returns:
            np.ndarray: The rows stacked (:func:`~hp_mm.visualization.stack_rank_lists`),
            BGR uint8.
        """
        rows = []
        for i, row in enumerate(ranking['indices'][:num_queries]):
            rows.append(draw_rank_list(
                read_image(query[i]['img_path']),
                [read_image(gallery[j]['img_path']) for j in row],
                [gallery_pids[j] == query_pids[i] for j in row], query_caption=f'q {query_pids[i]}',
                gallery_captions=[str(gallery_pids[j]) for j in row]))
        return stack_rank_lists(rows)


def stack_predictions(predictions: Sequence[dict]) -> Dict[str, torch.Tensor]:
    """The features of several predictions, stacked: ``feature`` (N, C) and, when every
    prediction has them, the :data:`ALIGNED_FIELDS` (N, ...)."""
    if not predictions:
        raise ValueError('no predictions to compare')
    out = dict(feature=torch.stack([torch.as_tensor(p['feature']) for p in predictions]))
    if all(all(k in p for k in ALIGNED_FIELDS) for p in predictions):
        for k in ALIGNED_FIELDS:
            out[k] = torch.stack([torch.as_tensor(p[k]) for p in predictions])
    return out


def feature_arrays(predictions: Sequence[dict]) -> Dict[str, np.ndarray]:
    """The stacked features (:func:`stack_predictions`) as the arrays of a features file,
    keyed ``pred_<field>`` (``pred_feature`` (N, C), ...)."""
    return {f'pred_{k}': v.numpy() for k, v in stack_predictions(predictions).items()}


__all__: List[str] = ['ReIDInferencer', 'stack_predictions', 'feature_arrays', 'ALIGNED_FIELDS']
