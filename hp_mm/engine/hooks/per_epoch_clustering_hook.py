"""Re-cluster features of the whole training set before every (n-th) epoch and
train on the cluster labels (ISP, C2L): the extraction / streaming / store machinery."""
import copy
import os
import os.path as osp
import resource
import sys
import threading
import time
from contextlib import nullcontext
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.dist import all_gather, all_reduce, barrier, broadcast, get_dist_info
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.optim import AmpOptimWrapper, OptimWrapperDict
from mmengine.runner import EpochBasedTrainLoop, Runner
from mmengine.runner.amp import autocast
from mmengine.utils import ProgressBar
from torch import Tensor

from hp_mm.datasets.transforms.pseudo_labels import LoadPseudoLabels
from hp_mm.registry import HOOKS
from hp_mm.structures.pseudo_label_store import PseudoLabelStore

#: checkpoint key of the saved label stores
CKPT_LABELS = 'pseudo_labels'
#: checkpoint key of the subclasses' extra state
CKPT_STATE = 'clustering_state'


def _rss_bytes() -> Optional[int]:
    """Resident set size of this process (Linux ``/proc/self/statm``), or None."""
    try:
        with open('/proc/self/statm') as f:
            return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')
    except (OSError, ValueError, IndexError):
        return None


class PeakMemoryMeter:
    """Peak extra memory of a code block: host RSS above its value at entry (sampled
    by a thread every ``interval`` s; falls back to ``ru_maxrss`` without /proc)
    and, for a CUDA ``device``, the peak of ``torch.cuda.max_memory_allocated``
    above the allocation at entry.

    Example:
        >>> with PeakMemoryMeter() as meter:
        ...     work()
        >>> meter.peak_mb, meter.peak_cuda_mb
    """

    def __init__(self, device: Optional[torch.device] = None, interval: float = 0.005) -> None:
        self.device = device
        self.interval = interval
        self.peak_mb = 0.0
        self.peak_cuda_mb: Optional[float] = None
        self._stop = threading.Event()
        self._thread = None

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            rss = _rss_bytes()
            if rss is not None and rss > self._peak:
                self._peak = rss

    def __enter__(self) -> 'PeakMemoryMeter':
        self._start = _rss_bytes()
        self._peak = self._start or 0
        self._maxrss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if self._start is not None:
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        if self.device is not None and self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)
            self._cuda0 = torch.cuda.memory_allocated(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
        return self

    def __exit__(self, *exc) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            rss = _rss_bytes()
            peak = max(self._peak, rss or 0)
            self.peak_mb = max(peak - self._start, 0) / 2**20
        else:  # ru_maxrss is in KiB on Linux; counts only when the block sets a new high
            self.peak_mb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss -
                               self._maxrss0, 0) / 1024
        if self.device is not None and self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)
            self.peak_cuda_mb = max(torch.cuda.max_memory_allocated(self.device) - self._cuda0,
                                    0) / 2**20


def _cat(parts: List[Dict[str, Tensor]]) -> Dict[str, Tensor]:
    if len(parts) == 1:
        return parts[0]
    return {k: torch.cat([p[k] for p in parts]) for k in parts[0]}


def _select(batch: Dict[str, Tensor], index: Tensor) -> Dict[str, Tensor]:
    return {k: v[index.to(v.device)] for k, v in batch.items()}


def _split(batch: Dict[str, Tensor], n: int) -> Tuple[Dict[str, Tensor], Dict[str, Tensor]]:
    return {k: v[:n] for k, v in batch.items()}, {k: v[n:] for k, v in batch.items()}


@HOOKS.register_module()
class PerEpochClusteringHook(Hook):
    """Base hook: extract features of the training set, cluster them, write per-sample
    pseudo-label maps that the training pipeline reads (:class:`LoadPseudoLabels`).

    **When.** In ``before_train_epoch`` of every epoch ``e`` with ``e % interval == 0``
    (epoch 0 included) and ``e < stop_epoch`` (if set); also at the first epoch of a
    run that has no valid labels yet (e.g. resumed from a checkpoint without them).
    Requires ``EpochBasedTrainLoop``.

    **Extraction.** A sequential, un-augmented loader is built once (``before_train``)
    with ``Runner.build_dataloader`` from ``train_dataloader``: the train dataset
    (wrappers such as ``RepeatDataset`` unwrapped) with ``pipeline`` replaced,
    ``DefaultSampler(shuffle=False, round_up=False)``, any ``batch_sampler`` dropped,
    ``dataloader`` overrides applied. The model is unwrapped (``is_model_wrapper``),
    put in ``eval()`` under ``no_grad`` (``autocast`` when the runner uses an
    ``AmpOptimWrapper``) and put back in its previous mode afterwards. Rank 0 shows a
    progress bar per extraction pass.

    **Subclass API** (full guide: ``docs/clustering.md``):

    - :meth:`extract` ``(model, data_batch) -> dict[str, Tensor]``: per-sample
      tensors (first dim B) of one batch; default: the last level of
      ``model.extract_feat`` as ``'feats'``.
    - :meth:`cluster` ``(runner) -> None``: pulls features with the iterators
      :meth:`iter_batches` (one pass, gathered or local), :meth:`iter_buffers`
      (fixed-size buffers of consecutive samples, PiCIE) and :meth:`iter_groups`
      (whole groups such as identities, sharded over ranks, ISP), and writes maps
      with :meth:`write_labels`. Every sample of every store must be written exactly
      once over all ranks.
    - optional :meth:`extra_state` / :meth:`load_extra_state` for checkpointed state.

    **Distributed.** Each rank extracts its shard; gathered iterators all-gather the
    batches of all ranks and sort them by ``sample_idx``, so every rank sees samples
    ``0..N-1`` in order, each once, whatever the world size or batch size. Labels
    written on any rank are gathered at the end of :meth:`cluster`, checked
    (exactly once), written by rank 0 and followed by a barrier; ``work_dir`` must
    be shared by all ranks (as for checkpoints).

    **Store and resume.** One uint8 (N, h, w) memmap per store name at
    ``work_dir/<store_dir>/<store>.npy`` (:class:`PseudoLabelStore`, 255 = no label).
    The hook binds every :class:`LoadPseudoLabels` of the train pipeline to that
    directory. Checkpoints carry every store as a uint8 tensor
    (``checkpoint['pseudo_labels'][store]``), restored on ``--resume``, so a resumed
    run trains on exactly the labels of the uninterrupted run.

    **Logs.** After each clustering: ``clustering/time`` (s, the whole hook),
    ``clustering/extract_time``, ``clustering/cluster_time``, ``clustering/write_time``,
    ``clustering/peak_memory_mb`` (host RSS above the value at entry;
    ``clustering/peak_cuda_memory_mb`` on GPU), ``clustering/max_buffered`` (most
    samples held by :meth:`iter_groups` / :meth:`iter_buffers`); after the epoch
    ``clustering/share`` = clustering time / (clustering time + the epoch's training
    time). Written to the log and to the visualizer's scalars.

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
        self.dataloader = None
        self.dataset = None
        self.num_samples = 0
        self.group_index: Optional[Tensor] = None   # (N,) contiguous group of each sample
        self.group_values: Optional[Tensor] = None  # (G,) group id (data_info value)
        self._model = None
        self._amp = None
        self._template: Optional[Dict[str, Tuple[tuple, torch.dtype]]] = None
        self._pending: Dict[str, list] = {}
        self._timers = dict(extract=0.0, write=0.0)
        self._max_buffered = 0
        self._resumed: Dict[str, Tuple[np.ndarray, int]] = {}
        self._valid = False
        self._label_epoch: Dict[str, int] = {}
        self._created = set()  # stores (re)created by this run
        self._clustered_this_epoch = None
        self._epoch_start = None
        self._last_time = 0.0

    # ------------------------------------------------------------------ subclass API
    def extract(self, model, data_batch: dict) -> Dict[str, Tensor]:
        """Per-sample outputs of one extraction batch.

        Called with the unwrapped model in ``eval()``, under ``no_grad`` (and
        ``autocast`` with AMP). Return tensors whose first dim is the batch size B
        (other dims fixed over batches); put anything needed from the data samples
        in here as tensors. ``'sample_idx'`` is added by the hook.

        Args:
            model (nn.Module): The unwrapped model.
            data_batch (dict): A collated batch (``inputs``, ``data_samples``).

        Returns:
            dict[str, Tensor]: Default ``{'feats': (B, C, h, w)}``, the last level of
            ``model.extract_feat(model.data_preprocessor(data_batch)['inputs'])``.
        """
        data = model.data_preprocessor(data_batch, False)
        feats = model.extract_feat(data['inputs'])
        if isinstance(feats, (list, tuple)):
            feats = feats[-1]
        return dict(feats=feats)

    def cluster(self, runner) -> None:
        """Compute and write this epoch's labels (override).

        Use :meth:`iter_batches`, :meth:`iter_buffers`, :meth:`iter_groups` to stream
        the outputs of :meth:`extract` and :meth:`write_labels` to store maps. Every
        rank must consume each iterator to the end (they run collectives).
        """
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
        """Record label maps computed on this rank.

        Args:
            sample_idx (Tensor | ndarray): (n,) sample indices.
            labels (Tensor | ndarray): (n, h, w) integers in [0, 255] (255 = ignore).
            store (str): Store name (one of :attr:`stores`).
        """
        if store not in self.stores:
            raise KeyError(f'{type(self).__name__}: unknown store {store!r}; declared stores '
                           f'are {self.stores}')
        if isinstance(labels, Tensor):
            labels = labels.detach()
            lo, hi = (int(labels.min()), int(labels.max())) if labels.numel() else (0, 0)
            labels = labels.cpu().numpy()
        else:
            labels = np.asarray(labels)
            lo, hi = (int(labels.min()), int(labels.max())) if labels.size else (0, 0)
        if lo < 0 or hi > 255:
            raise ValueError(f'labels for store {store!r} must lie in [0, 255], got [{lo}, {hi}]')
        idx = (sample_idx.detach().cpu().numpy() if isinstance(sample_idx, Tensor) else
               np.asarray(sample_idx)).astype(np.int64).reshape(-1)
        if labels.ndim != 3 or labels.shape[0] != idx.size:
            raise ValueError(f'labels must have shape (n={idx.size}, h, w), got {labels.shape}')
        self._pending.setdefault(store, []).append((idx, labels.astype(np.uint8)))

    def store_path(self, runner, store: str = 'default') -> str:
        """``work_dir/<store_dir>/<store>.npy``."""
        return osp.join(runner.work_dir, self.store_dir, f'{store}.npy')

    # ------------------------------------------------------------------ iterators
    def iter_batches(self, gather: bool = True) -> Iterator[Dict[str, Tensor]]:
        """One extraction pass over the training set.

        Args:
            gather (bool): True: every step all-gathers the ranks' batches and sorts
                them by ``sample_idx`` (identical on every rank; over the pass samples
                0..N-1 in order, each once). False: this rank's own batches, no
                communication.

        Yields:
            dict[str, Tensor]: The outputs of :meth:`extract` plus ``'sample_idx'``
            (n,) int64, on ``buffer_device``.
        """
        if self.dataloader is None:
            raise RuntimeError('iter_batches is only available inside cluster()')
        loader = self.dataloader
        local_steps = len(loader)
        steps = local_steps
        if gather and self.world_size > 1:
            t = torch.tensor([local_steps], dtype=torch.int64)
            all_reduce(t, op='max')
            steps = int(t)
        bar = ProgressBar(self.num_samples, file=sys.stdout) if (
            self.show_progress and self.rank == 0) else None
        it = iter(loader)
        for step in range(steps):
            tic = time.perf_counter()
            out = self._extract_batch(next(it)) if step < local_steps else None
            if gather:
                out = self._gather(out)
            elif out is None:
                continue
            if self.buffer_device is not None:
                out = {k: v.to(self.buffer_device) for k, v in out.items()}
            self._timers['extract'] += time.perf_counter() - tic
            if bar is not None:
                n = len(out['sample_idx'])
                bar.update(n * (1 if gather else self.world_size))
            yield out
        if bar is not None:
            sys.stdout.write('\n')

    def iter_buffers(self, num_samples: int) -> Iterator[Dict[str, Tensor]]:
        """The gathered stream cut into consecutive buffers of exactly ``num_samples``
        samples (the last one shorter): the same buffers on every rank and for any
        world size or batch size."""
        if int(num_samples) < 1:
            raise ValueError(f'num_samples must be >= 1, got {num_samples}')
        pending, count = [], 0
        for batch in self.iter_batches(gather=True):
            pending.append(batch)
            count += len(batch['sample_idx'])
            self._max_buffered = max(self._max_buffered, count)
            while count >= num_samples:
                head, rest = _split(_cat(pending), num_samples)
                pending, count = ([rest] if len(rest['sample_idx']) else []), count - num_samples
                yield head
        if count:
            yield _cat(pending)

    def chunk_plan(self) -> Tuple[Tensor, Tensor]:
        """How :meth:`iter_groups` chunks the groups.

        Groups are taken in the order in which they complete in the stream (by their
        last sample index) and cut into chunks of at least ``chunk_size`` samples.

        Returns:
            tuple: ``group_order`` (G,) group indices in completion order and
            ``chunk_of_group`` (G,) chunk index of each group.
        """
        if self.group_index is None:
            raise RuntimeError(f'{type(self).__name__}: iter_groups needs group_key')
        G = len(self.group_values)
        last = torch.full((G, ), -1, dtype=torch.int64).scatter_reduce_(
            0, self.group_index, torch.arange(self.num_samples), 'amax')
        order = torch.argsort(last)
        sizes = torch.bincount(self.group_index, minlength=G)[order]
        # chunk j closes at the first group that brings its size to >= chunk_size
        chunk_of_ordered = torch.empty(G, dtype=torch.int64)
        chunk, filled = 0, 0
        for i, s in enumerate(sizes.tolist()):
            chunk_of_ordered[i] = chunk
            filled += s
            if filled >= self.chunk_size:
                chunk, filled = chunk + 1, 0
        chunk_of_group = torch.empty(G, dtype=torch.int64)
        chunk_of_group[order] = chunk_of_ordered
        return order, chunk_of_group

    def iter_groups(self, chunk_size: Optional[int] = None,
                    shard: bool = True) -> Iterator[Dict[str, Tensor]]:
        """The gathered stream regrouped into chunks of whole groups (``group_key``).

        A chunk is yielded as soon as all its samples have been extracted; each
        sample is copied once, from the gathered batch straight into its place in the
        chunk. Only chunks this rank yields are kept, so memory holds the incomplete
        chunks only (one or two when the dataset is sorted by group).

        Args:
            chunk_size (int, optional): Overrides the hook's ``chunk_size``.
            shard (bool): True: chunk ``j`` is yielded only on rank ``j % world_size``
                (sharded clustering); False: every chunk on every rank.

        Yields:
            dict[str, Tensor]: The outputs of :meth:`extract` and ``'sample_idx'`` (n,),
            ordered group by group (completion order) and by ``sample_idx`` inside a
            group, plus ``'group_ids'`` (G,) int64 (the ``group_key`` values) and
            ``'group_index'`` (n,) int64 in [0, G) (position of the sample's group).
        """
        if chunk_size is not None:
            self.chunk_size = int(chunk_size)
        order, chunk_of_group = self.chunk_plan()
        rank_in_order = torch.empty_like(order)
        rank_in_order[order] = torch.arange(len(order))
        chunk_of_sample = chunk_of_group[self.group_index]
        num_chunks = int(chunk_of_group.max()) + 1 if len(chunk_of_group) else 0
        # position of every sample inside its chunk: by group completion, then sample_idx
        key = rank_in_order[self.group_index] * (self.num_samples + 1) + torch.arange(self.num_samples)
        sorted_samples = torch.argsort(key)
        sizes = torch.bincount(chunk_of_sample, minlength=num_chunks)
        starts = torch.cumsum(sizes, 0) - sizes
        pos = torch.empty(self.num_samples, dtype=torch.int64)
        pos[sorted_samples] = torch.arange(self.num_samples) - starts[chunk_of_sample[sorted_samples]]
        mine = [not shard or self.owns(j) for j in range(num_chunks)]
        remaining = sizes.clone()
        buffers: Dict[int, Dict[str, Tensor]] = {}
        buffered = 0
        for batch in self.iter_batches(gather=True):
            idx = batch['sample_idx'].cpu()
            chunks = chunk_of_sample[idx]
            done = []
            for j in torch.unique(chunks).tolist():
                sel = torch.nonzero(chunks == j).flatten()
                remaining[j] -= len(sel)
                if mine[j]:
                    if j not in buffers:
                        buffers[j] = {k: v.new_empty((int(sizes[j]), ) + tuple(v.shape[1:]))
                                      for k, v in batch.items()}
                        buffered += int(sizes[j])
                    where = pos[idx[sel]]
                    whole = len(sel) == len(idx)
                    run = bool((where[1:] - where[:-1] == 1).all()) if len(where) > 1 else True
                    for k, v in batch.items():
                        src = v if whole else v.index_select(0, sel.to(v.device))
                        dst = buffers[j][k]
                        if run:  # the usual case: consecutive slots
                            dst[int(where[0]):int(where[0]) + len(where)].copy_(src)
                        else:
                            dst.index_copy_(0, where.to(v.device), src)
                if remaining[j] == 0:
                    done.append(j)
            self._max_buffered = max(self._max_buffered, buffered)
            del batch
            for j in sorted(done):
                if not mine[j]:
                    continue
                chunk = buffers.pop(j)
                buffered -= int(sizes[j])
                g = self.group_index[chunk['sample_idx'].cpu()]
                uniq, local = torch.unique_consecutive(g, return_inverse=True)
                dev = chunk['sample_idx'].device
                chunk['group_ids'] = self.group_values[uniq].to(dev)
                chunk['group_index'] = local.to(dev)
                yield chunk
                del chunk
        if buffers:
            raise RuntimeError(f'iter_groups: chunks {sorted(buffers)} never completed')

    # ------------------------------------------------------------------ internals
    def _extract_batch(self, data_batch: dict) -> Dict[str, Tensor]:
        samples = data_batch.get('data_samples') if isinstance(data_batch, dict) else None
        if samples is None:
            raise KeyError(f'{type(self).__name__}: extraction batches need `data_samples` with '
                           '`sample_idx` in their metainfo (PackReIDInputs, or PackSegInputs with '
                           "'sample_idx' in meta_keys)")
        try:
            idx = torch.tensor([int(s.metainfo['sample_idx']) for s in samples], dtype=torch.int64)
        except KeyError:
            raise KeyError(f'{type(self).__name__}: a data sample has no `sample_idx` in its '
                           "metainfo: add 'sample_idx' to the packer's meta_keys of the "
                           'extraction pipeline') from None
        with torch.no_grad(), self._amp_context():
            out = self.extract(self._model, data_batch)
        if not isinstance(out, dict) or not out:
            raise TypeError(f'{type(self).__name__}.extract must return a non-empty dict of tensors')
        if 'sample_idx' in out:
            raise KeyError(f"{type(self).__name__}.extract must not return 'sample_idx'")
        for k, v in out.items():
            if not isinstance(v, Tensor) or v.dim() == 0 or v.shape[0] != len(idx):
                raise ValueError(f'{type(self).__name__}.extract: output {k!r} must be a tensor '
                                 f'with first dim {len(idx)} (batch size)')
        out = {k: v.detach() for k, v in out.items()}
        out['sample_idx'] = idx
        if self._template is None:
            self._template = {k: (tuple(v.shape[1:]), v.dtype, v.device) for k, v in out.items()}
        return out

    def _gather(self, out: Optional[Dict[str, Tensor]]) -> Dict[str, Tensor]:
        """All-gather one step's outputs of every rank (padded to the largest),
        sorted by sample_idx; a rank past its last batch contributes nothing."""
        if self.world_size == 1:
            return out
        n = 0 if out is None else len(out['sample_idx'])
        sizes = [int(s) for s in all_gather(torch.tensor([n], dtype=torch.int64))]
        if self._template is None:
            raise RuntimeError('a rank has no extraction sample at all: fewer samples than ranks?')
        width = max(sizes)
        merged = {}
        for k in sorted(self._template):
            shape, dtype, device = self._template[k]
            v = out[k] if out is not None else torch.empty((0, ) + shape, dtype=dtype,
                                                          device=device)
            if v.dtype == torch.bool:
                v = v.to(torch.uint8)
            if v.shape[0] < width:
                v = torch.cat([v, v.new_zeros((width - v.shape[0], ) + shape)])
            parts = all_gather(v.contiguous())
            merged[k] = torch.cat([p[:s] for p, s in zip(parts, sizes)]).to(dtype)
        order = torch.argsort(merged['sample_idx'].cpu())
        return _select(merged, order)

    def _amp_context(self):
        if self._amp is None:
            return nullcontext()
        return autocast(device_type=self.device.type, dtype=self._amp)

    def _build_loader(self, runner):
        cfg = runner.cfg.get('train_dataloader')
        if cfg is None:
            raise KeyError(f'{type(self).__name__} builds its loader from the config\'s '
                           '`train_dataloader`, which is missing')
        cfg = copy.deepcopy(dict(cfg))
        dataset = cfg['dataset']
        if not isinstance(dataset, dict):
            raise TypeError(f'{type(self).__name__}: train_dataloader.dataset must be a config '
                            'dict to rebuild it with the extraction pipeline')
        dataset = copy.deepcopy(dict(dataset))
        while 'pipeline' not in dataset and isinstance(dataset.get('dataset'), dict):
            dataset = copy.deepcopy(dict(dataset['dataset']))  # RepeatDataset & co: the real one
        if 'datasets' in dataset:
            raise TypeError(f'{type(self).__name__}: ConcatDataset repeats sample_idx across its '
                            'parts; cluster a single dataset')
        if self.pipeline is not None:
            dataset['pipeline'] = copy.deepcopy(self.pipeline)
        cfg['dataset'] = dataset
        cfg.pop('batch_sampler', None)
        cfg.update(copy.deepcopy(self.dataloader_overrides))
        cfg['sampler'] = dict(type='DefaultSampler', shuffle=False, round_up=False)
        return Runner.build_dataloader(cfg, seed=runner.seed)

    def _bind_transforms(self, runner) -> None:
        store_dir = osp.join(runner.work_dir, self.store_dir)
        found = []
        seen = set()

        def walk(obj):
            if obj is None or id(obj) in seen or isinstance(obj, (str, bytes, dict, Tensor)):
                return
            seen.add(id(obj))
            if isinstance(obj, LoadPseudoLabels):
                found.append(obj)
                return
            if isinstance(obj, (list, tuple)):
                for o in obj:
                    walk(o)
                return
            for attr in ('dataset', 'datasets', 'pipeline', 'transforms'):
                try:
                    walk(getattr(obj, attr, None))
                except AttributeError:
                    pass

        walk(getattr(runner.train_dataloader, 'dataset', None))
        for t in found:
            if t.store not in self.stores:
                continue
            if t.store_dir is not None and osp.abspath(t.store_dir) != osp.abspath(store_dir):
                print_log(f'{type(self).__name__}: LoadPseudoLabels(store={t.store!r}) keeps its '
                          f'store_dir {t.store_dir}, not {store_dir}', logger='current',
                          level=30)
                continue
            t.bind(store_dir)
        if not any(t.store in self.stores for t in found):
            print_log(f'{type(self).__name__}: no LoadPseudoLabels for stores {self.stores} in '
                      'the train pipeline; the labels are written but not loaded',
                      logger='current', level=30)

    def _write_stores(self, runner) -> None:
        """Gather every rank's labels, check exactly-once, rank 0 writes, barrier."""
        for name in self.stores:
            pend = self._pending.pop(name, [])
            idx = np.concatenate([p[0] for p in pend]) if pend else np.zeros(0, np.int64)
            hw = pend[0][1].shape[1:] if pend else (0, 0)
            lab = np.concatenate([p[1] for p in pend]) if pend else np.zeros((0, ) + hw, np.uint8)
            meta = torch.tensor([len(idx), hw[0], hw[1]], dtype=torch.int64)
            metas = [m.tolist() for m in all_gather(meta)] if self.world_size > 1 else [meta.tolist()]
            shapes = {tuple(m[1:]) for m in metas if m[0] > 0}
            if len(shapes) != 1:
                raise ValueError(f'store {name!r}: ' + ('no labels were written this epoch' if not
                                 shapes else f'ranks wrote maps of different sizes {shapes}'))
            h, w = shapes.pop()
            if len(idx) == 0:
                lab = np.zeros((0, h, w), np.uint8)
            if self.world_size > 1:
                width = max(m[0] for m in metas)
                idx_t = torch.from_numpy(np.pad(idx, (0, width - len(idx))))
                lab_t = torch.from_numpy(np.pad(lab, ((0, width - len(idx)), (0, 0), (0, 0))))
                sizes = [m[0] for m in metas]
                idx = torch.cat([p[:s] for p, s in zip(all_gather(idx_t), sizes)]).numpy()
                lab = torch.cat([p[:s] for p, s in zip(all_gather(lab_t), sizes)]).numpy()
            if len(idx) and idx.min() < 0:
                raise ValueError(f'store {name!r}: negative sample_idx written')
            counts = np.bincount(idx, minlength=self.num_samples) if len(idx) else \
                np.zeros(self.num_samples, np.int64)
            if len(counts) != self.num_samples or (counts != 1).any():
                missing = int((counts[:self.num_samples] == 0).sum())
                repeated = int((counts[:self.num_samples] > 1).sum())
                extra = int(counts[self.num_samples:].sum())
                raise ValueError(f'store {name!r}: every sample must be written exactly once; '
                                 f'{missing} missing, {repeated} written more than once, '
                                 f'{extra} out of range [0, {self.num_samples})')
            if self.rank == 0:
                order = np.argsort(idx, kind='stable')
                # the run's first write may replace a stale file of another shape (no reader
                # has mapped it yet); later writes go in place so open readers see them
                store = PseudoLabelStore.create(self.store_path(runner, name), self.num_samples,
                                                h, w, replace=name not in self._created)
                self._created.add(name)
                store.write(idx[order], lab[order])
                store.flush()
                del store
        self._pending.clear()
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
                store = PseudoLabelStore.create(self.store_path(runner, name), *labels.shape,
                                                replace=True)
                self._created.add(name)
                store.load(labels)
                store.flush()
                del store
        if self.world_size > 1:
            barrier()
        self._label_epoch = {n: e for n, (_, e) in self._resumed.items()}
        self._valid = all(n in self._resumed for n in self.stores)
        self._resumed = {}

    def _should_run(self, epoch: int) -> bool:
        if self.stop_epoch is not None and epoch >= self.stop_epoch:
            return False
        return epoch % self.interval == 0

    # ------------------------------------------------------------------ mmengine hook points
    def before_train(self, runner) -> None:
        """Build the extraction loader, bind the pipeline's LoadPseudoLabels,
        restore checkpointed labels."""
        if not isinstance(runner.train_loop, EpochBasedTrainLoop):
            raise TypeError(f'{type(self).__name__} needs an EpochBasedTrainLoop (train_cfg '
                            f"type='EpochBasedTrainLoop'), got {type(runner.train_loop).__name__}: "
                            'iteration-based loops call before_train_epoch only once')
        self.rank, self.world_size = get_dist_info()
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        self._model = model
        param = next(iter(model.parameters()), None)
        self.device = param.device if param is not None else torch.device('cpu')
        self.dataloader = self._build_loader(runner)
        self.dataset = self.dataloader.dataset
        self.num_samples = len(self.dataset)
        if self.num_samples < self.world_size:
            raise ValueError(f'{self.num_samples} training samples for {self.world_size} ranks')
        if self.group_key is not None:
            self._init_groups()
        wrappers = runner.optim_wrapper.values() if isinstance(
            runner.optim_wrapper, OptimWrapperDict) else [runner.optim_wrapper]
        amp = next((w for w in wrappers if isinstance(w, AmpOptimWrapper)), None)
        self._amp = None if amp is None else (amp.cast_dtype or (
            torch.float16 if self.device.type == 'cuda' else torch.bfloat16))
        self._bind_transforms(runner)
        self._restore(runner)

    def _init_groups(self) -> None:
        get_info = getattr(self.dataset, 'get_data_info', None)
        if get_info is None:
            raise TypeError(f'{type(self).__name__}: group_key needs an mmengine BaseDataset')
        values = []
        for i in range(self.num_samples):
            info = get_info(i)
            if self.group_key not in info:
                raise KeyError(f'{type(self).__name__}: data_info of sample {i} has no '
                               f'{self.group_key!r} (group_key)')
            values.append(int(info[self.group_key]))
        uniq, inverse = np.unique(np.asarray(values, dtype=np.int64), return_inverse=True)
        self.group_values = torch.from_numpy(uniq)
        self.group_index = torch.from_numpy(inverse.astype(np.int64))

    def before_train_epoch(self, runner) -> None:
        """Cluster when the epoch is scheduled (or when no valid labels exist)."""
        epoch = runner.epoch
        self._clustered_this_epoch = None
        if not self._should_run(epoch):
            if self._valid:
                return
            print_log(f'{type(self).__name__}: no pseudo labels for epoch {epoch} (resumed from a '
                      'checkpoint without them?): clustering now', logger='current', level=30)
        self._run(runner, epoch)

    def _run(self, runner, epoch: int) -> None:
        self._timers = dict(extract=0.0, write=0.0)
        self._max_buffered = 0
        self._pending = {}
        model = self._model
        was_training = model.training
        tic = time.perf_counter()
        with PeakMemoryMeter(self.device) as meter:
            model.eval()
            try:
                with torch.no_grad():
                    self.cluster(runner)
            finally:
                model.train(was_training)
            t_write = time.perf_counter()
            self._write_stores(runner)
            self._timers['write'] = time.perf_counter() - t_write
        total = time.perf_counter() - tic
        self._valid = True
        self._label_epoch = {n: epoch for n in self.stores}
        stats = {
            'clustering/time': total,
            'clustering/extract_time': self._timers['extract'],
            'clustering/cluster_time': max(total - self._timers['extract'] - self._timers['write'],
                                           0.0),
            'clustering/write_time': self._timers['write'],
            'clustering/peak_memory_mb': meter.peak_mb,
            'clustering/max_buffered': float(self._max_buffered),
        }
        if meter.peak_cuda_mb is not None:
            stats['clustering/peak_cuda_memory_mb'] = meter.peak_cuda_mb
        self._log(runner, epoch, stats)
        self._clustered_this_epoch = total
        self._epoch_start = time.perf_counter()

    def _log(self, runner, epoch: int, stats: Dict[str, float]) -> None:
        text = ', '.join(f'{k}: {v:.4g}' for k, v in stats.items())
        runner.logger.info(f'Epoch(train) [{epoch + 1}] {type(self).__name__}: {text}')
        runner.message_hub.update_info('clustering', dict(runner.message_hub.get_info(
            'clustering') or {}, **stats))
        runner.visualizer.add_scalars(stats, step=runner.iter)

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
        if not self._valid:
            return
        saved = checkpoint.setdefault(CKPT_LABELS, {})
        for name in self.stores:
            store = PseudoLabelStore(self.store_path(runner, name), mode='r')
            saved[name] = dict(labels=torch.from_numpy(np.array(store.array)),
                               epoch=int(self._label_epoch.get(name, -1)))
            del store
        extra = self.extra_state()
        if extra:
            checkpoint.setdefault(CKPT_STATE, {})[type(self).__name__] = extra

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Keep the checkpoint's labels; they are written to the stores in before_train."""
        saved = checkpoint.get(CKPT_LABELS) or {}
        self._resumed = {
            name: (saved[name]['labels'].cpu().numpy().astype(np.uint8), int(saved[name]['epoch']))
            for name in self.stores if name in saved
        }
        extra = (checkpoint.get(CKPT_STATE) or {}).get(type(self).__name__)
        if extra:
            self.load_extra_state(extra)
