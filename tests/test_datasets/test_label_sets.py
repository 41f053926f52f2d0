"""convert_label_set: the label-set table, both directions of every pair it claims, and
hand-written expectations for the documented one-way choices."""
import itertools

import numpy as np
import pytest

import hp_mm.datasets.label_sets as label_sets
from hp_mm.datasets import (ATR_3CLASS_MERGE, LABEL_SETS, convert_label_set, label_set_lut,
                            label_set_metainfo)
from hp_mm.datasets.label_set_table import LABEL_SET_TABLE

# Class indices of the datasets' label lists, written out by hand.
# LIP: 0 Background 1 Hat 2 Hair 3 Glove 4 Sunglasses 5 UpperClothes 6 Dress 7 Coat 8 Socks
#      9 Pants 10 Jumpsuits 11 Scarf 12 Skirt 13 Face 14 L-arm 15 R-arm 16 L-leg 17 R-leg
#      18 L-shoe 19 R-shoe
# ATR: 0 background 1 hat 2 hair 3 sunglass 4 upper-clothes 5 skirt 6 pants 7 dress 8 belt
#      9 left-shoe 10 right-shoe 11 face 12 left-leg 13 right-leg 14 left-arm 15 right-arm
#      16 bag 17 scarf
LIP_TO_ATR = [0, 1, 2, 255, 3, 4, 7, 4, 255, 6, 4, 17, 5, 11, 14, 15, 12, 13, 9, 10]
ATR_TO_LIP = [0, 1, 2, 4, 5, 12, 9, 6, 9, 18, 19, 13, 16, 17, 14, 15, 0, 11]
# CIHP = LIP with 10 = Torso-skin
LIP_TO_CIHP = list(range(10)) + [5] + list(range(11, 20))
CIHP_TO_LIP = list(range(10)) + [5] + list(range(11, 20))
# PASCAL: 0 Background 1 Head 2 Torso 3 Upper Arms 4 Lower Arms 5 Upper Legs 6 Lower Legs
LIP_TO_PASCAL = [0, 1, 1, 4, 1, 2, 255, 2, 6, 255, 255, 255, 255, 1, 255, 255, 255, 255, 6, 6]
PASCAL_TO_LIP = [0] + [255] * 6
PASCAL_TO_UPPER_LOWER = [0, 1, 1, 1, 1, 2, 2]
# MHP-v2 (partial): 3 face, 7 left-hand, 16 torso-skin, 22 left-boot, 45 carrybag
LIP_TO_MHP = {13: 3, 5: 12, 10: 37, 3: 49, 18: 24}
MHP_TO_LIP = {7: 14, 8: 15, 16: 5, 22: 18, 23: 19, 32: 16, 45: 0, 11: 7, 53: 255, 9: 255}
ATR_TO_MHP = {16: 45, 8: 43, 4: 12}


def _table_pairs(src, dst):
    """(src label, dst label) of every row that names a class in both sets."""
    col = {s: i + 1 for i, s in enumerate(LABEL_SETS)}
    src_classes = label_set_metainfo(src)['classes']
    dst_classes = label_set_metainfo(dst)['classes']
    return [(src_classes.index(row[col[src]]), dst_classes.index(row[col[dst]]))
            for row in LABEL_SET_TABLE if row[col[src]] and row[col[dst]]]


@pytest.mark.parametrize('src,dst,expected', [
    ('lip', 'atr', LIP_TO_ATR), ('atr', 'lip', ATR_TO_LIP), ('lip', 'cihp', LIP_TO_CIHP),
    ('cihp', 'lip', CIHP_TO_LIP), ('lip', 'pascal-person-part', LIP_TO_PASCAL),
    ('pascal-person-part', 'lip', PASCAL_TO_LIP),
    ('pascal-person-part', 'upper-lower', PASCAL_TO_UPPER_LOWER)])
def test_hand_written_tables(src, dst, expected):
    labels = np.arange(len(expected), dtype=np.uint8)
    assert convert_label_set(labels, src, dst).tolist() == expected


@pytest.mark.parametrize('src,dst,expected', [('lip', 'mhp-v2', LIP_TO_MHP),
                                              ('mhp-v2', 'lip', MHP_TO_LIP),
                                              ('atr', 'mhp-v2', ATR_TO_MHP)])
def test_hand_written_mhp_entries(src, dst, expected):
    labels = np.array(list(expected), dtype=np.int64)
    assert convert_label_set(labels, src, dst).tolist() == list(expected.values())


def test_atr_to_upper_lower_is_the_c2l_merge():
    """The table's ATR -> upper-lower conversion and ATR_3CLASS_MERGE (read from it) are the
    merge written out here by hand: head, torso, arms and dress up; belt and below down; bag
    background."""
    up, down = 1, 2
    by_hand = {'background': 0, 'hat': up, 'hair': up, 'sunglass': up, 'upper-clothes': up,
               'skirt': down, 'pants': down, 'dress': up, 'belt': down, 'left-shoe': down,
               'right-shoe': down, 'face': up, 'left-leg': down, 'right-leg': down,
               'left-arm': up, 'right-arm': up, 'bag': 0, 'scarf': up}
    atr = label_set_metainfo('atr')['classes']
    lut = label_set_lut('atr', 'upper-lower')
    assert {c: int(lut[i]) for i, c in enumerate(atr)} == by_hand
    assert dict(ATR_3CLASS_MERGE) == by_hand and list(ATR_3CLASS_MERGE) == list(atr)
    assert ATR_3CLASS_MERGE['bag'] == 0 and len(ATR_3CLASS_MERGE) == 18
    with pytest.raises(TypeError):
        ATR_3CLASS_MERGE['bag'] = 1  # read-only: ATRMergedDataset(merge=...) overrides it


@pytest.mark.parametrize('src,dst', list(itertools.permutations(LABEL_SETS, 2)))
def test_every_claimed_pair_converts_both_ways(src, dst):
    pairs = _table_pairs(src, dst)
    assert (0, 0) in pairs  # background is shared by all sets
    fwd, back = label_set_lut(src, dst), label_set_lut(dst, src)
    for a, b in pairs:
        assert fwd[a] == b and back[b] == a, (src, dst, a, b)


def test_number_of_claimed_pairs():
    # counted by hand from the class lists: LIP and ATR share 16 meanings (all but LIP Glove,
    # Coat, Socks, Jumpsuits / ATR belt, bag); LIP and CIHP all but Jumpsuits / Torso-skin
    assert len(_table_pairs('lip', 'atr')) == 16
    assert len(_table_pairs('lip', 'cihp')) == 19
    assert len(_table_pairs('lip', 'pascal-person-part')) == 1
    assert len(_table_pairs('atr', 'mhp-v2')) == 16  # all ATR classes but upper-clothes, bag


@pytest.mark.parametrize('src,dst', list(itertools.permutations(LABEL_SETS, 2)))
def test_left_right_classes_keep_their_side(src, dst):
    lut = label_set_lut(src, dst)
    dst_pairs = {tuple(p) for p in label_set_metainfo(dst)['flip_pairs']}
    for left, right in label_set_metainfo(src)['flip_pairs']:
        # a side-less set (PASCAL, upper-lower) takes both sides to one class; else the pair
        # stays a pair, left to left
        if lut[left] != lut[right]:
            assert (int(lut[left]), int(lut[right])) in dst_pairs, (src, dst, left, right)


def test_every_class_of_every_set_has_one_row():
    col = {s: i + 1 for i, s in enumerate(LABEL_SETS)}
    for s in LABEL_SETS:
        named = [row[col[s]] for row in LABEL_SET_TABLE if row[col[s]] is not None]
        assert sorted(named) == sorted(label_set_metainfo(s)['classes'])


def test_ignore_dtype_shape_and_no_side_effect():
    lip = np.array([[255, 13], [10, 0]], dtype=np.int64)
    before = lip.copy()
    out = convert_label_set(lip, 'lip', 'atr')
    assert out.dtype == np.int64 and out.shape == (2, 2)
    assert out.tolist() == [[255, 11], [4, 0]]
    assert (lip == before).all()
    same = convert_label_set(lip, 'lip', 'lip')
    assert (same == lip).all() and same is not lip
    assert convert_label_set(np.zeros((0, 3), np.uint8), 'atr', 'lip').shape == (0, 3)
    # names are case-insensitive, '_' is '-'
    assert convert_label_set(np.array([1]), 'PASCAL_Person_Part', 'UPPER-LOWER').tolist() == [1]


def test_bad_input_is_an_error():
    with pytest.raises(ValueError, match=r'values \[18, 200\] are not atr labels'):
        convert_label_set(np.array([0, 18, 200, 255]), 'atr', 'lip')
    with pytest.raises(ValueError, match=r'values \[-1\]'):
        convert_label_set(np.array([-1, 3]), 'lip', 'atr')
    with pytest.raises(ValueError, match='unknown label set'):
        convert_label_set(np.zeros(2, np.uint8), 'lip', 'coco')
    with pytest.raises(TypeError, match='integer'):
        convert_label_set(np.zeros(2, np.float32), 'lip', 'atr')


def test_a_broken_table_is_rejected(monkeypatch):
    rows = [r for r in LABEL_SET_TABLE if r[0] != 'hat']
    monkeypatch.setattr(label_sets, 'LABEL_SET_TABLE', tuple(rows))
    label_sets._parts.cache_clear()
    try:
        with pytest.raises(ValueError, match=r"lip classes \['Hat'\] have no row"):
            label_sets._parts()
        bad = tuple(rows) + (('hat', 'Hat', 'Hat', 'hat', None, 'cap/hat', None, ('crown', )), )
        monkeypatch.setattr(label_sets, 'LABEL_SET_TABLE', bad)
        label_sets._parts.cache_clear()
        with pytest.raises(ValueError, match=r"substitutes \['crown'\] of 'hat'"):
            label_sets._parts()
    finally:
        monkeypatch.undo()
        label_sets._parts.cache_clear()
