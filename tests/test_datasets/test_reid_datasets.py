"""Re-ID readers on hand-written file names of each dataset and on MiniHumans' Market-1501."""
import os
import os.path as osp
from collections import defaultdict

import pytest

from hp_mm.datasets import CUHK03NPDataset as _CUHK03NP
from hp_mm.datasets import DukeMTMCReIDDataset as _Duke
from hp_mm.datasets import Market1501Dataset as _Market
from hp_mm.datasets import OccludedDukeDataset as _OccludedDuke


def _fast(cls):
    """The class without mmengine's serialisation (its gc.collect costs ~1 s a call)."""
    def build(*args, **kwargs):
        return cls(*args, serialize_data=False, **kwargs)
    return build


Market1501Dataset, DukeMTMCReIDDataset = _fast(_Market), _fast(_Duke)
CUHK03NPDataset, OccludedDukeDataset = _fast(_CUHK03NP), _fast(_OccludedDuke)


def touch(root, folder, names):
    os.makedirs(osp.join(root, folder), exist_ok=True)
    for n in names:
        open(osp.join(root, folder, n), 'w').close()


def fields(ds):
    return [(osp.basename(d['img_path']), d['pid'], d['camid'], d['label'], d['split'],
             d['sample_idx']) for d in (ds.get_data_info(i) for i in range(len(ds)))]


@pytest.fixture
def market_root(tmp_path):
    root = str(tmp_path / 'Market-1501-v15.09.15')
    touch(root, 'bounding_box_train', ['0002_c1s1_000451_03.jpg', '0002_c2s1_000551_01.jpg',
                                       '0007_c6s3_094167_02.jpg', 'Thumbs.db'])
    touch(root, 'query', ['0001_c1s1_001051_00.jpg', '0003_c3s1_000151_01.jpg'])
    touch(root, 'bounding_box_test', ['-1_c1s1_000401_03.jpg', '0000_c1s1_000151_01.jpg',
                                      '0001_c1s1_001101_02.jpg', '0001_c5s1_001151_01.jpg',
                                      '0003_c4s1_000201_04.jpg'])
    return root


def test_market1501(market_root):
    train = _Market(data_root=market_root, split='train', lazy_init=False)  # serialised
    assert fields(train) == [
        ('0002_c1s1_000451_03.jpg', 2, 0, 0, 'train', 0),
        ('0002_c2s1_000551_01.jpg', 2, 1, 0, 'train', 1),
        ('0007_c6s3_094167_02.jpg', 7, 5, 1, 'train', 2)]  # labels 0..P-1, camid 0-based
    assert train.metainfo['num_identities'] == 2 and train.metainfo['split'] == 'train'
    test = Market1501Dataset(data_root=market_root, split='test')
    # query first, then the gallery: junk -1 dropped, distractor 0000 kept
    assert fields(test) == [
        ('0001_c1s1_001051_00.jpg', 1, 0, -1, 'query', 0),
        ('0003_c3s1_000151_01.jpg', 3, 2, -1, 'query', 1),
        ('0000_c1s1_000151_01.jpg', 0, 0, -1, 'gallery', 2),
        ('0001_c1s1_001101_02.jpg', 1, 0, -1, 'gallery', 3),
        ('0001_c5s1_001151_01.jpg', 1, 4, -1, 'gallery', 4),
        ('0003_c4s1_000201_04.jpg', 3, 3, -1, 'gallery', 5)]
    assert (test.metainfo['num_query'], test.metainfo['num_gallery']) == (2, 4)
    gallery = Market1501Dataset(data_root=market_root, split='gallery', drop_junk=False)
    assert [d[1] for d in fields(gallery)] == [-1, 0, 1, 1, 3]
    assert len(Market1501Dataset(data_root=market_root, split='query')) == 2


@pytest.mark.parametrize('bad,match', [
    ('0002_c1_000451.jpg', "0002_c1_000451.jpg' is not like '0002_c1s1_000451_03'"),
    ('0002_c7s1_000451_03.jpg', 'camera 7 out of range 1..6 in file name .*0002_c7s1'),
    ('-2_c1s1_000451_03.jpg', '-2_c1s1_000451_03.jpg')])
def test_bad_names_name_the_file(market_root, bad, match):
    touch(market_root, 'bounding_box_train', [bad])
    with pytest.raises(ValueError, match=match):
        Market1501Dataset(data_root=market_root, split='train')


def test_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match='bounding_box_train'):
        Market1501Dataset(data_root=str(tmp_path), split='train')
    with pytest.raises(ValueError, match='split'):
        Market1501Dataset(data_root=str(tmp_path), split='val')


@pytest.mark.parametrize('cls', [DukeMTMCReIDDataset, OccludedDukeDataset],
                         ids=['DukeMTMC-reID', 'Occluded-Duke'])
def test_duke_layouts(tmp_path, cls):
    root = str(tmp_path)
    touch(root, 'bounding_box_train', ['0005_c2_f0046985.jpg', '0009_c8_f0123456.jpg'])
    touch(root, 'query', ['0010_c1_f0000001.jpg'])
    touch(root, 'bounding_box_test', ['0010_c3_f0000101.jpg', '4001_c7_f0000201.jpg'])
    train = cls(data_root=root, split='train')
    assert [(p, c, lab) for _, p, c, lab, _, _ in fields(train)] == [(5, 1, 0), (9, 7, 1)]
    test = cls(data_root=root, split='test')
    assert [(p, c, s) for _, p, c, _, s, _ in fields(test)] == [
        (10, 0, 'query'), (10, 2, 'gallery'), (4001, 6, 'gallery')]
    touch(root, 'query', ['0010_c9_f0000002.jpg'])
    with pytest.raises(ValueError, match='0010_c9_f0000002.jpg'):
        cls(data_root=root, split='query')
    touch(root, 'bounding_box_train', ['0005_c2s1_000451_03.jpg'])  # a Market name
    with pytest.raises(ValueError, match='0005_c2s1_000451_03.jpg'):
        cls(data_root=root, split='train')


@pytest.mark.parametrize('subset', ['labeled', 'detected'])
def test_cuhk03_np(tmp_path, subset):
    root = str(tmp_path)
    touch(root, f'{subset}/bounding_box_train', ['0001_c1_1.png', '0001_c2_6.png',
                                                  '0004_c1_2.png', 'note.jpg'])
    touch(root, f'{subset}/query', ['0002_c1_1.png'])
    touch(root, f'{subset}/bounding_box_test', ['0002_c2_7.png', '0003_c1_3.png'])
    train = CUHK03NPDataset(data_root=root, subset=subset, split='train')
    assert [(p, c, lab) for _, p, c, lab, _, _ in fields(train)] == [(1, 0, 0), (1, 1, 0),
                                                                      (4, 0, 1)]
    assert train.metainfo['subset'] == subset and train.metainfo['num_cameras'] == 2
    test = CUHK03NPDataset(data_root=root, subset=subset, split='test')
    assert [(n, s) for n, _, _, _, s, _ in fields(test)] == [
        ('0002_c1_1.png', 'query'), ('0002_c2_7.png', 'gallery'), ('0003_c1_3.png', 'gallery')]
    touch(root, f'{subset}/query', ['0002_c3_1.png'])
    with pytest.raises(ValueError, match='camera 3'):
        CUHK03NPDataset(data_root=root, subset=subset, split='query')
    with pytest.raises(ValueError, match='subset'):
        CUHK03NPDataset(data_root=root, subset='both')


@pytest.fixture(scope='module')
def minihumans_market(tmp_path_factory):
    from hp_mm.minihumans import generate_dataset
    root = str(tmp_path_factory.mktemp('mh_market'))
    card = generate_dataset('market1501', root, 5, 4, seed=2, progress=False)
    return osp.join(root, 'Market-1501-v15.09.15'), card


def test_minihumans_market_layout(minihumans_market):
    root, card = minihumans_market
    reid = card['reid']
    train = Market1501Dataset(data_root=root, split='train', part_mask_prefix='hp_mm_part_masks')
    test = Market1501Dataset(data_root=root, split='test')
    assert train.metainfo['num_identities'] == reid['train_identities'] == 5
    assert sorted({train.get_data_info(i)['label'] for i in range(len(train))}) == list(range(5))
    for i in range(len(train)):  # the ground-truth part masks lie on the side
        assert osp.isfile(train.get_data_info(i)['part_mask_path'])
    infos = [test.get_data_info(i) for i in range(len(test))]
    query = [d for d in infos if d['split'] == 'query']
    gallery = [d for d in infos if d['split'] == 'gallery']
    assert len(query) == reid['query_images']
    assert len(gallery) == reid['gallery_images'] - reid['junk_images']  # -1 dropped
    assert sum(d['pid'] == 0 for d in gallery) == reid['distractor_images'] > 0
    assert all(d['pid'] > 0 for d in query) and all(d['pid'] >= 0 for d in gallery)
    cams = defaultdict(set)
    for d in gallery:
        cams[d['pid']].add(d['camid'])
    for q in query:  # positives in the query's own camera (removed) and in others
        assert q['camid'] in cams[q['pid']] and cams[q['pid']] - {q['camid']}
    # one query per identity and camera, several cameras per identity
    assert len({(q['pid'], q['camid']) for q in query}) == len(query)
    assert min(len(c) for p, c in cams.items() if p > 0) >= 2
