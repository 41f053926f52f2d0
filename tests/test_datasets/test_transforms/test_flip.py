import numpy as np
import pytest

from hp_mm.datasets import ATRDataset, LIPDataset, PascalPersonPartDataset
from hp_mm.datasets.transforms import ParsingRandomFlip


def _sample(seg, pairs, seed=0):
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 255, (*seg.shape, 3), dtype=np.uint8)
    return dict(img=img, gt_seg_map=seg.copy(), seg_fields=['gt_seg_map'], flip_pairs=pairs,
                img_shape=seg.shape)


@pytest.mark.parametrize('dataset', [LIPDataset, ATRDataset, PascalPersonPartDataset])
def test_flip_twice_is_identity(dataset):
    pairs = dataset.METAINFO['flip_pairs']
    num_classes = len(dataset.METAINFO['classes'])
    seg = np.random.default_rng(1).integers(0, num_classes, (13, 17)).astype(np.uint8)
    seg[0, :3] = 255
    flip = ParsingRandomFlip(prob=1.0)
    once = flip(_sample(seg, pairs))
    twice = flip(dict(once))
    np.testing.assert_array_equal(twice['gt_seg_map'], seg)
    np.testing.assert_array_equal(twice['img'], _sample(seg, pairs)['img'])


def test_flip_swaps_exactly_the_declared_pairs():
    pairs = LIPDataset.METAINFO['flip_pairs']
    assert [tuple(p) for p in pairs] == [(14, 15), (16, 17), (18, 19)]
    # one column per class: after a horizontal flip column j holds class (W-1-j) swapped
    seg = np.tile(np.arange(20, dtype=np.uint8), (3, 1))
    out = ParsingRandomFlip(prob=1.0)(_sample(seg, pairs))['gt_seg_map']
    mirrored = seg[:, ::-1]
    swap = {14: 15, 15: 14, 16: 17, 17: 16, 18: 19, 19: 18}
    expected = np.vectorize(lambda v: swap.get(int(v), int(v)))(mirrored)
    np.testing.assert_array_equal(out, expected)
    # every other class is only mirrored
    unchanged = ~np.isin(mirrored, list(swap))
    np.testing.assert_array_equal(out[unchanged], mirrored[unchanged])
    # the image itself is mirrored
    sample = _sample(seg, pairs)
    np.testing.assert_array_equal(ParsingRandomFlip(prob=1.0)(dict(sample))['img'],
                                  sample['img'][:, ::-1])


def test_flip_prob_zero_and_configured_pairs_and_missing_pairs():
    seg = np.array([[14, 0, 3]], np.uint8)
    out = ParsingRandomFlip(prob=0.0)(_sample(seg, ((14, 15), )))
    np.testing.assert_array_equal(out['gt_seg_map'], seg)
    # configured pairs win over the sample's
    sample = _sample(seg, ((14, 15), ))
    out = ParsingRandomFlip(prob=1.0, swap_seg_labels=[(3, 4)])(sample)
    np.testing.assert_array_equal(out['gt_seg_map'], [[4, 0, 14]])
    sample = _sample(seg, None)
    del sample['flip_pairs']
    with pytest.raises(KeyError, match='flip_pairs'):
        ParsingRandomFlip(prob=1.0)(sample)
