"""Class lists and CVAT labelmaps: classes, palette, declared and derived left/right pairs."""
import pytest

from hp_mm.datasets import (ATRDataset, LIPDataset, MHPv2InstanceDataset, derive_flip_pairs,
                            load_class_list, parse_class_list)


@pytest.mark.parametrize('dataset', [LIPDataset, ATRDataset, MHPv2InstanceDataset])
def test_pairs_derived_from_names_are_the_datasets_flip_pairs(dataset):
    # LIP (14,15) (16,17) (18,19); ATR (9,10) (12,13) (14,15); MHP-v2 8 pairs (QANet)
    assert sorted(derive_flip_pairs(dataset.METAINFO['classes'])) == \
        sorted(tuple(p) for p in dataset.METAINFO['flip_pairs'])


def test_derivation_rules():
    names = ['bg', 'Left-arm', 'right_ARM', 'left shoe', 'right-shoe', 'left-glove', 'leftover',
             'right-']
    assert derive_flip_pairs(names) == [(1, 2), (3, 4)]


def test_plain_list_with_declared_pairs_and_ignore(tmp_path):
    path = tmp_path / 'classes.txt'
    path.write_text('# my classes\nbackground\n\nl_sleeve <-> r_sleeve\nr_sleeve\n'
                    'left-arm\nright-arm\n__ignore__\n')
    cl = load_class_list(str(path))
    assert cl.classes == ('background', 'l_sleeve', 'r_sleeve', 'left-arm', 'right-arm')
    assert cl.flip_pairs == ((1, 2), (3, 4))
    assert cl.palette is None and not cl.is_labelmap and cl.has_ignore
    assert cl.label_of() == {'background': 0, 'l_sleeve': 1, 'r_sleeve': 2, 'left-arm': 3,
                             'right-arm': 4, '__ignore__': 255}


def test_declared_pair_wins_over_the_names():
    # 'left-arm' is declared the mirror of 'b', so the name-derived (left-arm, right-arm) is not
    cl = parse_class_list('bg\nleft-arm <-> b\nb\nright-arm\n')
    assert cl.flip_pairs == ((1, 2), )


def test_cvat_labelmap(tmp_path):
    path = tmp_path / 'labelmap.txt'
    path.write_text('# label:color_rgb:parts:actions\nbackground:0,0,0::\n'
                    'hair:255, 0, 0::\nleft-leg:0,128,0::\nright-leg:0,0,128:part1:act\n')
    cl = load_class_list(str(path))
    assert cl.is_labelmap
    assert cl.classes == ('background', 'hair', 'left-leg', 'right-leg')
    assert cl.palette == [(0, 0, 0), (255, 0, 0), (0, 128, 0), (0, 0, 128)]
    assert cl.flip_pairs == ((2, 3), )


@pytest.mark.parametrize('text,message', [
    ('', 'no class names'),
    ('bg\nhair\nhair\n', "class 'hair' is listed twice"),
    ('bg\na <-> b\n', "mirror class 'b' of 'a' is not in the list"),
    ('bg\na <-> a\n', 'its own mirror'),
    ('bg\na <-> b\nb\nc <-> b\n', 'already in another pair'),
    ('bg\na <->\n', 'expected "name" or'),
    ('background:0,0,0::\nhair\n', r'classes.txt:2: expected a CVAT labelmap line'),
    ('background:0,0,0::\nhair:0,0,0::\n', "'background' and 'hair' have the same colour"),
    ('background:0,0,0::\nhair:300,0,0::\n', 'not 8-bit RGB'),
    ('\n'.join(f'c{i}' for i in range(256)), '256 classes'),
])
def test_bad_class_files(text, message):
    with pytest.raises(ValueError, match=message):
        parse_class_list(text, 'classes.txt')


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='class list not found: .*nope.txt'):
        load_class_list(str(tmp_path / 'nope.txt'))
