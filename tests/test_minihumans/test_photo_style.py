"""MiniHumans photo style: blurred backgrounds, patterned garments.

The style must change pixels only: the same people, poses, colours and
layouts, identical label maps, and re-ID identities that keep their look.
"""
import glob
import os.path as osp

import cv2
import numpy as np
import pytest
from conftest import run_tool

from hp_mm.minihumans import PhotoStyle, generate_dataset
from hp_mm.minihumans import scenes
from hp_mm.minihumans.photo_style import GARMENT_FIELDS, style_generator
from hp_mm.minihumans.scenes import single_person_sample

RECOMMENDED = dict(background_blur=(1.5, 3.0), garment_pattern_prob=0.7)
KERNEL = np.ones((5, 5), np.uint8)


def _erode(mask):
    return cv2.erode(mask.astype(np.uint8), KERNEL) > 0


def _files(root):
    return sorted(osp.relpath(p, root) for p in glob.glob(
        osp.join(root, '**', '*.*'), recursive=True)
        if osp.isfile(p) and not p.endswith('minihumans_card.json'))


def _read(path):
    with open(path, 'rb') as f:
        return f.read()


def _render(i, style=None, **kw):
    return single_person_sample(
        np.random.default_rng((5, i)), 'atr', max_size=128, style=style,
        style_rng=None if style is None else style_generator(5, i), **kw)


def _mean_abs_laplacian(img, mask):
    grey = img.astype(np.float32).mean(2)
    return float(np.abs(cv2.Laplacian(grey, cv2.CV_32F))[mask].mean())


def _record_drawn_outfits(monkeypatch):
    """Replace ``draw_person`` by a wrapper that records each outfit."""
    drawn = []
    draw = scenes.draw_person

    def spy(canvas, shape, pose, app, *args, **kwargs):
        drawn.append(app)
        return draw(canvas, shape, pose, app, *args, **kwargs)

    monkeypatch.setattr(scenes, 'draw_person', spy)
    return drawn


def _same(a, b):
    """Equal colours, textures (dicts) or None."""
    if isinstance(a, dict) or isinstance(b, dict):
        return (isinstance(a, dict) and isinstance(b, dict)
                and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a))
    if a is None or b is None:
        return a is b
    return np.array_equal(a, b)


def _garments(app):
    return {n: getattr(app, n) for n in GARMENT_FIELDS
            if getattr(app, n) is not None}


# ------------------------------------------------------------ the blur unit
@pytest.mark.parametrize('height', [100, 200])
def test_blur_sigma_is_per_100_px_of_height(height):
    """A step edge blurred with sigma s has a Gaussian derivative of std s:
    (2, 2) per 100 px is sigma 2 at 100 px and sigma 4 at 200 px."""
    img = np.zeros((height, 200, 3), np.uint8)
    img[:, 100:] = 200
    out = PhotoStyle(background_blur=(2, 2)).blur_background(
        img, np.random.default_rng(0))
    d = np.diff(out[height // 2, :, 0].astype(np.float64))
    x = np.arange(d.size)
    mean = (d * x).sum() / d.sum()
    std = np.sqrt((d * (x - mean)**2).sum() / d.sum())
    assert abs(std - 2 * height / 100) < 0.2, std
    # no option, or a zero sigma: the very same array
    assert PhotoStyle().blur_background(img, None) is img
    assert PhotoStyle(background_blur=(0, 0)).blur_background(
        img, np.random.default_rng(0)) is img


def test_style_uses_its_own_generator():
    """A style that changes nothing (zero blur, zero pattern probability)
    still draws from its generator: the image must be the default's, so the
    image's own generator is untouched."""
    noop = PhotoStyle(background_blur=(0, 0), garment_pattern_prob=0.0)
    for i in range(3):
        a, b = _render(i), _render(i, noop)
        for k in ('img', 'sem', 'seg', 'human'):
            assert np.array_equal(getattr(a, k), getattr(b, k)), (i, k)
    with pytest.raises(ValueError, match='style_rng'):
        single_person_sample(np.random.default_rng(0), style=noop)


# ------------------------------------------------------------- single person
def test_blur_changes_the_background_only_and_smooths_it():
    style = PhotoStyle(background_blur=(1.5, 3.0))
    lap_default, lap_blur = [], []
    for i in range(8):
        a, b = _render(i), _render(i, style)
        for k in ('sem', 'seg', 'human'):
            assert np.array_equal(getattr(a, k), getattr(b, k)), (i, k)
        assert a.attributes == b.attributes
        inside = _erode(a.human > 0)
        assert np.array_equal(a.img[inside], b.img[inside]), i
        bg = _erode(a.human == 0)
        assert not np.array_equal(a.img[bg], b.img[bg]), i
        lap_default.append(_mean_abs_laplacian(a.img, bg))
        lap_blur.append(_mean_abs_laplacian(b.img, bg))
    # sensor noise (+-4 grey levels, added after the blur) keeps a floor of
    # about 5; measured: 9.3 default, 6.3 blurred (mean of 8 images)
    assert all(y <= x + 0.3 for x, y in zip(lap_default, lap_blur))
    assert np.mean(lap_blur) < 0.8 * np.mean(lap_default), (lap_default,
                                                            lap_blur)


def test_patterns_replace_solid_garments_and_keep_the_rest(monkeypatch):
    drawn = _record_drawn_outfits(monkeypatch)
    style = PhotoStyle(garment_pattern_prob=1.0)
    n = 20
    for i in range(n):
        a, b = _render(i), _render(i, style)
        for k in ('sem', 'seg', 'human'):
            assert np.array_equal(getattr(a, k), getattr(b, k)), (i, k)
        # the background and occluders are not touched at all
        out = _erode(a.human == 0)
        assert np.array_equal(a.img[out], b.img[out]), i
    assert len(drawn) == 2 * n
    solid = {'default': 0, 'styled': 0}
    total = 0
    for plain, styled in zip(drawn[0::2], drawn[1::2]):
        g0, g1 = _garments(plain), _garments(styled)
        assert g0.keys() == g1.keys()
        total += len(g0)
        for name in g0:
            assert np.array_equal(g0[name]['c1'], g1[name]['c1']), name
            solid['default'] += g0[name]['kind'] == 'solid'
            solid['styled'] += g1[name]['kind'] == 'solid'
            if g0[name]['kind'] != 'solid':  # patterns stay as they were
                assert _same(g1[name], g0[name]), name
            else:
                assert 'seed' in g1[name] and not _same(g1[name], g0[name])
        for name in ('skin', 'hair', 'shoes', 'belt', 'bag'):
            assert _same(getattr(plain, name), getattr(styled, name)), name
    # every person wears at least a top and shoes-or-legwear: over 20
    # people > 20 garments; the default priors make about half of them
    # solid (upper 0.5, pants 0.65, coat 0.8, ...): at least a quarter
    assert total >= n
    assert solid['default'] >= total / 4, (solid, total)
    assert solid['styled'] == 0, solid


def test_pattern_probability_scales_the_replacements(monkeypatch):
    drawn = _record_drawn_outfits(monkeypatch)
    for i in range(20):
        _render(i)
        _render(i, PhotoStyle(garment_pattern_prob=0.5))
        _render(i, PhotoStyle(garment_pattern_prob=1.0))
    counts = []
    for k in range(3):
        counts.append(sum(t['kind'] == 'solid' for app in drawn[k::3]
                          for t in _garments(app).values()))
    default, half, none = counts
    # each solid garment stays solid with probability 0.5 at P = 0.5
    assert none == 0 and 0.2 * default <= half <= 0.8 * default, counts


# ------------------------------------------------------------------ writers
@pytest.mark.parametrize('fmt', ['atr', 'cihp', 'mhp_v2', 'market1501'])
def test_writer_style_keeps_labels_lists_and_json(tmp_path, fmt):
    """Every label map, list and json file equals the default data's; every
    image differs."""
    n = (2, 1) if fmt == 'market1501' else (3, 2)
    plain, styled = str(tmp_path / 'plain'), str(tmp_path / 'styled')
    card0 = generate_dataset(fmt, plain, *n, seed=2, max_size=80,
                             progress=False)
    card1 = generate_dataset(fmt, styled, *n, seed=2, max_size=80,
                             progress=False, background_blur=(1.5, 3.0),
                             garment_pattern_prob=1.0)
    files = _files(plain)
    assert files == _files(styled) and files
    images = [f for f in files if f.endswith('.jpg')]
    assert images
    for rel in files:
        same = _read(osp.join(plain, rel)) == _read(osp.join(styled, rel))
        assert same != rel.endswith('.jpg'), rel
    assert card1.pop('photo_style') == dict(background_blur=(1.5, 3.0),
                                            garment_pattern_prob=1.0)
    assert 'photo_style' not in card0
    for k in ('rate', 'seconds'):
        card0.pop(k), card1.pop(k)
    assert card0 == card1


def test_reid_identity_keeps_its_patterns(tmp_path, monkeypatch):
    drawn = _record_drawn_outfits(monkeypatch)
    card, records = generate_dataset(
        'market1501', '', 3, 2, seed=1, dry_run=True, progress=False,
        return_records=True, garment_pattern_prob=0.7)
    assert len(drawn) == len(records)
    by_pid = {}
    for rec, app in zip(records, drawn):
        if rec['kind'] == 'id':
            by_pid.setdefault(rec['pid'], []).append(_garments(app))
    assert len(by_pid) == 5
    patterned = 0
    for pid, outfits in by_pid.items():
        assert len(outfits) >= 2, pid
        first = outfits[0]
        patterned += sum(t.get('seed') is not None for t in first.values())
        for other in outfits[1:]:  # same textures in every image
            assert other.keys() == first.keys()
            for name, tex in first.items():
                assert _same(other[name], tex), (pid, name)
    assert patterned > 0
    # and the images do not depend on the number of workers
    roots = [str(tmp_path / f'w{w}') for w in (1, 2)]
    for root, workers in zip(roots, (1, 2)):
        generate_dataset('market1501', root, 2, 1, seed=1, workers=workers,
                         progress=False, background_blur=(1.5, 3.0),
                         garment_pattern_prob=0.7)
    for rel in _files(roots[0]):
        assert _read(osp.join(roots[0], rel)) == _read(
            osp.join(roots[1], rel)), rel


@pytest.mark.parametrize('kwargs, field', [
    (dict(background_blur=(3, 1)), 'background_blur'),
    (dict(background_blur=(-1, 2)), 'background_blur'),
    (dict(background_blur=(1, 2, 3)), 'background_blur'),
    (dict(background_blur=(1, float('inf'))), 'background_blur'),
    (dict(garment_pattern_prob=1.5), 'garment_pattern_prob'),
    (dict(garment_pattern_prob=-0.1), 'garment_pattern_prob'),
    (dict(garment_pattern_prob='often'), 'garment_pattern_prob'),
])
@pytest.mark.parametrize('fmt', ['lip', 'cihp', 'market1501'])
def test_bad_values_name_the_option(tmp_path, fmt, kwargs, field):
    with pytest.raises(ValueError, match=field):
        generate_dataset(fmt, str(tmp_path / 'bad'), 1, 0, progress=False,
                         **kwargs)


def test_cli_writes_a_styled_dataset(tmp_path):
    out = str(tmp_path / 'cli')
    proc = run_tool([
        'tools/dataset_converters/generate_minihumans.py', 'atr', out,
        '--num-train', '4', '--num-val', '2', '--seed', '0', '--max-size',
        '64', '--no-progress', '--background-blur', '1.5', '3',
        '--garment-pattern-prob', '0.7'], timeout=300)
    assert "photo style: {'background_blur': (1.5, 3.0), " \
        "'garment_pattern_prob': 0.7}" in proc.stdout
    plain = str(tmp_path / 'plain')
    generate_dataset('atr', plain, 4, 2, seed=0, max_size=64,
                     progress=False)
    labels = _files(plain)
    assert len(labels) == 2 * 6 + 2 and labels == _files(out)
    for rel in labels:
        if not rel.endswith('.jpg'):
            assert _read(osp.join(plain, rel)) == _read(osp.join(out, rel))


# ---------------------------------------------------------- array-level API
def test_api_render_functions_take_the_photo_style():
    from hp_mm.minihumans.api import render_scene, render_single_person
    for i in range(3):
        img, label, attrs = render_single_person(np.random.default_rng((7, i)), 'atr',
                                                 max_size=128)
        s_img, s_label, s_attrs = render_single_person(
            np.random.default_rng((7, i)), 'atr', max_size=128, style_rng=style_generator(7, i),
            **RECOMMENDED)
        assert np.array_equal(label, s_label) and attrs == s_attrs
        assert not np.array_equal(img, s_img)
        img, cat, human, persons = render_scene(np.random.default_rng((8, i)), 'cihp',
                                                max_size=160)
        s_img, s_cat, s_human, s_persons = render_scene(np.random.default_rng((8, i)), 'cihp',
                                                        max_size=160, **RECOMMENDED)
        assert np.array_equal(cat, s_cat) and np.array_equal(human, s_human)
        assert persons == s_persons and not np.array_equal(img, s_img)
    with pytest.raises(ValueError, match='style_rng'):
        render_single_person(np.random.default_rng(0), background_blur=(1, 2))
    with pytest.raises(ValueError, match='garment_pattern_prob'):
        render_scene(np.random.default_rng(0), garment_pattern_prob=1.5)
