"""Re-cluster features of the whole training set before every (n-th) epoch and train on
the cluster labels (ISP, C2L): the schedule, the wiring of the parts and the logs."""
import copy
import logging
import os.path as osp
import time
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.dist import barrier, broadcast, get_dist_info
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner import EpochBasedTrainLoop
from torch import Tensor

from hp_mm.registry import HOOKS
from hp_mm.structures.pseudo_label_writer import PseudoLabelWriter
from hp_mm.utils.peak_memory import PeakMemoryMeter
from hp_mm.utils.ragged_all_gather import all_gather_ragged
from .clustering_checkpoint import load_clustering_state, save_clustering_state
from .extraction_loader import build_extraction_loader, read_group_values
from .feature_stream import FeatureStream, amp_dtype
from .group_chunk_plan import index_groups, plan_group_chunks
from .pseudo_label_binding import bind_pseudo_label_loaders


@HOOKS.register_module()
class PerEpochClusteringHook(Hook):
    """Base hook: extract features of the training set, cluster them, write per-sample
    pseudo-label maps that the training pipeline reads (:class:`LoadPseudoLabels`).

    **When.** ``before_train_epoch`` of every epoch ``e`` with ``e % interval == 0``
    (epoch 0 included) and ``e < stop_epoch`` (if set), and the first epoch of a run
    without valid labels (e.g. resumed from a checkpoint without them). Requires
    ``EpochBasedTrainLoop``.

    **Parts** (built in ``before_train``): the sequential, un-augmented loader
    (:func:`build_extraction_loader`); the :class:`FeatureStream` over it (the model
    unwrapped, in ``eval()`` under ``no_grad``, ``autocast`` with an ``AmpOptimWrapper``;
    gathered iterators see samples ``0..N-1`` in order on every rank); the
    :class:`PseudoLabelWriter` of the stores; every :class:`LoadPseudoLabels` of the train
    pipeline bound to the store directory.

    **Subclass API** (guide: ``docs/clustering.md``): :meth:`extract` ``(model,
    data_batch) -> dict[str, Tensor]`` of (B, ...) tensors (default ``'feats'``, the last
    level of ``model.extract_feat``); :meth:`cluster` ``(runner)`` pulls features with
    :meth:`iter_batches` / :meth:`iter_buffers` / :meth:`iter_groups`, writes every sample
    of every store exactly once over all ranks with :meth:`write_labels`, and may return
    statistics ``{'clustering/<name>': float}`` logged with the hook's own; optional
    :meth:`extra_state` / :meth:`load_extra_state`.

    **Stores, ranks, resume.** One uint8 (N, h, w) memmap per store at
    ``work_dir/<store_dir>/<store>.npy`` (255 = no label). After :meth:`cluster` the
    labels of all ranks are gathered, checked (exactly once) and written by rank 0, then
    a barrier (``work_dir`` shared by all ranks). Checkpoints carry every store
    (``checkpoint['pseudo_labels'][store]``), so a resumed run trains on exactly the
    labels of the uninterrupted run.

    **Logs** (text log, message hub info ``'clustering'``, visualizer scalars,
    :attr:`stats`): ``clustering/time`` (s, the whole hook), ``extract_time``,
    ``cluster_time``, ``write_time``, ``peak_memory_mb`` (host RSS above the value at
    entry; ``peak_cuda_memory_mb`` on GPU), ``max_buffered`` (most samples held by the
    iterators), the statistics of :meth:`cluster`; after the epoch ``clustering/share``
    = clustering time / (clustering + training time).

    Args:
        interval (int): Cluster every ``interval`` epochs. Default 1.
        stop_epoch (int, optional): No clustering from this epoch on (labels stay).
        pipeline (list[dict], optional): Extraction pipeline replacing the train
            dataset's. It must pack ``sample_idx`` into the data samples' metainfo and
            map the whole image to the feature map (resize, no crop / pad).
        dataloader (dict, optional): Overrides of ``train_dataloader`` for extraction
            (``batch_size``, ``num_workers``, ``persistent_workers``, ...).
        stores (Sequence[str], optional): Store names written; default the class
            attribute :attr:`stores` (``('default',)``).
        group_key (str, optional): ``data_info`` key of the groups of
            :meth:`iter_groups` (ISP: ``'label'``).
        chunk_size (int): Samples per :meth:`iter_groups` chunk (whole groups, so a
            chunk may be larger). Default 256.
        buffer_device (str, optional): Device of the gathered outputs ('cpu', default)
            or None to keep them where they were extracted.
        store_dir (str): Sub-directory of ``work_dir`` for the stores.
        show_progress (bool): Progress bar on rank 0. Default True.
    """

    priority = 'NORMAL'
    #: store names written by this hook (override in subclasses or with ``stores=``)
    stores: Tuple[str, ...] = ('default', )

    def __init__(self,
                 interval: int = 1,
                 stop_epoch: Optional[int] = None,
                 pipeline: Optional[List[dict]] = None,
                 dataloader: Optional[dict] = None,
                 stores: Optional[Sequence[str]] = None,
                 group_key: Optional[str] = None,
                 chunk_size: int = 256,
                 buffer_device: Optional[str] = 'cpu',
                 store_dir: str = 'pseudo_labels',
                 show_progress: bool = True) -> None:
        if int(interval) < 1:
            raise ValueError(f'interval must be >= 1, got {interval}')
        if stop_epoch is not None and int(stop_epoch) < 0:
            raise ValueError(f'stop_epoch must be >= 0, got {stop_epoch}')
        if int(chunk_size) < 1:
            raise ValueError(f'chunk_size must be >= 1, got {chunk_size}')
        self.interval = int(interval)
        self.stop_epoch = None if stop_epoch is None else int(stop_epoch)
        self.pipeline = copy.deepcopy(pipeline)
        self.dataloader_overrides = dict(dataloader or {})
        self.stores = tuple(stores) if stores is not None else tuple(type(self).stores)
        if not self.stores or len(set(self.stores)) != len(self.stores):
            raise ValueError(f'stores must be distinct names, got {self.stores}')
        self.group_key = group_key
        self.chunk_size = int(chunk_size)
        self.buffer_device = None if buffer_device is None else torch.device(buffer_device)
        self.store_dir = store_dir
        self.show_progress = show_progress
        self.rank, self.world_size = 0, 1
        self.device = torch.device('cpu')
        self.dataloader, self.dataset, self.num_samples = None, None, 0
        self.group_index: Optional[Tensor] = None   # (N,) contiguous group of each sample
        self.group_values: Optional[Tensor] = None  # (G,) group id (data_info value)
        self.feature_stream: Optional[FeatureStream] = None
        self.label_writer = PseudoLabelWriter(self.stores, owner=type(self).__name__)
        #: statistics of the last clustering (what was logged)
        self.stats: Dict[str, float] = {}
        self._model = None
        self._resumed: Dict[str, Tuple[np.ndarray, int]] = {}
        self._valid = False
        self._label_epoch: Dict[str, int] = {}
        self._clustered_this_epoch = None
        self._epoch_start = None

    # ------------------------------------------------------------------ subclass API
    def extract(self, model, data_batch: dict) -> Dict[str, Tensor]:
        """Per-sample outputs of one batch (unwrapped model, ``eval()``, ``no_grad``,
        ``autocast`` with AMP): tensors with first dim B, default ``{'feats': (B, C, h,
        w)}`` the last level of ``model.extract_feat``; the hook adds ``'sample_idx'``."""
        data = model.data_preprocessor(data_batch, False)
        feats = model.extract_feat(data['inputs'])
        if isinstance(feats, (list, tuple)):
            feats = feats[-1]
        return dict(feats=feats)

    def cluster(self, runner) -> Optional[Dict[str, float]]:
        """Compute and write this epoch's labels (override); optionally return
        statistics to log. Every rank must consume each iterator to the end."""
        raise NotImplementedError(
            f'{type(self).__name__} must implement cluster(runner); PerEpochClusteringHook '
            'is a base class (see docs/clustering.md)')

    def extra_state(self) -> dict:
        """Extra state to checkpoint with the labels (tensors / plain Python)."""
        return {}

    def load_extra_state(self, state: dict) -> None:
        """Restore :meth:`extra_state` from a checkpoint."""

    # ------------------------------------------------------------------ helpers for subclasses
    def owns(self, index: int) -> bool:
        """Whether work item ``index`` belongs to this rank (``index % world_size``)."""
        return index % self.world_size == self.rank

    def broadcast_(self, tensor: Tensor, src: int = 0) -> Tensor:
        """Broadcast ``tensor`` in place from rank ``src`` (no-op on one process)."""
        if self.world_size > 1:
            broadcast(tensor, src)
        return tensor

    def write_labels(self, sample_idx, labels, store: str = 'default') -> None:
        """Record label maps computed on this rank: ``sample_idx`` (n,), ``labels``
        (n, h, w) integers in [0, 255] (255 = ignore) (:meth:`PseudoLabelWriter.add`)."""
        self.label_writer.add(sample_idx, labels, store)

    def store_path(self, runner, store: str = 'default') -> str:
        """``work_dir/<store_dir>/<store>.npy``."""
        return osp.join(runner.work_dir, self.store_dir, f'{store}.npy')

    def iter_batches(self, gather: bool = True) -> Iterator[Dict[str, Tensor]]:
        """One extraction pass (:meth:`FeatureStream.iter_batches`)."""
        return self._stream().iter_batches(gather)

    def iter_buffers(self, num_samples: int) -> Iterator[Dict[str, Tensor]]:
        """Buffers of ``num_samples`` samples (:meth:`FeatureStream.iter_buffers`)."""
        return self._stream().iter_buffers(num_samples)

    def iter_groups(self, chunk_size: Optional[int] = None,
                    shard: bool = True) -> Iterator[Dict[str, Tensor]]:
        """Chunks of whole ``group_key`` groups of at least ``chunk_size`` samples (this
        call only; default the hook's ``chunk_size``), chunk ``j`` on rank
        ``j % world_size`` when ``shard`` (:func:`plan_group_chunks`,
        :meth:`FeatureStream.iter_groups`)."""
        if self.group_index is None:
            raise RuntimeError(f'{type(self).__name__}: iter_groups needs group_key')
        plan = plan_group_chunks(self.group_index,
                                 self.chunk_size if chunk_size is None else int(chunk_size))
        return self._stream().iter_groups(plan, self.group_index, self.group_values, shard)

    def _stream(self) -> FeatureStream:  # the iterators exist once before_train built them
        if self.feature_stream is None:
            raise RuntimeError('the feature iterators are only available inside cluster()')
        return self.feature_stream

    # ------------------------------------------------------------------ mmengine hook points
    def before_train(self, runner) -> None:
        """Build the loader and stream, bind LoadPseudoLabels, restore checkpointed labels."""
        if not isinstance(runner.train_loop, EpochBasedTrainLoop):
            raise TypeError(f'{type(self).__name__} needs an EpochBasedTrainLoop (train_cfg '
                            f"type='EpochBasedTrainLoop'), got {type(runner.train_loop).__name__}: "
                            'iteration-based loops call before_train_epoch only once')
        owner = type(self).__name__
        self.rank, self.world_size = get_dist_info()
        self._model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        param = next(iter(self._model.parameters()), None)
        self.device = param.device if param is not None else torch.device('cpu')
        self.dataloader = build_extraction_loader(runner.cfg.get('train_dataloader'),
                                                  self.pipeline, self.dataloader_overrides,
                                                  runner.seed, owner)
        self.dataset = self.dataloader.dataset
        self.num_samples = len(self.dataset)
        if self.num_samples < self.world_size:
            raise ValueError(f'{self.num_samples} training samples for {self.world_size} ranks')
        if self.group_key is not None:
            self.group_values, self.group_index = index_groups(
                read_group_values(self.dataset, self.group_key, owner))
        self.feature_stream = FeatureStream(
            self.dataloader, self.extract, self._model, self.num_samples, self.device,
            amp_dtype(runner.optim_wrapper, self.device), self.buffer_device,
            self.show_progress, owner)
        bind_pseudo_label_loaders(getattr(runner.train_dataloader, 'dataset', None),
                                  osp.join(runner.work_dir, self.store_dir), self.stores, owner)
        self._restore(runner)

    def before_train_epoch(self, runner) -> None:
        """Cluster when the epoch is scheduled (or when no valid labels exist)."""
        epoch = runner.epoch
        self._clustered_this_epoch = None
        if not self._should_run(epoch):
            if self._valid:
                return
            print_log(f'{type(self).__name__}: no pseudo labels for epoch {epoch} (resumed from a '
                      'checkpoint without them?): clustering now', logger='current',
                      level=logging.WARNING)
        self._run(runner, epoch)

    def after_train_epoch(self, runner) -> None:
        """Log the clustering's share of the epoch."""
        if self._clustered_this_epoch is None:
            return
        train_time = time.perf_counter() - self._epoch_start
        share = self._clustered_this_epoch / max(self._clustered_this_epoch + train_time, 1e-12)
        self._log(runner, runner.epoch, {'clustering/share': share})
        self._clustered_this_epoch = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Save every store (uint8 tensor) and the extra state."""
        if self._valid:
            save_clustering_state(checkpoint, {
                n: (self.label_writer.read(self.store_path(runner, n)),
                    self._label_epoch.get(n, -1)) for n in self.stores},
                type(self).__name__, self.extra_state())

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Keep the checkpoint's labels; they are written to the stores in before_train."""
        self._resumed, extra = load_clustering_state(checkpoint, self.stores, type(self).__name__)
        if extra:
            self.load_extra_state(extra)

    # ------------------------------------------------------------------ schedule, stores, logs
    def _should_run(self, epoch: int) -> bool:
        if self.stop_epoch is not None and epoch >= self.stop_epoch:
            return False
        return epoch % self.interval == 0

    def _run(self, runner, epoch: int) -> None:
        self.feature_stream.reset_stats()
        self.label_writer.clear()
        model = self._model
        was_training = model.training
        tic = time.perf_counter()
        with PeakMemoryMeter(self.device) as meter:
            model.eval()
            try:
                with torch.no_grad():
                    extra = self.cluster(runner) or {}
            finally:
                model.train(was_training)
            t_write = time.perf_counter()
            self._write_stores(runner)
            write_time = time.perf_counter() - t_write
        total = time.perf_counter() - tic
        self._valid = True
        self._label_epoch = {n: epoch for n in self.stores}
        extract_time = self.feature_stream.extract_time
        stats = {
            'clustering/time': total,
            'clustering/extract_time': extract_time,
            'clustering/cluster_time': max(total - extract_time - write_time, 0.0),
            'clustering/write_time': write_time,
            'clustering/peak_memory_mb': meter.peak_mb,
            'clustering/max_buffered': float(self.feature_stream.max_buffered),
        }
        if meter.peak_cuda_mb is not None:
            stats['clustering/peak_cuda_memory_mb'] = meter.peak_cuda_mb
        stats.update({k: float(v) for k, v in extra.items()})
        self.stats = stats
        self._log(runner, epoch, stats)
        self._clustered_this_epoch = total
        self._epoch_start = time.perf_counter()

    def _write_stores(self, runner) -> None:
        """Gather every rank's labels, check exactly-once, rank 0 writes, barrier."""
        for name in self.stores:
            idx, lab = self.label_writer.take(name)
            if self.world_size > 1:
                both = all_gather_ragged(dict(idx=torch.from_numpy(idx), lab=torch.from_numpy(lab)),
                                         name=f'store {name!r}')
                idx, lab = both['idx'].numpy(), both['lab'].numpy()
            self.label_writer.commit(name, self.store_path(runner, name), idx, lab,
                                     self.num_samples, write=self.rank == 0)
        self.label_writer.clear()
        if self.world_size > 1:
            barrier()

    def _restore(self, runner) -> None:
        """Write labels loaded from a checkpoint into the stores."""
        if not self._resumed:
            return
        for name, (labels, _) in self._resumed.items():
            if labels.shape[0] != self.num_samples:
                raise ValueError(f'checkpoint labels of store {name!r} have {labels.shape[0]} '
                                 f'samples, the training set has {self.num_samples}')
            if self.rank == 0:
                self.label_writer.restore(self.store_path(runner, name), labels)
        if self.world_size > 1:
            barrier()
        self._label_epoch = {n: e for n, (_, e) in self._resumed.items()}
        self._valid = all(n in self._resumed for n in self.stores)
        self._resumed = {}

    def _log(self, runner, epoch: int, stats: Dict[str, float]) -> None:
        text = ', '.join(f'{k}: {v:.4g}' for k, v in stats.items())
        runner.logger.info(f'Epoch(train) [{epoch + 1}] {type(self).__name__}: {text}')
        runner.message_hub.update_info('clustering', dict(runner.message_hub.get_info(
            'clustering') or {}, **stats))
        runner.visualizer.add_scalars(stats, step=runner.iter)
