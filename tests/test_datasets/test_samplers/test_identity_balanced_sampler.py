"""IdentityBalancedSampler: P x K batches, epochs, distributed split, errors."""
from collections import Counter

import numpy as np
import pytest

from hp_mm.datasets.samplers import identity_balanced_sampler as ibs
from hp_mm.datasets.samplers import IdentityBalancedSampler
from hp_mm.registry import DATA_SAMPLERS


class FakeDataset:
    """Identity ``i`` has ``counts[i]`` samples; only ``get_data_info`` is used."""

    def __init__(self, counts):
        self.labels = [i for i, n in enumerate(counts) for _ in range(n)]

    def __len__(self):
        return len(self.labels)

    def get_data_info(self, idx):
        return dict(label=self.labels[idx], pid=100 + self.labels[idx])


COUNTS = [4, 8, 5, 12, 4, 7, 9, 4, 6, 16]  # 10 ids, chunks of 4: 1,2,1,3,1,1,2,1,1,4 = 17


def batches(sampler, P, K):
    idx = np.array(list(sampler))
    assert len(idx) == len(sampler)
    return idx.reshape(-1, P * K)


def test_p_by_k_batches_and_epochs():
    ds = FakeDataset(COUNTS)
    s = DATA_SAMPLERS.build(dict(type='IdentityBalancedSampler', num_identities=3,
                                 num_instances=4, seed=1), default_args=dict(dataset=ds))
    labels = np.array(ds.labels)
    # 17 chunks -> 5 batches of 3 identities (<= 5 chunks per identity)
    assert s.num_batches == 5 and len(s) == 5 * 12
    first = batches(s, 3, 4)
    for b in first:
        ids = labels[b].reshape(3, 4)
        assert (ids == ids[:, :1]).all()  # K images of one identity, contiguous
        assert len(set(ids[:, 0])) == 3  # P different identities
    assert len(set(first.ravel())) == first.size  # no image twice in an epoch
    assert (first == batches(s, 3, 4)).all()  # same epoch, same order
    s.set_epoch(1)
    second = batches(s, 3, 4)
    assert len(second) == 5 and not (second == first).all()
    again = IdentityBalancedSampler(ds, num_identities=3, num_instances=4, seed=1)
    again.set_epoch(1)
    assert (batches(again, 3, 4) == second).all()  # reproducible from the seed
    fixed = IdentityBalancedSampler(ds, num_identities=3, num_instances=4, seed=1,
                                    shuffle=False)
    fixed.set_epoch(5)
    assert (batches(fixed, 3, 4) == first).all()


def test_distributed_split(monkeypatch):
    ds = FakeDataset(COUNTS)
    labels = np.array(ds.labels)
    per_rank = []
    for rank in range(2):
        monkeypatch.setattr(ibs, 'get_dist_info', lambda r=rank: (r, 2))
        s = IdentityBalancedSampler(ds, num_identities=2, num_instances=4, seed=3)
        s.set_epoch(2)
        per_rank.append(batches(s, 2, 4))
    a, b = per_rank
    assert a.shape == b.shape == (4, 8)  # 17 chunks // (2 x 2) = 4 steps
    for x, y in zip(a, b):  # one step: 4 different identities over the 2 ranks
        assert len(set(labels[x]) | set(labels[y])) == 4
    assert not set(a.ravel()) & set(b.ravel())  # no image on both ranks


def test_few_images_replace_and_errors():
    ds = FakeDataset([4, 2, 1, 4])
    s = IdentityBalancedSampler(ds, num_identities=4, num_instances=4, seed=0)
    labels = np.array(ds.labels)
    (b, ) = batches(s, 4, 4)
    assert Counter(labels[b]) == {0: 4, 1: 4, 2: 4, 3: 4}  # topped up by repetition
    assert set(b[labels[b] == 2]) == {6}  # the single image of identity 2, 4 times
    with pytest.raises(ValueError, match='2 identities .* have 4 images .*2 have fewer, '
                                         'left out with replace=False.*needs 4'):
        IdentityBalancedSampler(ds, num_identities=4, num_instances=4, replace=False)
    with pytest.raises(ValueError, match='needs 5'):
        IdentityBalancedSampler(ds, num_identities=5, num_instances=4)
    with pytest.raises(ValueError, match='>= 1'):
        IdentityBalancedSampler(ds, num_identities=0)
