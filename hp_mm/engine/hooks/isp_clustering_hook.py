"""ISP's per-epoch cascaded clustering of ``M_g`` into pseudo part labels."""
import time
from contextlib import contextmanager
from typing import Dict, Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.dist import all_reduce
from torch import Tensor
from torch.nn.modules.batchnorm import SyncBatchNorm, _BatchNorm

from hp_mm.evaluation.functional.part_group_iou import (LIP_PART_GROUPS, group_map, part_group_confusion,
                                             part_group_iou)
from hp_mm.registry import HOOKS, TASK_UTILS
from .per_epoch_clustering_hook import PerEpochClusteringHook


@HOOKS.register_module()
class ISPClusteringHook(PerEpochClusteringHook):
    """Cascaded clustering (ISP Sec. 3.2) before every ``interval``-th epoch.

    On the un-augmented training images (``pipeline``: load + resize only), the
    model's ``M_g`` (:meth:`ISPReID.extract_clustering_feat`, in ``eval()``) is
    grouped per identity (``group_key='label'``): stage 1 a 2-means on the
    normalised activation (eq. 3, optionally sharpened), stage 2 a (K-1)-means on
    the l2-normalised foreground features (eq. 4), parts numbered top to bottom
    (:class:`hp_mm.models.task_modules.CascadedClustering`). The identities are
    streamed in chunks of whole identities (``chunk_size`` images; never the whole
    training set's features at once), every chunk solved by one ``BatchedKMeans``
    call per stage on the model's device, and the chunks are sharded across ranks.
    The label maps (feature resolution) go to the store that ``LoadPseudoLabels``
    reads in the training pipeline, so they follow each sample's augmentation.

    The paper clusters every epoch (``interval=1``); the official scripts every 2
    epochs and not after (1-based) epoch 101: ``interval=2, stop_epoch=101`` (0-based).
    The base class logs the progress bar, ``clustering/time`` and, after the epoch,
    ``clustering/share``; this hook adds to the same log line ``clustering/images``,
    ``clustering/cascaded_time`` (this rank's k-means seconds),
    ``clustering/batch_stat_norms`` (BN layers normalised with batch statistics, see
    ``init_batch_stats``), ``clustering/foreground_ratio``, the part shares
    ``clustering/part<k>_ratio`` and, when the extraction pipeline loads ground-truth
    part masks (``LoadReIDPartMask``, MiniHumans), the pseudo-labels' IoU per group
    (``clustering/iou_<group>``, paper Table 3).

    Args:
        num_classes (int, optional): K; default the model's ``part_head.num_classes``
            (a different value is an error).
        sharpen (bool): Sharpened activation (official ``CLUSTERING.ENHANCED``:
            on, off for Occluded-Duke). Default True.
        max_iter (int): Lloyd iterations per stage. Default 20.
        seed (int): k-means seed (per identity: the identity id). Default 0.
        kmeans (dict): Back-end. Default ``dict(type='BatchedKMeans')``.
        init_batch_stats (bool): For the clustering before the first training
            step (the paper's "first clustering on the initialized backbone"),
            normalise with each extraction batch's statistics in the BN layers
            (non-synchronised ones), without updating their running statistics:
            new layers (the ``M_g`` head, or a network trained from scratch)
            still hold the initial 0 / 1 statistics then, with which ``eval()``
            features can saturate (all-zero maps behind the spatial attention of
            an untrained HRNet). Default True.
        feat_dtype (str): dtype the features are buffered in before clustering
            (``'float32'`` or ``'float16'`` to halve the host memory). Default float32.
        part_groups (dict): Ground-truth groups for the IoU log (LIP ids).
        group_key (str): ``data_info`` key of the identities. Default ``'label'``.
        chunk_size (int): Images per chunk (whole identities). Default 256.
        foreground (str): ``'activation'`` (ISP's stage 1, the default) or
            ``'ground_truth'``, a diagnostic upper bound that is not the method:
            stage 1 is replaced by the true person masks that the extraction
            pipeline loads (``LoadReIDPartMask``), so that stage 2 and the training
            on its labels can be measured on a perfect foreground.
        **kwargs: :class:`PerEpochClusteringHook` arguments (``interval``,
            ``stop_epoch``, ``pipeline``, ``dataloader``, ``show_progress``...).
    """

    def __init__(self, num_classes: Optional[int] = None, sharpen: bool = True,
                 max_iter: int = 20, seed: int = 0, kmeans: dict = dict(type='BatchedKMeans'),
                 init_batch_stats: bool = True, feat_dtype: str = 'float32',
                 part_groups: Dict[str, Sequence[int]] = LIP_PART_GROUPS,
                 group_key: str = 'label', chunk_size: int = 256,
                 foreground: str = 'activation', **kwargs) -> None:
        super().__init__(group_key=group_key, chunk_size=chunk_size, **kwargs)
        if foreground not in ('activation', 'ground_truth'):
            raise ValueError("ISPClusteringHook: foreground must be 'activation' or "
                             f"'ground_truth', got {foreground!r}")
        self.foreground = foreground
        if feat_dtype not in ('float32', 'float16'):
            raise ValueError(f"ISPClusteringHook: feat_dtype must be 'float32' or 'float16', "
                             f'got {feat_dtype!r}')
        self.num_classes = num_classes
        self.clustering_cfg = dict(type='CascadedClustering', sharpen=sharpen, max_iter=max_iter,
                                   seed=seed, kmeans=kmeans)
        self.init_batch_stats = init_batch_stats
        self.feat_dtype = getattr(torch, feat_dtype)
        self.part_groups = dict(part_groups)
        self.clustering = None

    def before_train(self, runner) -> None:
        super().before_train(runner)
        model = self._model
        head = getattr(model, 'part_head', None)
        k_model = getattr(head, 'num_classes', None)
        if not callable(getattr(model, 'extract_clustering_feat', None)) or k_model is None:
            raise TypeError(f'ISPClusteringHook needs an ISP model (extract_clustering_feat and '
                            f'part_head.num_classes), got {type(model).__name__}')
        if self.num_classes is None:
            self.num_classes = int(k_model)
        elif int(self.num_classes) != int(k_model):
            raise ValueError(f'ISPClusteringHook: num_classes={self.num_classes} but the '
                             f"model's part_head has num_classes={k_model}; they must agree")
        self.clustering = TASK_UTILS.build(dict(self.clustering_cfg,
                                                num_classes=self.num_classes))

    def extract(self, model, data_batch: dict) -> Dict[str, Tensor]:
        data = model.data_preprocessor(data_batch, False)
        feats = model.extract_clustering_feat(data['inputs'])
        out = dict(feats=feats.to(self.feat_dtype))
        samples = data.get('data_samples') or []
        if samples and all('gt_part_seg' in s for s in samples):
            gt = torch.stack([s.gt_part_seg.data for s in samples]).to(feats.device).float()
            gt = F.interpolate(gt, size=feats.shape[2:], mode='nearest')[:, 0]
            out['gt_part_seg'] = gt.to(torch.uint8)
        return out

    @contextmanager
    def _batch_stat_norms(self, enabled: bool):
        """BN layers in train mode with momentum 0: batch statistics, running ones kept."""
        saved = []
        if enabled:
            for m in self._model.modules():
                if isinstance(m, _BatchNorm) and not isinstance(m, SyncBatchNorm):
                    saved.append((m, m.training, m.momentum))
                    m.train()
                    m.momentum = 0.0
        try:
            yield len(saved)
        finally:
            for m, training, momentum in saved:
                m.train(training)
                m.momentum = momentum

    def cluster(self, runner) -> Dict[str, float]:
        """Cascaded clustering of every identity; returns the statistics logged with the
        base class's (see the class docstring)."""
        with self._batch_stat_norms(self.init_batch_stats and runner.iter == 0) as n_bn:
            stats = self._cluster()
        stats['clustering/batch_stat_norms'] = float(n_bn)
        return stats

    def _cluster(self) -> Dict[str, float]:
        K = self.num_classes
        G = len(self.part_groups)
        counts = torch.zeros(K + 1, dtype=torch.float64)  # label counts, then images
        conf = torch.zeros(G + 2, K, dtype=torch.int64)
        has_gt = None
        t_cluster = 0.0
        for chunk in self.iter_groups(shard=True):
            tic = time.perf_counter()
            feats = chunk['feats'].to(self.device, torch.float32)
            groups = chunk['group_ids'][chunk['group_index']]
            given_fg = None
            if self.foreground == 'ground_truth':
                if 'gt_part_seg' not in chunk:
                    raise KeyError("ISPClusteringHook(foreground='ground_truth') needs the true "
                                   "masks: add dict(type='LoadReIDPartMask') to its pipeline and "
                                   "part_mask_prefix to the dataset")
                given_fg = (chunk['gt_part_seg'] > 0) & (chunk['gt_part_seg'] != 255)
            labels = self.clustering(feats, groups, foreground=given_fg)
            t_cluster += time.perf_counter() - tic
            self.write_labels(chunk['sample_idx'], labels)
            counts[:K] += torch.bincount(labels.flatten().cpu(), minlength=K).double()
            counts[K] += labels.shape[0]
            if 'gt_part_seg' in chunk:
                has_gt = True
                conf += part_group_confusion(labels.cpu(), group_map(chunk['gt_part_seg'].cpu()),
                                             K, G)
        flag = torch.tensor([1 if has_gt else 0], dtype=torch.int64)
        if self.world_size > 1:  # every rank makes the same calls
            all_reduce(counts)
            all_reduce(conf)
            all_reduce(flag)
        total = counts[:K].sum().clamp_min(1)
        stats = {'clustering/images': float(counts[K]),
                 'clustering/cascaded_time': t_cluster,
                 'clustering/foreground_ratio': float(1 - counts[0] / total)}
        for k in range(1, K):
            stats[f'clustering/part{k}_ratio'] = float(counts[k] / total)
        if int(flag) > 0:
            iou = part_group_iou(conf, list(self.part_groups))
            stats.update({f'clustering/iou_{k}': v for k, v in iou.items()
                          if not k.startswith('assign/')})
        return stats
