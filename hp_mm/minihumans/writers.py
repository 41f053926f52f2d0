"""One writer per dataset format, writing the real datasets' on-disk layouts.

A writer plans its jobs (one per image, each with the index that seeds its
random generator), renders and writes one image per :meth:`make` call (so
workers can share the work), and writes the id lists and json files in
:meth:`finalize` from the small per-image records that :meth:`make` returns.

Image ``i`` of the train split is seeded with ``(seed, i)`` and image ``i``
of the val split with ``(seed, VAL_OFFSET + i)``, so an image does not depend
on the number of workers, on the order of work or on the size of the other
split. Each writer's docstring gives its layout: the real dataset's, as the
dataset classes of :mod:`hp_mm.datasets` read it.
"""
import json
import os
import os.path as osp

import cv2
import numpy as np

from . import labels as L
from .appearance import sample_appearance
from .body import sample_shape
from .card import image_record
from .photo_style import PhotoStyle, style_generator
from .scenes import FORMAT_OPTIONS, reid_sample, scene_sample, \
    single_person_sample
from .textures import palette_colour

VAL_OFFSET = 10_000_000
JPEG_QUALITY = 90
LIP_ATTRIBUTE_KEYS = ('occlusion', 'full_body', 'upper_body', 'head_missed',
                      'back_view')


# ------------------------------------------------------------------ helpers
def imwrite(path, img, quality=JPEG_QUALITY):
    """Write an image (JPEG quality ``quality`` for .jpg), raising on error."""
    params = [cv2.IMWRITE_JPEG_QUALITY, quality] if path.endswith('.jpg') \
        else []
    if not cv2.imwrite(path, img, params):
        raise OSError(f'could not write {path}')


def write_lines(path, lines):
    """Write one item per line."""
    with open(path, 'w') as f:
        f.write(''.join(f'{x}\n' for x in lines))


def write_json(path, obj):
    """Write a json file."""
    with open(path, 'w') as f:
        json.dump(obj, f)


def contiguous_humans(human, valid):
    """Relabel person ids to 1..N over the pixels where ``valid`` holds.

    Args:
        human (np.ndarray): Person index map, shape (H, W) uint8.
        valid (np.ndarray): Bool mask of labelled (non-background) pixels,
            shape (H, W).

    Returns:
        tuple[np.ndarray, list[int]]: Relabelled map (H, W) uint8 and the
        old ids kept, in order (new id k was old id ``kept[k - 1]``).
    """
    h = np.where(valid, human, 0).astype(np.uint8)
    kept = np.flatnonzero(np.bincount(h.ravel(), minlength=256)[1:]) + 1
    lut = np.zeros(256, np.uint8)
    lut[kept] = np.arange(1, kept.size + 1)
    return lut[h], kept.tolist()


def person_boxes(human):
    """COCO boxes and areas of each person's visible pixels.

    Args:
        human (np.ndarray): Person ids 0..N (contiguous), shape (H, W).

    Returns:
        list[dict]: Per person k = 1..N: ``parsing_id`` k, ``bbox``
        [x, y, w, h] (pixels, inclusive extent) and ``area`` (pixel count).
    """
    out = []
    for k in range(1, int(human.max()) + 1):
        m = human == k
        rows = np.flatnonzero(m.any(1))
        cols = np.flatnonzero(m.any(0))
        out.append(dict(parsing_id=k, bbox=[
            int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1),
            int(rows[-1] - rows[0] + 1)], area=int(m.sum())))
    return out


def coco_json(records, with_parsing_id=False):
    """Build a COCO person-detection dict from per-image records.

    Args:
        records (list[dict]): Records with ``file_name``, ``height``,
            ``width`` and ``boxes`` (from :func:`person_boxes`).
        with_parsing_id (bool): Keep ``parsing_id`` (QANet's CIHP json).

    Returns:
        dict: ``images``, ``annotations``, ``categories``.
    """
    images, anns = [], []
    for i, r in enumerate(records, 1):
        images.append(dict(id=i, file_name=r['file_name'], width=r['width'],
                           height=r['height']))
        for b in r['boxes']:
            a = dict(id=len(anns) + 1, image_id=i, category_id=1,
                     bbox=b['bbox'], area=b['area'], iscrowd=0)
            if with_parsing_id:
                a['parsing_id'] = b['parsing_id']
            anns.append(a)
    return dict(images=images, annotations=anns,
                categories=[dict(id=1, name='person')])


# ------------------------------------------------------------------ writers
class BaseWriter:
    """Common machinery of the writers.

    Args:
        root (str): Dataset root.
        seed (int): Seed; with the image index it fixes every image.
        max_size (int | None): Cap of the longer image side.
        dry_run (bool): Render and compute records without writing files.
        background_clutter (tuple[int, int] | None): Range of the number of
            background shapes per image (see
            :func:`hp_mm.minihumans.textures.render_background`); None keeps
            the format's default (``default_clutter``: as busy as the person).
            (0, 0) leaves a shaded, often blurred gradient (a plain wall,
            pavement or studio backdrop). Single-person and re-ID formats.
        background_blur (tuple[float, float] | None): Photo style (all
            formats): the rendered background, before people are drawn, is
            Gaussian-blurred with a sigma drawn uniformly from ``(lo, hi)``
            in pixels per 100 px of image height (``0 <= lo <= hi``). None
            (default) leaves it as is.
        garment_pattern_prob (float | None): Photo style (all formats):
            probability in [0, 1] that each solid garment gets stripes,
            checks, dots or noise in its own base colour (skin, hair, shoes,
            belts and bags untouched). None (default) leaves outfits as is.
            Re-ID identities are styled once, so all their images agree.

    The photo style draws from generators of its own
    (:mod:`hp_mm.minihumans.photo_style`): with it the images show the same
    people, poses, colours and background layout, and the label maps and
    records are those of the default data.
    """
    fmt = ''
    splits = ('train', 'val')
    default_clutter = (2, 9)
    supports_clutter = True  # False: multi-person scenes keep their own

    def __init__(self, root, seed=0, max_size=None, dry_run=False,
                 background_clutter=None, background_blur=None,
                 garment_pattern_prob=None, **kwargs):
        if kwargs:
            raise TypeError(f'{type(self).__name__}: unknown options '
                            f'{sorted(kwargs)}')
        if background_clutter is not None and not self.supports_clutter:
            raise TypeError(f'{type(self).__name__}: background_clutter is '
                            'only for the single-person and re-ID formats')
        clutter = (self.default_clutter if background_clutter is None
                   else tuple(int(v) for v in background_clutter))
        if len(clutter) != 2 or not 0 <= clutter[0] <= clutter[1]:
            raise ValueError('background_clutter must be (min, max) with '
                             f'0 <= min <= max, got {background_clutter!r}')
        self.background_clutter = clutter
        self.photo_style = PhotoStyle(background_blur, garment_pattern_prob)
        self.root = root
        self.seed = int(seed)
        self.max_size = max_size
        self.dry_run = dry_run
        names, self.map_kind, self.lut = L.FORMAT_LABELS[self.fmt]
        self.class_names = names

    # planning ---------------------------------------------------------
    def plan(self, num_train, num_val):
        """List the jobs: ``(split, i, index, id)`` per image."""
        jobs = []
        for split, n in zip(self.splits, (num_train, num_val)):
            for i in range(n):
                index = i if split == self.splits[0] else VAL_OFFSET + i
                jobs.append((split, i, index, self.image_id(split, i)))
        return jobs

    def image_id(self, split, i):
        """File stem of image ``i`` of ``split``."""
        raise NotImplementedError

    def rng(self, index):
        """The random generator of one image."""
        return np.random.default_rng((self.seed, index))

    def dirs(self):
        """Folders to create."""
        return []

    def prepare(self):
        """Create the folders."""
        if not self.dry_run:
            for d in self.dirs():
                os.makedirs(osp.join(self.root, d), exist_ok=True)

    def path(self, *parts):
        return osp.join(self.root, *parts)

    def labels_of(self, sample):
        """The format's label map of a sample, shape (H, W) uint8."""
        return self.lut[sample.sem if self.map_kind == 'sem' else sample.seg]

    def make(self, job):
        """Render and write one image; return its record."""
        raise NotImplementedError

    def finalize(self, jobs, records):
        """Write lists and json files."""

    def extend_card(self, card, records):
        """Add format-specific entries to the card."""


class LIPWriter(BaseWriter):
    """LIP: ``TrainVal_images/{train,val}_images``, ``*_id.txt``,
    ``TrainVal_parsing_annotations/{train,val}_segmentations`` and hp_mm's
    ``TrainVal_images/{train,val}_attributes.json`` sidecar."""
    fmt = 'lip'
    render_fmt = 'lip'

    def image_id(self, split, i):
        first = (100000 if split == 'train' else 600000) + i
        second = (i * 2654435761 + self.seed * 97 + 1) % 900000 + 100000
        return f'{first}_{second}'

    def dirs(self):
        return [f'TrainVal_images/{s}_images' for s in self.splits] + [
            f'TrainVal_parsing_annotations/{s}_segmentations'
            for s in self.splits]

    def make(self, job):
        split, i, index, sid = job
        s = single_person_sample(self.rng(index), self.render_fmt,
                                 max_size=self.max_size,
                                 background_clutter=self.background_clutter,
                                 style=self.photo_style,
                                 style_rng=style_generator(self.seed, index))
        label = self.labels_of(s)
        if not self.dry_run:
            self.write(split, sid, s.img, label)
        return image_record(label, len(self.class_names), s.attributes,
                            split=split, id=sid)

    def write(self, split, sid, img, label):
        imwrite(self.path('TrainVal_images', f'{split}_images', sid + '.jpg'),
                img)
        imwrite(self.path('TrainVal_parsing_annotations',
                          f'{split}_segmentations', sid + '.png'), label)

    def finalize(self, jobs, records):
        if self.dry_run:
            return
        for split in self.splits:
            recs = [r for r in records if r['split'] == split]
            write_lines(self.path('TrainVal_images', f'{split}_id.txt'),
                        [r['id'] for r in recs])
            write_json(self.path('TrainVal_images',
                                 f'{split}_attributes.json'),
                       {r['id']: {k: bool(r['attributes'][k])
                                  for k in LIP_ATTRIBUTE_KEYS}
                        for r in recs})


class ATRWriter(LIPWriter):
    """ATR: ``humanparsing/{JPEGImages,SegmentationClassAug}`` and
    Graphonomy-style ``humanparsing/list/{train,val}_id.txt`` (the split is
    hp_mm's choice; ATR has no official one). All 18 ATR classes can occur
    (belts and bags are drawn in ATR mode)."""
    fmt = 'atr'
    render_fmt = 'atr'
    prefixes = ('2500', '4565', '997', 'fash', 'dataset10k', 'Multi')

    def image_id(self, split, i):
        n = i + 1 if split == 'train' else 500001 + i
        return f'{self.prefixes[n % len(self.prefixes)]}_{n}'

    def dirs(self):
        return ['humanparsing/JPEGImages', 'humanparsing/SegmentationClassAug',
                'humanparsing/list']

    def write(self, split, sid, img, label):
        imwrite(self.path('humanparsing/JPEGImages', sid + '.jpg'), img)
        imwrite(self.path('humanparsing/SegmentationClassAug', sid + '.png'),
                label)

    def finalize(self, jobs, records):
        if self.dry_run:
            return
        for split in self.splits:
            write_lines(self.path('humanparsing/list', f'{split}_id.txt'),
                        [r['id'] for r in records if r['split'] == split])


class _SceneWriter(BaseWriter):
    """Multi-person scenes."""
    min_persons, max_persons = 1, 6
    supports_clutter = False

    def render(self, index):
        return scene_sample(self.rng(index), self.fmt,
                            min_persons=self.min_persons,
                            max_persons=self.max_persons,
                            max_size=self.max_size, style=self.photo_style)

    def scene(self, index):
        """Render a scene; return (sample, labels, contiguous humans,
        per-person attributes)."""
        s = self.render(index)
        label = self.labels_of(s)
        valid = (L.LIP_LUT[s.sem] > 0) if self.map_kind == 'seg' else label > 0
        human, kept = contiguous_humans(s.human, valid)
        persons = [s.persons[k - 1] for k in kept]
        return s, label, human, persons


class PascalPersonPartWriter(_SceneWriter):
    """PASCAL-Person-Part: ``JPEGImages``, ``SegmentationPart`` (7 body-part
    classes), ``list/{train,val}_id.txt``; 1-3 people per image."""
    fmt = 'pascal_person_part'
    max_persons = 3

    def image_id(self, split, i):
        n = i + 1 if split == 'train' else 500001 + i
        return f'{2008 + n % 4}_{n:06d}'

    def dirs(self):
        return ['JPEGImages', 'SegmentationPart', 'list']

    def make(self, job):
        split, i, index, sid = job
        s, label, human, persons = self.scene(index)
        if not self.dry_run:
            imwrite(self.path('JPEGImages', sid + '.jpg'), s.img)
            imwrite(self.path('SegmentationPart', sid + '.png'), label)
        return image_record(label, len(self.class_names), human=human,
                            persons=persons, split=split, id=sid)

    def finalize(self, jobs, records):
        if self.dry_run:
            return
        for split in self.splits:
            write_lines(self.path('list', f'{split}_id.txt'),
                        [r['id'] for r in records if r['split'] == split])


class CIHPWriter(_SceneWriter):
    """CIHP: ``instance-level_human_parsing/{Training,Validation}/{Images,
    Category_ids,Human_ids,Instance_ids}`` (Instance_ids also ``.txt``),
    ``{train,val}_id.txt`` and QANet's ``annotations/CIHP_{train,val}.json``.
    Category 10 is Torso-skin; jumpsuits are never drawn."""
    fmt = 'cihp'
    folders = {'train': 'Training', 'val': 'Validation'}

    def image_id(self, split, i):
        return f'{i + 1:07d}'

    def dirs(self):
        base = 'instance-level_human_parsing'
        return [f'{base}/{f}/{d}' for f in self.folders.values()
                for d in ('Images', 'Category_ids', 'Human_ids',
                          'Instance_ids')] + [f'{base}/annotations']

    def make(self, job):
        split, i, index, sid = job
        s, cat, human, persons = self.scene(index)
        inst = np.where(human > 0, (human.astype(np.int32) - 1) * 20 + cat,
                        0).astype(np.uint8)
        if not self.dry_run:
            d = self.path('instance-level_human_parsing', self.folders[split])
            imwrite(osp.join(d, 'Images', sid + '.jpg'), s.img)
            imwrite(osp.join(d, 'Category_ids', sid + '.png'), cat)
            imwrite(osp.join(d, 'Human_ids', sid + '.png'), human)
            imwrite(osp.join(d, 'Instance_ids', sid + '.png'), inst)
            vals = np.flatnonzero(np.bincount(inst.ravel(), minlength=256))
            write_lines(osp.join(d, 'Instance_ids', sid + '.txt'), [
                f'{v} {v % 20} {v // 20 + 1}' for v in vals if v > 0])
        return image_record(cat, len(self.class_names), human=human,
                            persons=persons, split=split, id=sid,
                            file_name=sid + '.jpg', boxes=person_boxes(human))

    def finalize(self, jobs, records):
        if self.dry_run:
            return
        base = self.path('instance-level_human_parsing')
        for split, folder in self.folders.items():
            recs = [r for r in records if r['split'] == split]
            write_lines(osp.join(base, folder, f'{split}_id.txt'),
                        [r['id'] for r in recs])
            write_json(osp.join(base, 'annotations', f'CIHP_{split}.json'),
                       coco_json(recs, with_parsing_id=True))


class MHPv2Writer(_SceneWriter):
    """MHP-v2: ``LV-MHP-v2/list/{train,val}.txt``, ``{train,val}/images/<n>.jpg``
    and one 3-channel PNG per person ``parsing_annos/<n>_<NN>_<II>.png`` whose
    channels all hold that person's visible categories (0..58); 2-6 people."""
    fmt = 'mhp_v2'
    min_persons = 2

    def image_id(self, split, i):
        return str(i + 1)

    def dirs(self):
        return [f'LV-MHP-v2/{s}/{d}' for s in self.splits
                for d in ('images', 'parsing_annos')] + ['LV-MHP-v2/list']

    def make(self, job):
        split, i, index, sid = job
        s, cat, human, persons = self.scene(index)
        n = int(human.max())
        if not self.dry_run:
            d = self.path('LV-MHP-v2', split)
            imwrite(osp.join(d, 'images', sid + '.jpg'), s.img)
            for k in range(1, n + 1):
                anno = np.where(human == k, cat, 0).astype(np.uint8)
                imwrite(osp.join(d, 'parsing_annos',
                                 f'{sid}_{n:02d}_{k:02d}.png'),
                        np.repeat(anno[..., None], 3, 2))
        return image_record(cat, len(self.class_names), human=human,
                            persons=persons, split=split, id=sid)

    def finalize(self, jobs, records):
        if self.dry_run:
            return
        for split in self.splits:
            write_lines(self.path('LV-MHP-v2/list', f'{split}.txt'),
                        [r['id'] for r in records if r['split'] == split])


class COCOPersonWriter(_SceneWriter):
    """COCO person boxes for mmdet: ``images/{train,val}/<id>.jpg`` and
    ``annotations/instances_{train,val}.json`` (boxes of visible pixels)."""
    fmt = 'coco_person'

    def image_id(self, split, i):
        return f'{i + 1:012d}'

    def dirs(self):
        return [f'images/{s}' for s in self.splits] + ['annotations']

    def make(self, job):
        split, i, index, sid = job
        s, label, human, persons = self.scene(index)
        if not self.dry_run:
            imwrite(self.path('images', split, sid + '.jpg'), s.img)
        return image_record(label, len(self.class_names), human=human,
                            persons=persons, split=split, id=sid,
                            file_name=sid + '.jpg', boxes=person_boxes(human))

    def finalize(self, jobs, records):
        if self.dry_run:
            return
        for split in self.splits:
            write_json(self.path('annotations', f'instances_{split}.json'),
                       coco_json([r for r in records if r['split'] == split]))


class Market1501Writer(BaseWriter):
    """Market-1501: 128x64 crops in ``Market-1501-v15.09.15/{bounding_box_train,
    bounding_box_test,query}`` named ``<pid>_c<cam>s<seq>_<frame>_<box>.jpg``,
    LIP part masks in ``hp_mm_part_masks/<dir>/<stem>.png`` and attributes in
    ``hp_mm_attributes.json``.

    Sizes are identities: ``num_train`` train and ``num_val`` test
    identities. Every identity has a fixed body and outfit (seeded by
    ``(seed, pid, 1)``) and is seen by 2-6 of the 6 cameras, each with its
    own background palette and colour temperature (seeded by
    ``(seed, cam, 2)``). Each test identity has exactly one query per camera
    that sees it and 1..``images_per_camera`` gallery images per camera, so
    the gallery holds it in the query's camera and in other cameras. The
    gallery also holds distractors (pid 0000) and junk boxes (pid -1).

    Args:
        images_per_camera (int): Most images per identity and camera.
        distractor_frac (float): Distractors as a fraction of the gallery.
        junk_frac (float): Junk boxes as a fraction of the gallery.
    """
    fmt = 'market1501'
    default_clutter = (2, 8)
    base = 'Market-1501-v15.09.15'
    dirs_ = ('bounding_box_train', 'bounding_box_test', 'query')
    num_cameras = 6

    def __init__(self, root, seed=0, max_size=None, dry_run=False,
                 images_per_camera=3, distractor_frac=0.1, junk_frac=0.05,
                 background_clutter=None, background_blur=None,
                 garment_pattern_prob=None):
        super().__init__(root, seed, None, dry_run,
                         background_clutter=background_clutter,
                         background_blur=background_blur,
                         garment_pattern_prob=garment_pattern_prob)
        self.images_per_camera = images_per_camera
        self.distractor_frac = distractor_frac
        self.junk_frac = junk_frac
        self._ids = {}
        self._cams = {}

    def dirs(self):
        return [f'{self.base}/{d}' for d in self.dirs_] + [
            f'{self.base}/hp_mm_part_masks/{d}' for d in self.dirs_]

    def plan(self, num_train, num_val):
        """Jobs ``(index, dir, stem, pid, cam, kind)``; sizes in identities."""
        prng = np.random.default_rng((self.seed, 7, 7, 7))
        total = num_train + num_val
        pool = np.arange(1, max(1502, 2 * total + 2))
        pids = prng.choice(pool, total, replace=False)
        train_ids = sorted(int(p) for p in pids[:num_train])
        test_ids = sorted(int(p) for p in pids[num_train:])
        frame = {c: int(prng.integers(50, 2000))
                 for c in range(1, self.num_cameras + 1)}
        used = set()
        jobs = []

        def add(d, pid, cam, kind):
            while True:
                frame[cam] += int(prng.integers(5, 300))
                pid_s = '-1' if pid < 0 else f'{pid:04d}'
                stem = (f'{pid_s}_c{cam}s{int(prng.integers(1, 7))}_'
                        f'{frame[cam]:06d}_{int(prng.integers(1, 9)):02d}')
                if stem not in used:
                    break
            used.add(stem)
            jobs.append((len(jobs), d, stem, pid, cam, kind))

        def cams():
            k = int(prng.integers(2, self.num_cameras + 1))
            return sorted(int(c) + 1 for c in prng.choice(
                self.num_cameras, k, replace=False))

        ipc = self.images_per_camera
        for pid in train_ids:
            for cam in cams():
                for _ in range(int(prng.integers(1, ipc + 1))):
                    add('bounding_box_train', pid, cam, 'id')
        for pid in test_ids:
            for cam in cams():
                add('query', pid, cam, 'id')
                for _ in range(int(prng.integers(1, ipc + 1))):
                    add('bounding_box_test', pid, cam, 'id')
        n_gal = sum(j[1] == 'bounding_box_test' for j in jobs)
        if num_val:
            for _ in range(max(1, int(round(self.distractor_frac * n_gal)))):
                add('bounding_box_test', 0, int(prng.integers(1, 7)),
                    'distractor')
            for _ in range(max(1, int(round(self.junk_frac * n_gal)))):
                add('bounding_box_test', -1, int(prng.integers(1, 7)), 'junk')
        return jobs

    def identity(self, pid):
        """Fixed body and outfit of an identity."""
        if pid not in self._ids:
            self._ids[pid] = self._new_identity(self.seed, pid, 1)
        return self._ids[pid]

    def _new_identity(self, *key):
        """Body and outfit drawn from ``default_rng(key)``, the outfit
        styled by the photo style's generator of the same key."""
        rng = np.random.default_rng(key)
        shape = sample_shape(rng)
        app = sample_appearance(rng, **FORMAT_OPTIONS['market1501'])
        return dict(shape=shape, app=self.photo_style.pattern_garments(
            app, style_generator(*key)))

    def camera(self, cam):
        """Background palette and colour temperature of a camera."""
        if cam not in self._cams:
            rng = np.random.default_rng((self.seed, cam, 2))
            warm = rng.uniform(-0.12, 0.12)
            gain = rng.uniform(0.8, 1.15)
            self._cams[cam] = dict(
                base=np.stack([palette_colour(rng), palette_colour(rng)]),
                tint=np.array([1 - warm, 1.0, 1 + warm], np.float32) * gain,
                clutter=self.background_clutter)
        return self._cams[cam]

    def make(self, job):
        index, d, stem, pid, cam, kind = job
        if kind == 'id':
            ident = self.identity(pid)
        else:
            ident = self._new_identity(self.seed, index, 3)
        s = reid_sample(self.rng(index), ident, self.camera(cam),
                        junk=kind == 'junk', style=self.photo_style,
                        style_rng=style_generator(self.seed, index))
        label = self.labels_of(s)
        if not self.dry_run:
            imwrite(self.path(self.base, d, stem + '.jpg'), s.img)
            imwrite(self.path(self.base, 'hp_mm_part_masks', d, stem + '.png'),
                    label)
        return image_record(label, len(self.class_names), s.attributes,
                            split=d, id=stem, pid=pid, cam=cam, kind=kind)

    def finalize(self, jobs, records):
        if self.dry_run:
            return
        write_json(self.path(self.base, 'hp_mm_attributes.json'), {
            r['id']: {k: bool(r['attributes'][k])
                      for k in LIP_ATTRIBUTE_KEYS + ('truncated', 'occluded')}
            for r in records})

    def extend_card(self, card, records):
        def ids(d):
            return sorted({r['pid'] for r in records
                           if r['split'] == d and r['pid'] > 0})
        card['reid'] = dict(
            train_identities=len(ids('bounding_box_train')),
            test_identities=len(ids('query')),
            query_images=sum(r['split'] == 'query' for r in records),
            gallery_images=sum(r['split'] == 'bounding_box_test'
                               for r in records),
            distractor_images=sum(r['kind'] == 'distractor' for r in records),
            junk_images=sum(r['kind'] == 'junk' for r in records),
            cameras=sorted({r['cam'] for r in records}),
            images_per_camera={c: sum(r['cam'] == c for r in records)
                               for c in range(1, self.num_cameras + 1)})


WRITERS = {
    'lip': LIPWriter,
    'atr': ATRWriter,
    'pascal_person_part': PascalPersonPartWriter,
    'cihp': CIHPWriter,
    'mhp_v2': MHPv2Writer,
    'market1501': Market1501Writer,
    'coco_person': COCOPersonWriter,
}
