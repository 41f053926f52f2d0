"""The extraction side of a per-epoch clustering: run the model over the sequential
loader and stream its per-sample outputs, gathered over ranks, as batches, fixed-size
buffers or chunks of whole groups."""
import sys
import time
from contextlib import nullcontext
from typing import Callable, Dict, Iterator, List, Optional, Tuple

import torch
from mmengine.dist import all_reduce, get_dist_info
from mmengine.optim import AmpOptimWrapper, OptimWrapperDict
from mmengine.runner.amp import autocast
from mmengine.utils import ProgressBar
from torch import Tensor

from hp_mm.utils.ragged_all_gather import all_gather_ragged
from .group_chunk_plan import GroupChunkPlan

Outputs = Dict[str, Tensor]


def amp_dtype(optim_wrapper, device: torch.device) -> Optional[torch.dtype]:
    """The autocast dtype of the run: the ``cast_dtype`` of its ``AmpOptimWrapper``
    (float16 on CUDA, bfloat16 elsewhere when unset), or None without AMP."""
    wrappers = optim_wrapper.values() if isinstance(optim_wrapper, OptimWrapperDict) else \
        [optim_wrapper]
    amp = next((w for w in wrappers if isinstance(w, AmpOptimWrapper)), None)
    if amp is None:
        return None
    return amp.cast_dtype or (torch.float16 if device.type == 'cuda' else torch.bfloat16)


def _cat(parts: List[Outputs]) -> Outputs:
    if len(parts) == 1:
        return parts[0]
    return {k: torch.cat([p[k] for p in parts]) for k in parts[0]}


def _split(batch: Outputs, n: int) -> Tuple[Outputs, Outputs]:
    return {k: v[:n] for k, v in batch.items()}, {k: v[n:] for k, v in batch.items()}


class FeatureStream:
    """Per-sample outputs of ``extract(model, data_batch)`` over a sequential loader.

    Each rank extracts its shard of the loader (``DefaultSampler(shuffle=False)``).
    Gathered iterators all-gather every step's outputs of all ranks and sort them by
    ``sample_idx``, so every rank sees samples ``0..N-1`` in order, each once, for any
    world size and batch size. Every rank must consume each iterator to the end (they
    run collectives). ``extract`` runs under ``no_grad`` and, with ``amp_dtype``, under
    ``autocast``; the caller puts the model in ``eval()``.

    Note:
        B: batch size; N: samples; n: samples of a yielded item.

    Args:
        loader (Iterable): The extraction loader (batches with ``data_samples`` that
            carry ``sample_idx`` in their metainfo).
        extract (Callable): ``extract(model, data_batch) -> dict[str, Tensor]`` of
            (B, ...) tensors.
        model (nn.Module): The unwrapped model handed to ``extract``.
        num_samples (int): N.
        device (torch.device): The model's device (autocast's device type).
        amp (torch.dtype, optional): Autocast dtype, None without AMP.
        buffer_device (torch.device, optional): Device of the yielded tensors; None:
            where they were extracted.
        show_progress (bool): A progress bar per pass on rank 0.
        owner (str): Name used in error messages (the hook's class).

    Attributes:
        extract_time (float): Seconds spent extracting and gathering since
            :meth:`reset_stats`.
        max_buffered (int): Most samples held by :meth:`iter_buffers` /
            :meth:`iter_groups` since :meth:`reset_stats`.
    """

    def __init__(self, loader, extract: Callable[..., Outputs], model, num_samples: int,
                 device: torch.device = torch.device('cpu'), amp: Optional[torch.dtype] = None,
                 buffer_device: Optional[torch.device] = torch.device('cpu'),
                 show_progress: bool = True, owner: str = 'PerEpochClusteringHook') -> None:
        self.loader = loader
        self.extract = extract
        self.model = model
        self.num_samples = int(num_samples)
        self.device = device
        self.amp = amp
        self.buffer_device = buffer_device
        self.show_progress = show_progress
        self.owner = owner
        self.rank, self.world_size = get_dist_info()
        self._template: Optional[Dict[str, Tuple[tuple, torch.dtype, torch.device]]] = None
        self.reset_stats()

    def reset_stats(self) -> None:
        self.extract_time = 0.0
        self.max_buffered = 0

    # ------------------------------------------------------------------ one batch
    def extract_batch(self, data_batch: dict) -> Outputs:
        """``extract`` of one batch, checked, plus ``'sample_idx'`` (B,) int64."""
        samples = data_batch.get('data_samples') if isinstance(data_batch, dict) else None
        if samples is None:
            raise KeyError(f'{self.owner}: extraction batches need `data_samples` with '
                           '`sample_idx` in their metainfo (PackReIDInputs, or PackSegInputs '
                           "with 'sample_idx' in meta_keys)")
        try:
            idx = torch.tensor([int(s.metainfo['sample_idx']) for s in samples], dtype=torch.int64)
        except KeyError:
            raise KeyError(f'{self.owner}: a data sample has no `sample_idx` in its metainfo: '
                           "add 'sample_idx' to the packer's meta_keys of the extraction "
                           'pipeline') from None
        amp = nullcontext() if self.amp is None else autocast(device_type=self.device.type,
                                                              dtype=self.amp)
        with torch.no_grad(), amp:
            out = self.extract(self.model, data_batch)
        if not isinstance(out, dict) or not out:
            raise TypeError(f'{self.owner}.extract must return a non-empty dict of tensors')
        if 'sample_idx' in out:
            raise KeyError(f"{self.owner}.extract must not return 'sample_idx'")
        for k, v in out.items():
            if not isinstance(v, Tensor) or v.dim() == 0 or v.shape[0] != len(idx):
                raise ValueError(f'{self.owner}.extract: output {k!r} must be a tensor with '
                                 f'first dim {len(idx)} (batch size)')
        out = {k: v.detach() for k, v in out.items()}
        out['sample_idx'] = idx
        if self._template is None:
            self._template = {k: (tuple(v.shape[1:]), v.dtype, v.device) for k, v in out.items()}
        return out

    def gather(self, out: Optional[Outputs]) -> Outputs:
        """All ranks' outputs of one step, sorted by ``sample_idx``; ``out`` is None on a
        rank past its last batch (it contributes nothing)."""
        if self.world_size == 1:
            return out
        if self._template is None:
            raise RuntimeError('a rank has no extraction sample at all: fewer samples than ranks?')
        if out is None:
            out = {k: torch.empty((0, ) + shape, dtype=dtype, device=device)
                   for k, (shape, dtype, device) in self._template.items()}
        merged = all_gather_ragged(out, name=f'{self.owner} extraction outputs')
        order = torch.argsort(merged['sample_idx'].cpu())
        return {k: v[order.to(v.device)] for k, v in merged.items()}

    # ------------------------------------------------------------------ iterators
    def iter_batches(self, gather: bool = True) -> Iterator[Outputs]:
        """One extraction pass over the training set.

        Args:
            gather (bool): True: every step all-gathers the ranks' batches and sorts
                them by ``sample_idx`` (identical on every rank; over the pass samples
                0..N-1 in order, each once). False: this rank's own batches, no
                communication.

        Yields:
            dict[str, Tensor]: The outputs of ``extract`` plus ``'sample_idx'`` (n,)
            int64, on ``buffer_device``.
        """
        local_steps = len(self.loader)
        steps = local_steps
        if gather and self.world_size > 1:
            t = torch.tensor([local_steps], dtype=torch.int64)
            all_reduce(t, op='max')
            steps = int(t)
        bar = ProgressBar(self.num_samples, file=sys.stdout) if (
            self.show_progress and self.rank == 0) else None
        it = iter(self.loader)
        for step in range(steps):
            tic = time.perf_counter()
            out = self.extract_batch(next(it)) if step < local_steps else None
            if gather:
                out = self.gather(out)
            elif out is None:
                continue
            if self.buffer_device is not None:
                out = {k: v.to(self.buffer_device) for k, v in out.items()}
            self.extract_time += time.perf_counter() - tic
            if bar is not None:
                bar.update(len(out['sample_idx']) * (1 if gather else self.world_size))
            yield out
        if bar is not None:
            sys.stdout.write('\n')

    def iter_buffers(self, num_samples: int) -> Iterator[Outputs]:
        """The gathered stream cut into consecutive buffers of exactly ``num_samples``
        samples (the last one shorter): the same buffers on every rank and for any
        world size or batch size."""
        if int(num_samples) < 1:
            raise ValueError(f'num_samples must be >= 1, got {num_samples}')
        pending, count = [], 0
        for batch in self.iter_batches(gather=True):
            pending.append(batch)
            count += len(batch['sample_idx'])
            self.max_buffered = max(self.max_buffered, count)
            while count >= num_samples:
                head, rest = _split(_cat(pending), num_samples)
                pending, count = ([rest] if len(rest['sample_idx']) else []), count - num_samples
                yield head
        if count:
            yield _cat(pending)

    def iter_groups(self, plan: GroupChunkPlan, group_index: Tensor, group_values: Tensor,
                    shard: bool = True) -> Iterator[Outputs]:
        """The gathered stream regrouped into the chunks of whole groups of ``plan``.

        A chunk is yielded as soon as all its samples have been extracted; each sample
        is copied once, from the gathered batch straight into its slot of the chunk. Only
        chunks this rank yields are kept, so memory holds the incomplete chunks only (one
        or two when the dataset is sorted by group).

        Args:
            plan (GroupChunkPlan): From :func:`plan_group_chunks` of ``group_index``.
            group_index (Tensor): (N,) int64 group of each sample in [0, G).
            group_values (Tensor): (G,) int64 group ids (the ``data_info`` values).
            shard (bool): True: chunk ``j`` is yielded only on rank ``j % world_size``;
                False: every chunk on every rank.

        Yields:
            dict[str, Tensor]: The outputs of ``extract`` and ``'sample_idx'`` (n,),
            ordered group by group (completion order) and by ``sample_idx`` inside a
            group, plus ``'group_ids'`` (G',) int64 (the chunk's group values) and
            ``'group_index'`` (n,) int64 in [0, G') (position of the sample's group).
        """
        sizes = plan.chunk_sizes
        mine = [not shard or j % self.world_size == self.rank for j in range(plan.num_chunks)]
        remaining = sizes.clone()
        buffers: Dict[int, Outputs] = {}
        buffered = 0
        for batch in self.iter_batches(gather=True):
            idx = batch['sample_idx'].cpu()
            chunks = plan.chunk_of_sample[idx]
            done = []
            for j in torch.unique(chunks).tolist():
                sel = torch.nonzero(chunks == j).flatten()
                remaining[j] -= len(sel)
                if mine[j]:
                    if j not in buffers:
                        buffers[j] = {k: v.new_empty((int(sizes[j]), ) + tuple(v.shape[1:]))
                                      for k, v in batch.items()}
                        buffered += int(sizes[j])
                    self._copy_into(buffers[j], batch, sel, plan.slot_of_sample[idx[sel]],
                                    whole=len(sel) == len(idx))
                if remaining[j] == 0:
                    done.append(j)
            self.max_buffered = max(self.max_buffered, buffered)
            del batch
            for j in sorted(done):
                if not mine[j]:
                    continue
                chunk = buffers.pop(j)
                buffered -= int(sizes[j])
                g = group_index[chunk['sample_idx'].cpu()]
                uniq, local = torch.unique_consecutive(g, return_inverse=True)
                dev = chunk['sample_idx'].device
                chunk['group_ids'] = group_values[uniq].to(dev)
                chunk['group_index'] = local.to(dev)
                yield chunk
                del chunk
        if buffers:
            raise RuntimeError(f'iter_groups: chunks {sorted(buffers)} never completed')

    @staticmethod
    def _copy_into(dst: Outputs, batch: Outputs, sel: Tensor, where: Tensor, whole: bool) -> None:
        """Copy rows ``sel`` of ``batch`` into rows ``where`` of ``dst``."""
        run = bool((where[1:] - where[:-1] == 1).all()) if len(where) > 1 else True
        for k, v in batch.items():
            src = v if whole else v.index_select(0, sel.to(v.device))
            if run:  # the usual case: consecutive slots
                dst[k][int(where[0]):int(where[0]) + len(where)].copy_(src)
            else:
                dst[k].index_copy_(0, where.to(v.device), src)
