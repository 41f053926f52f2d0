"""MiniHumans: determinism, dataset-card properties, left/right and layouts."""
import glob
import json
import os.path as osp
import re
from collections import defaultdict

import cv2
import numpy as np
import pytest
from conftest import run_tool

from hp_mm.minihumans import (VAL_OFFSET, format_card,
                                       generate_dataset, render_scene,
                                       render_single_person)

MARKET_RE = re.compile(r'([-\d]+)_c(\d)s(\d)_(\d+)_(\d+)')


def read_png(path):
    img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    assert img is not None, path
    return img


def read_label(path, num_classes):
    """Read a label PNG and check it is single-channel uint8 in range."""
    lab = read_png(path)
    assert lab.ndim == 2 and lab.dtype == np.uint8, path
    assert lab.max() < num_classes, (path, lab.max())
    return lab


def stems(folder, ext):
    return sorted(osp.basename(p)[:-len(ext)]
                  for p in glob.glob(osp.join(folder, '*' + ext)))


def read_lines(path):
    with open(path) as f:
        return [ln.strip() for ln in f if ln.strip()]


# --------------------------------------------------------------- determinism
def test_same_seed_same_arrays_different_seed_differs():
    a = render_single_person(np.random.default_rng((0, 7)))
    b = render_single_person(np.random.default_rng((0, 7)))
    c = render_single_person(np.random.default_rng((1, 7)))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert a[2] == b[2]
    assert a[0].shape != c[0].shape or not np.array_equal(a[0], c[0])
    s1 = render_scene(np.random.default_rng((2, 3)), 'cihp')
    s2 = render_scene(np.random.default_rng((2, 3)), 'cihp')
    for x, y in zip(s1[:3], s2[:3]):
        assert np.array_equal(x, y)


def test_worker_count_independence_and_index_seeding(tmp_path):
    r1, r2 = str(tmp_path / 'w1'), str(tmp_path / 'w2')
    generate_dataset('lip', r1, 6, 3, seed=4, workers=1, max_size=96,
                     progress=False)
    generate_dataset('lip', r2, 6, 3, seed=4, workers=2, max_size=96,
                     progress=False)
    files = sorted(
        osp.relpath(p, r1) for p in glob.glob(osp.join(r1, '**', '*.*'),
                                              recursive=True)
        if not p.endswith('minihumans_card.json'))
    assert len(files) == 2 * 9 + 4
    for rel in files:
        with open(osp.join(r1, rel), 'rb') as f1, \
                open(osp.join(r2, rel), 'rb') as f2:
            assert f1.read() == f2.read(), rel
    # image i of train is seeded by (seed, i), of val by (seed, VAL_OFFSET+i)
    ids = read_lines(osp.join(r1, 'TrainVal_images/val_id.txt'))
    _, lab, _ = render_single_person(
        np.random.default_rng((4, VAL_OFFSET + 1)), max_size=96)
    on_disk = read_label(osp.join(
        r1, 'TrainVal_parsing_annotations/val_segmentations',
        ids[1] + '.png'), 20)
    assert np.array_equal(lab, on_disk)


# -------------------------------------------------------------- card (1,000)
def test_lip_card_of_1000_images():
    card = generate_dataset('lip', '', 1000, 0, seed=0, workers=2,
                            dry_run=True, progress=False)
    assert card['num_images']['total'] == 1000
    pres = card['label_presence_pct']
    assert len(pres) == 20
    assert min(pres.values()) >= 5.0, pres
    att = card['attributes_pct']
    assert att['back_view'] >= 20 and att['occlusion'] >= 20
    assert att['truncated'] >= 10
    assert att['full_body'] > 0 and att['upper_body'] > 0
    assert att['head_missed'] > 0
    bins = card['person_size_bins']
    assert sum(bins.values()) == 1000
    assert all(bins[k] > 0 for k in ('small', 'medium', 'large')), bins
    assert card['image_height']['min'] >= 100
    assert card['image_height']['max'] >= 400
    text = format_card(card)
    assert 'Sunglasses' in text and 'images/s' in text


# ---------------------------------------------------------------- left/right
@pytest.mark.parametrize('view', ['front', 'back'])
def test_left_right_follow_the_view(view):
    for i in range(8):
        img, lab, att = render_single_person(
            np.random.default_rng((9, i)), view=view, framing='full',
            pose_kind='stand', occlusion_prob=0.0)
        assert att['back_view'] == (view == 'back')
        xs = np.arange(lab.shape[1])[None, :]
        for left, right in ((14, 15), (16, 17), (18, 19)):
            ml, mr = lab == left, lab == right
            if not (ml.any() and mr.any()):
                continue
            lx = (xs * ml).sum() / ml.sum()
            rx = (xs * mr).sum() / mr.sum()
            # person's left is on the image right in a front view
            assert (lx > rx) == (view == 'front'), (i, left, lx, rx)
        if view == 'back':  # the hair covers the head: no face, no glasses
            assert not (lab == 13).any() and not (lab == 4).any()


def test_scene_maps_are_consistent():
    for i in range(5):
        img, cat, human, persons = render_scene(
            np.random.default_rng((5, i)), 'cihp', max_size=200)
        assert img.shape[:2] == cat.shape == human.shape
        assert np.array_equal(cat > 0, human > 0)
        n = int(human.max())
        assert 1 <= n <= 6 and len(persons) == n
        assert set(np.unique(human)) == set(range(n + 1))
    img, part, human, _ = render_scene(np.random.default_rng((5, 0)),
                                       'pascal_person_part', max_persons=3)
    assert part.max() <= 6 and human.max() <= 3


# ------------------------------------------------------------------ layouts
def test_lip_layout(tmp_path):
    root = str(tmp_path / 'LIP')
    generate_dataset('lip', root, 5, 3, seed=1, max_size=128, progress=False)
    for split, n in (('train', 5), ('val', 3)):
        ids = read_lines(osp.join(root, 'TrainVal_images', f'{split}_id.txt'))
        assert len(ids) == n
        assert all(re.fullmatch(r'\d+_\d+', i) for i in ids)
        img_dir = osp.join(root, 'TrainVal_images', f'{split}_images')
        seg_dir = osp.join(root, 'TrainVal_parsing_annotations',
                           f'{split}_segmentations')
        assert stems(img_dir, '.jpg') == sorted(ids)
        assert stems(seg_dir, '.png') == sorted(ids)
        with open(osp.join(root, 'TrainVal_images',
                           f'{split}_attributes.json')) as f:
            att = json.load(f)
        assert sorted(att) == sorted(ids)
        for i in ids:
            assert set(att[i]) == {'occlusion', 'full_body', 'upper_body',
                                   'head_missed', 'back_view'}
            assert all(isinstance(v, bool) for v in att[i].values())
            img = cv2.imread(osp.join(img_dir, i + '.jpg'))
            lab = read_label(osp.join(seg_dir, i + '.png'), 20)
            assert img.shape[:2] == lab.shape and max(lab.shape) <= 128
            assert (lab > 0).any()


def test_atr_layout(tmp_path):
    root = str(tmp_path / 'ATR')
    generate_dataset('atr', root, 6, 2, seed=1, max_size=128, progress=False)
    base = osp.join(root, 'humanparsing')
    train = read_lines(osp.join(base, 'list', 'train_id.txt'))
    val = read_lines(osp.join(base, 'list', 'val_id.txt'))
    assert len(train) == 6 and len(val) == 2 and not set(train) & set(val)
    assert all(re.fullmatch(r'[A-Za-z0-9]+_\d+', i) for i in train + val)
    assert stems(osp.join(base, 'JPEGImages'), '.jpg') == sorted(train + val)
    for i in train + val:
        read_label(osp.join(base, 'SegmentationClassAug', i + '.png'), 18)


def test_pascal_person_part_layout(tmp_path):
    root = str(tmp_path / 'PPP')
    generate_dataset('pascal_person_part', root, 4, 2, seed=1, max_size=160,
                     progress=False)
    ids = read_lines(osp.join(root, 'list', 'train_id.txt')) + read_lines(
        osp.join(root, 'list', 'val_id.txt'))
    assert all(re.fullmatch(r'\d{4}_\d{6}', i) for i in ids)
    assert stems(osp.join(root, 'JPEGImages'), '.jpg') == sorted(ids)
    seen = set()
    for i in ids:
        lab = read_label(osp.join(root, 'SegmentationPart', i + '.png'), 7)
        seen |= set(np.unique(lab).tolist())
    assert {0, 1, 2} <= seen


def test_cihp_layout_instances_and_json(tmp_path):
    root = str(tmp_path / 'CIHP')
    generate_dataset('cihp', root, 4, 2, seed=2, max_size=200, progress=False)
    base = osp.join(root, 'instance-level_human_parsing')
    for split, folder, n in (('train', 'Training', 4),
                             ('val', 'Validation', 2)):
        d = osp.join(base, folder)
        ids = read_lines(osp.join(d, f'{split}_id.txt'))
        assert len(ids) == n and all(re.fullmatch(r'\d{7}', i) for i in ids)
        assert stems(osp.join(d, 'Images'), '.jpg') == sorted(ids)
        with open(osp.join(base, 'annotations', f'CIHP_{split}.json')) as f:
            coco = json.load(f)
        assert coco['categories'] == [{'id': 1, 'name': 'person'}]
        assert [im['file_name'] for im in coco['images']] == \
            [i + '.jpg' for i in ids]
        ann_ids = [a['id'] for a in coco['annotations']]
        assert len(set(ann_ids)) == len(ann_ids)
        by_img = defaultdict(list)
        for a in coco['annotations']:
            by_img[a['image_id']].append(a)
        for im in coco['images']:
            sid = im['file_name'][:-4]
            cat = read_label(osp.join(d, 'Category_ids', sid + '.png'), 20)
            hum = read_label(osp.join(d, 'Human_ids', sid + '.png'), 256)
            inst = read_label(osp.join(d, 'Instance_ids', sid + '.png'), 256)
            assert (im['height'], im['width']) == cat.shape == hum.shape
            n_h = int(hum.max())
            assert 1 <= n_h <= 6
            assert set(np.unique(hum).tolist()) == set(range(n_h + 1))
            assert np.array_equal(cat > 0, hum > 0)
            want = np.where(hum > 0, (hum.astype(int) - 1) * 20 + cat, 0)
            assert np.array_equal(inst, want)
            lines = read_lines(osp.join(d, 'Instance_ids', sid + '.txt'))
            triples = {tuple(int(v) for v in ln.split()) for ln in lines}
            vals = set(np.unique(inst).tolist()) - {0}
            assert {t[0] for t in triples} == vals and len(triples) == len(
                lines)
            for v, c, h in triples:
                m = inst == v
                assert (cat[m] == c).all() and (hum[m] == h).all()
            anns = by_img[im['id']]
            assert sorted(a['parsing_id'] for a in anns) == list(
                range(1, n_h + 1))
            for a in anns:
                m = hum == a['parsing_id']
                ys, xs = np.nonzero(m)
                assert a['category_id'] == 1 and a['iscrowd'] == 0
                assert a['area'] == int(m.sum()) > 0
                assert a['bbox'] == [int(xs.min()), int(ys.min()),
                                     int(xs.max() - xs.min() + 1),
                                     int(ys.max() - ys.min() + 1)]


def test_mhp_v2_layout_per_person_union(tmp_path):
    root = str(tmp_path / 'MHP')
    generate_dataset('mhp_v2', root, 3, 1, seed=2, max_size=200,
                     progress=False)
    base = osp.join(root, 'LV-MHP-v2')
    for split, n in (('train', 3), ('val', 1)):
        names = read_lines(osp.join(base, 'list', f'{split}.txt'))
        assert names == [str(i + 1) for i in range(n)]
        d = osp.join(base, split)
        assert stems(osp.join(d, 'images'), '.jpg') == sorted(names)
        for i, name in enumerate(names):
            files = sorted(glob.glob(osp.join(d, 'parsing_annos',
                                              f'{name}_*.png')))
            k = len(files)
            assert 2 <= k <= 6
            union = None
            for j, p in enumerate(files, 1):
                assert osp.basename(p) == f'{name}_{k:02d}_{j:02d}.png'
                a = read_png(p)
                assert a.ndim == 3 and a.shape[2] == 3 and a.dtype == np.uint8
                c0 = a[..., 0]
                assert c0.max() <= 58 and (c0 > 0).any()
                if union is None:
                    union = np.zeros_like(c0)
                assert not ((union > 0) & (c0 > 0)).any()
                union = union + c0
            index = i if split == 'train' else VAL_OFFSET + i
            _, cat, human, _ = render_scene(
                np.random.default_rng((2, index)), 'mhp_v2', min_persons=2,
                max_persons=6, max_size=200)
            assert np.array_equal(union, cat) and human.max() == k


def test_coco_person_layout(tmp_path):
    root = str(tmp_path / 'COCO')
    generate_dataset('coco_person', root, 3, 2, seed=3, max_size=200,
                     progress=False)
    for split, n in (('train', 3), ('val', 2)):
        with open(osp.join(root, 'annotations',
                           f'instances_{split}.json')) as f:
            coco = json.load(f)
        assert coco['categories'] == [{'id': 1, 'name': 'person'}]
        assert len(coco['images']) == n
        sizes = {}
        for im in coco['images']:
            img = cv2.imread(osp.join(root, 'images', split, im['file_name']))
            assert img.shape[:2] == (im['height'], im['width'])
            sizes[im['id']] = img.shape[:2]
        ids = [a['id'] for a in coco['annotations']]
        assert len(set(ids)) == len(ids) and ids
        for a in coco['annotations']:
            x, y, w, h = a['bbox']
            hh, ww = sizes[a['image_id']]
            assert a['category_id'] == 1 and a['iscrowd'] == 0
            assert w >= 1 and h >= 1 and x >= 0 and y >= 0
            assert x + w <= ww and y + h <= hh
            assert 0 < a['area'] <= w * h


def test_market1501_layout_and_splits(tmp_path):
    root = str(tmp_path / 'market')
    card = generate_dataset('market1501', root, 4, 3, seed=5, progress=False)
    base = osp.join(root, 'Market-1501-v15.09.15')
    parsed = {}
    for d in ('bounding_box_train', 'bounding_box_test', 'query'):
        names = stems(osp.join(base, d), '.jpg')
        assert names
        parsed[d] = []
        for s in names:
            m = MARKET_RE.fullmatch(s)
            assert m, s
            pid, cam = int(m.group(1)), int(m.group(2))
            assert 1 <= cam <= 6
            parsed[d].append((pid, cam))
            img = cv2.imread(osp.join(base, d, s + '.jpg'))
            assert img.shape == (128, 64, 3)
            read_label(osp.join(base, 'hp_mm_part_masks', d, s + '.png'), 20)
    train = {p for p, _ in parsed['bounding_box_train']}
    query = {p for p, _ in parsed['query']}
    gallery = {p for p, _ in parsed['bounding_box_test']}
    assert len(train) == 4 and len(query) == 3 and not train & query
    assert 0 not in train | query and -1 not in train | query
    assert {0, -1} <= gallery and query <= gallery
    assert not train & gallery
    gal_cams = defaultdict(set)
    for p, c in parsed['bounding_box_test']:
        gal_cams[p].add(c)
    for p, c in parsed['query']:
        assert c in gal_cams[p] and gal_cams[p] - {c}
    assert len(parsed['query']) == len(set(parsed['query']))
    with open(osp.join(base, 'hp_mm_attributes.json')) as f:
        att = json.load(f)
    n_img = sum(len(v) for v in parsed.values())
    assert len(att) == n_img and all('back_view' in a for a in att.values())
    assert card['reid']['test_identities'] == 3


def test_cli_prints_rate_and_card(tmp_path):
    out = str(tmp_path / 'cli')
    proc = run_tool([
        'tools/dataset_converters/generate_minihumans.py', 'lip', out,
        '--num-train', '4', '--num-val', '2', '--seed', '0', '--workers', '2',
        '--max-size', '64', '--no-progress'], timeout=300)
    assert 'images/s' in proc.stdout and 'Left-arm' in proc.stdout
    assert len(read_lines(osp.join(out, 'TrainVal_images',
                                   'train_id.txt'))) == 4


def _background_edge_energy(images, masks):
    """Mean |horizontal| + |vertical| grey difference on (eroded) background pixels."""
    energies = []
    for img_path, mask_path in zip(images, masks):
        img = cv2.imread(img_path).astype(np.float32).mean(2)
        bg = cv2.erode((read_png(mask_path) == 0).astype(np.uint8), np.ones((5, 5), np.uint8))
        grad = np.abs(np.diff(img, axis=1))[:-1] + np.abs(np.diff(img, axis=0))[:, :-1]
        energies.append(float(grad[bg[:-1, :-1] > 0].mean()))
    return float(np.mean(energies))


@pytest.mark.parametrize('fmt', ['market1501', 'atr'])
def test_background_clutter_option(tmp_path, fmt):
    def files(root):
        if fmt == 'market1501':
            d = osp.join(root, 'Market-1501-v15.09.15')
            names = stems(osp.join(d, 'bounding_box_train'), '.jpg')
            return ([osp.join(d, 'bounding_box_train', n + '.jpg') for n in names],
                    [osp.join(d, 'hp_mm_part_masks', 'bounding_box_train', n + '.png')
                     for n in names])
        d = osp.join(root, 'humanparsing')
        names = stems(osp.join(d, 'JPEGImages'), '.jpg')
        return ([osp.join(d, 'JPEGImages', n + '.jpg') for n in names],
                [osp.join(d, 'SegmentationClassAug', n + '.png') for n in names])

    n_train = 3 if fmt == 'market1501' else 12
    roots = {}
    for name, clutter in (('default', None), ('busy', 'explicit'), ('plain', (0, 0))):
        kw = {} if clutter is None else dict(background_clutter=(
            (2, 8) if fmt == 'market1501' else (2, 9)) if clutter == 'explicit' else clutter)
        roots[name] = str(tmp_path / name)
        generate_dataset(fmt, roots[name], n_train, 0, seed=1, progress=False, max_size=96, **kw)
    default, busy, plain = (files(roots[k]) for k in ('default', 'busy', 'plain'))
    # the default is the format's own clutter range: byte-identical images
    for a, b in zip(default[0], busy[0]):
        assert open(a, 'rb').read() == open(b, 'rb').read()
    # same file names and persons; only the backgrounds change
    assert [osp.basename(p) for p in plain[0]] == [osp.basename(p) for p in busy[0]]
    e_busy, e_plain = _background_edge_energy(*busy), _background_edge_energy(*plain)
    assert e_plain < 0.7 * e_busy, (e_plain, e_busy)
    with pytest.raises(ValueError, match='background_clutter'):
        generate_dataset(fmt, str(tmp_path / 'bad'), 1, 0, progress=False,
                         background_clutter=(3, 1))


def test_background_clutter_refused_for_scenes(tmp_path):
    with pytest.raises(TypeError, match='background_clutter'):
        generate_dataset('cihp', str(tmp_path / 'c'), 1, 0, progress=False,
                         background_clutter=(0, 0))
