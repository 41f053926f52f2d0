"""P x K identity-balanced sampling for metric-learning re-ID training."""
from collections import defaultdict
from typing import Iterator, List, Optional

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from hp_mm.registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module()
class IdentityBalancedSampler(Sampler):
    """Yield indices so that every batch of ``P * K`` holds ``P`` identities with ``K``
    images each (Hermans et al. 2017; torchreid's ``RandomIdentitySampler``).

    Set the dataloader's ``batch_size`` to ``num_identities * num_instances`` (per
    process)::

        train_dataloader = dict(
            batch_size=64,
            sampler=dict(type='IdentityBalancedSampler', num_identities=16,
                         num_instances=4))

    One epoch, from ``np.random.default_rng((seed, epoch))`` (the same on every rank):

    1. each identity's images are shuffled and cut into chunks of ``K`` (an identity
       with fewer than ``K`` images is topped up by drawing its images again when
       ``replace=True``, as torchreid does, or left out when ``replace=False``); the
       leftover images (``n mod K``) wait for another epoch;
    2. chunks are dealt into ``B`` global batches of ``P * world_size`` distinct
       identities: identities in a random order, their chunks laid out one after the
       other and dealt round-robin (chunk ``t`` to batch ``t mod B``), with at most
       ``B`` chunks per identity so that no batch sees an identity twice;
    3. the batches are shuffled and batch ``b`` gives identities ``r*P .. (r+1)*P - 1``
       to rank ``r``: within one step the ranks see different identities.

    ``B`` depends only on the dataset (not on the seed), so ``len(sampler)`` is the same
    every epoch; it is about (images / (P * K * world_size)).

    Args:
        dataset: The training dataset; ``get_data_info(i)['label']`` (or ``['pid']``
            where the label is missing or -1) is the identity of sample ``i`` (no image
            is read).
        num_identities (int): ``P``, identities per batch and process.
        num_instances (int): ``K``, images per identity.
        replace (bool): Top up identities with fewer than ``K`` images by repeating
            images (True) or leave them out (False).
        seed (int, optional): Random seed; default: synchronised across ranks
            (``mmengine.dist.sync_random_seed``).
        shuffle (bool): Shuffle every epoch (False: epoch 0's order every epoch).

    Raises:
        ValueError: If fewer than ``P * world_size`` identities have ``K`` images
            (after topping up).
    """

    def __init__(self, dataset, num_identities: int = 16, num_instances: int = 4,
                 replace: bool = True, seed: Optional[int] = None,
                 shuffle: bool = True) -> None:
        if num_identities < 1 or num_instances < 1:
            raise ValueError(f'IdentityBalancedSampler: num_identities and num_instances must '
                             f'be >= 1, got {num_identities}, {num_instances}')
        rank, world_size = get_dist_info()
        self.rank, self.world_size = rank, world_size
        self.dataset = dataset
        self.P, self.K = int(num_identities), int(num_instances)
        self.replace = replace
        self.seed = sync_random_seed() if seed is None else int(seed)
        self.shuffle = shuffle
        self.epoch = 0

        if hasattr(dataset, 'full_init'):
            dataset.full_init()
        groups = defaultdict(list)
        for i in range(len(dataset)):
            info = dataset.get_data_info(i)
            label = info.get('label', -1)
            groups[label if label >= 0 else info['pid']].append(i)
        self.identities = sorted(groups)
        self.index_groups = [np.asarray(groups[k], np.int64) for k in self.identities]
        counts = np.array([len(g) for g in self.index_groups])
        chunks = np.where(counts >= self.K, counts // self.K, 1 if replace else 0)
        usable = int((chunks > 0).sum())
        group = self.P * world_size
        if usable < group:
            few = int((counts < self.K).sum())
            raise ValueError(
                f'IdentityBalancedSampler: {usable} identities of {type(dataset).__name__} '
                f'have {self.K} images (of {len(counts)}; {few} have fewer'
                f'{", left out with replace=False" if not replace else ""}), but a step '
                f'needs {self.P} identities x {world_size} process(es) = {group}. Lower '
                f'num_identities or num_instances.')
        # largest number of batches B with at most B chunks per identity
        num_batches = int(chunks.sum()) // group
        while True:
            capped = int(np.minimum(chunks, num_batches).sum()) // group
            if capped == num_batches:
                break
            num_batches = capped
        self.chunks = np.minimum(chunks, num_batches)
        self.num_batches = num_batches

    def _epoch_batches(self, epoch: int) -> np.ndarray:
        """All ranks' batches of one epoch, shape (B, P * world_size, K) sample indices."""
        rng = np.random.default_rng((self.seed, epoch))
        K = self.K
        order = rng.permutation(len(self.identities))
        laid = []
        for g in order:
            c = int(self.chunks[g])
            if c == 0:
                continue
            idx = self.index_groups[g]
            if len(idx) < K:
                idx = np.concatenate([idx, rng.choice(idx, K - len(idx), replace=True)])
            idx = rng.permutation(idx)[:c * K]
            laid.append(idx.reshape(c, K))
        laid = np.concatenate(laid)[:self.num_batches * self.P * self.world_size]
        # chunk t -> batch t mod B, slot t // B
        batches = laid.reshape(-1, self.num_batches, K).transpose(1, 0, 2)
        batches = batches[rng.permutation(self.num_batches)]
        for b in batches:  # identities in a random order within the step
            b[...] = b[rng.permutation(len(b))]
        return batches

    def __iter__(self) -> Iterator[int]:
        batches = self._epoch_batches(self.epoch if self.shuffle else 0)
        mine = batches[:, self.rank * self.P:(self.rank + 1) * self.P]
        return iter(mine.reshape(-1).tolist())

    def __len__(self) -> int:
        return self.num_batches * self.P * self.K

    def set_epoch(self, epoch: int) -> None:
        """Use the shuffle of ``epoch`` (called by mmengine's train loops)."""
        self.epoch = epoch

    def identities_per_batch(self) -> List[List[int]]:
        """This rank's batches of the current epoch as lists of identity keys (tests)."""
        key = np.empty(len(self.dataset), np.int64)
        for ident, g in zip(self.identities, self.index_groups):
            key[g] = ident
        idx = np.fromiter(iter(self), np.int64).reshape(-1, self.P * self.K)
        return [key[b].tolist() for b in idx]
