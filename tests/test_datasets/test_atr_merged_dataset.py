import os.path as osp

import mmcv
import numpy as np
import pytest
from mmengine.registry import init_default_scope

from hp_mm.datasets import ATR_3CLASS_MERGE, ATRDataset, ATRMergedDataset


@pytest.fixture(scope='module')
def atr_root(tmp_path_factory):
    from hp_mm.minihumans import generate_dataset
    root = str(tmp_path_factory.mktemp('minihumans') / 'ATR')
    generate_dataset('atr', root, num_train=6, num_val=2, seed=5, workers=1, max_size=64)
    return osp.join(root, 'humanparsing')


def test_merge_table_covers_atr():
    assert set(ATR_3CLASS_MERGE) == set(ATRDataset.METAINFO['classes'])
    upper = {c for c, v in ATR_3CLASS_MERGE.items() if v == 1}
    lower = {c for c, v in ATR_3CLASS_MERGE.items() if v == 2}
    assert {'face', 'hair', 'upper-clothes', 'left-arm', 'right-arm'} <= upper
    assert {'pants', 'skirt', 'left-leg', 'right-leg', 'left-shoe', 'right-shoe'} <= lower
    assert ATR_3CLASS_MERGE['background'] == 0


def test_labels_are_merged_on_load(atr_root):
    init_default_scope('hp_mm')
    ds = ATRMergedDataset(
        data_root=atr_root, ann_file='list/train_id.txt',
        data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClassAug'),
        pipeline=[dict(type='LoadParsingImageFromFile'), dict(type='LoadParsingAnnotations')])
    assert ds.metainfo['classes'] == ('background', 'upper-body', 'lower-body')
    assert ds.metainfo['flip_pairs'] == ()
    lut = np.full(256, 255, np.uint8)
    for name, v in ATR_3CLASS_MERGE.items():
        lut[ATRDataset.METAINFO['classes'].index(name)] = v
    seen = set()
    for i in range(len(ds)):
        item = ds[i]
        raw = mmcv.imread(item['seg_map_path'], flag='unchanged')
        assert np.array_equal(item['gt_seg_map'], lut[raw])
        seen |= set(np.unique(item['gt_seg_map']).tolist())
    assert seen == {0, 1, 2}


def test_merge_must_cover_every_class(atr_root):
    bad = dict(ATR_3CLASS_MERGE)
    del bad['bag']
    with pytest.raises(ValueError, match="missing \\['bag'\\]"):
        ATRMergedDataset(merge=bad, data_root=atr_root, ann_file='list/train_id.txt')
    with pytest.raises(ValueError, match='merged indices'):
        ATRMergedDataset(merge=dict(ATR_3CLASS_MERGE, bag=3), data_root=atr_root)
