import random

import numpy as np
import pytest
import torch
from mmengine.dataset import BaseDataset
from mmengine.registry import init_default_scope

from hp_mm.datasets.transforms import GenerateTwoViews, PackTwoViewInputs, set_view_epoch
from hp_mm.registry import DATASETS

PHOTOMETRIC = [
    dict(type='RandomApply', prob=0.8, transforms=[
        dict(type='PhotoMetricDistortion', brightness_delta=38, contrast_range=(0.7, 1.3),
             saturation_range=(0.7, 1.3), hue_delta=18)]),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True),
    dict(type='RandomGaussianBlur', sigma=(0.1, 2.0), prob=0.5),
]


def _image(i):
    return np.random.default_rng(100 + i).integers(0, 256, (12, 10, 3), dtype=np.uint8)


def _views(t, i):
    out = t(dict(img=_image(i), sample_idx=i))
    return out['img'], out['img_view2'], out['view_crop'], out['view_flip']


def _same(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a[:2], b[:2])) and a[2:] == b[2:]


def test_views_fixed_per_sample_and_epoch_new_next_epoch():
    init_default_scope('hp_mm')
    cluster_pass = GenerateTwoViews(photometric=PHOTOMETRIC, seed=7)
    train_pass = GenerateTwoViews(photometric=PHOTOMETRIC, seed=7)  # another pipeline's copy
    # the training pass visits the samples in another order, with other randomness in between
    first = {i: _views(cluster_pass, i) for i in range(6)}
    np.random.seed(123)
    random.seed(5)
    state = np.random.get_state()[1].copy()
    for i in (4, 1, 5, 0, 3, 2):
        assert _same(_views(train_pass, i), first[i])
    assert np.array_equal(np.random.get_state()[1], state)  # global generators restored
    assert random.random() == random.Random(5).random()
    assert not np.array_equal(first[0][0], first[0][1])  # P^1 and P^2 differ
    assert len({v[2] for v in first.values()}) == 6  # G differs between samples
    for t in (cluster_pass, train_pass):
        t.set_epoch(1)
    second = {i: _views(cluster_pass, i) for i in range(6)}
    for i in range(6):
        assert _same(_views(train_pass, i), second[i])
        assert not _same(second[i], first[i])
        lo, hi = 0.5, 1.0
        x0, y0, x1, y1 = second[i][2]
        assert lo - 1e-9 <= x1 - x0 <= hi and x1 - x0 == pytest.approx(y1 - y0)
        assert 0 <= x0 and x1 <= 1 and 0 <= y0 and y1 <= 1
    # a different seed gives different views
    other = GenerateTwoViews(photometric=PHOTOMETRIC, seed=8)
    other.set_epoch(1)
    assert not _same(_views(other, 0), second[0])


@DATASETS.register_module(force=True)
class _TwoViewToy(BaseDataset):
    METAINFO = dict(classes=('a', 'b'))

    def load_data_list(self):
        return [dict(img=_image(i)) for i in range(6)]


def test_epoch_reaches_persistent_workers():
    """set_view_epoch in the main process changes what already running workers produce
    (the epoch lives in shared memory)."""
    init_default_scope('hp_mm')
    dataset = DATASETS.build(dict(type='_TwoViewToy', pipeline=[
        dict(type='GenerateTwoViews', photometric=PHOTOMETRIC[1:]),
        dict(type='PackTwoViewInputs', meta_keys=('sample_idx', 'view_crop', 'view_flip',
                                                  'view_epoch'))]))
    loader = torch.utils.data.DataLoader(dataset, batch_size=3, num_workers=1,
                                         persistent_workers=True, collate_fn=lambda b: b)

    def epoch_views():
        return {s['data_samples'].sample_idx: (s['data_samples'].view_crop,
                                               s['data_samples'].view_epoch, s['inputs'])
                for batch in loader for s in batch}

    assert set_view_epoch(dataset, 0, seed=3) == 1
    e0 = epoch_views()
    set_view_epoch(dataset, 1, seed=3)
    e1 = epoch_views()
    direct = next(iter(t for t in dataset.pipeline.transforms if isinstance(t, GenerateTwoViews)))
    for i in range(6):
        assert e0[i][1] == 0 and e1[i][1] == 1
        assert e1[i][0] == direct.geometry(i, 1)[0] != e0[i][0]
        assert e0[i][2].shape == (6, 12, 10) and e0[i][2].dtype == torch.uint8
    set_view_epoch(dataset, 0, seed=3)
    again = epoch_views()
    assert all(torch.equal(again[i][2], e0[i][2]) for i in range(6))


def test_pack_two_view_inputs():
    t = GenerateTwoViews()
    res = t(dict(img=_image(0), sample_idx=0))
    assert np.array_equal(res['img'], res['img_view2'])  # no photometric transforms
    res['gt_pseudo_seg_1'] = np.full((3, 2), 1, np.uint8)
    res['gt_pseudo_seg_2'] = np.full((3, 2), 2, np.uint8)
    packed = PackTwoViewInputs(meta_keys=('sample_idx', 'view_crop', 'view_flip'))(res)
    assert packed['inputs'].shape == (6, 12, 10)
    assert torch.equal(packed['inputs'][:3], torch.from_numpy(_image(0)).permute(2, 0, 1))
    seg = packed['data_samples'].gt_pseudo_seg.data
    assert seg.shape == (2, 3, 2) and seg[0].eq(1).all() and seg[1].eq(2).all()
    assert packed['data_samples'].view_crop == res['view_crop']
    del res['gt_pseudo_seg_2']
    with pytest.raises(KeyError, match='only'):
        PackTwoViewInputs()(res)
    with pytest.raises(KeyError, match='sample_idx'):
        t(dict(img=_image(0)))
