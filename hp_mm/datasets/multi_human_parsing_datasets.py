"""Multi-person (instance-level) human parsing datasets for top-down parsers (QANet).

Two views of the same files, chosen by ``data_mode``:

- ``'person'`` (training): one item per person, with that person's box; the
  pipeline crops the person (``PersonBBoxCenterScale`` ... ``PersonAffine``)
  and the label keeps only that person's parts (QANet
  ``lib/data/structures/instance.py`` ``Parsing``: ``Category_ids *
  (Human_ids == parsing_id)``).
- ``'image'`` (evaluation / inference): one item per image with all person
  boxes, from the ground truth (score 1) or from a detections file
  ``bbox_file`` (mmdet ``CocoMetric(format_only=True)`` output
  ``<prefix>.bbox.json``: ``[{image_id, bbox: [x, y, w, h], score,
  category_id}, ...]``, as mmpose's ``bbox_file``), kept when
  ``score > bbox_score_thr`` (QANet ``COCOInstanceTestDataset``: ``obj['score']
  > self.image_thresh``).

Boxes are hp_mm's ``(x1, y1, x2, y2)`` with pixel centres at integers (see
:mod:`hp_mm.structures.bbox`); COCO ``[x, y, w, h]`` boxes (the
annotation json and ``bbox_file``) are converted with
:func:`~hp_mm.structures.bbox_coco_to_center_xyxy`.

Every item carries ``flip_pairs`` and ``num_classes`` (no global state).
"""
import json
import os.path as osp
import re
from collections import defaultdict
from typing import Dict, List, Optional

import numpy as np
from mmengine.fileio import exists, get_text, list_dir_or_file, list_from_file
from mmengine.logging import print_log
from mmseg.datasets import BaseSegDataset

from hp_mm.registry import DATASETS
from hp_mm.structures import bbox_coco_to_center_xyxy, mask_to_bbox
from .human_parsing_datasets import CIHPDataset, LIPDataset, PascalPersonPartDataset
from .label_io import read_label_file

DATA_MODES = ('person', 'image')


def _voc_palette(num: int) -> list:
    """The PASCAL VOC colour map (bit-interleaved label ids), ``num`` RGB colours."""
    palette = []
    for label in range(num):
        r = g = b = 0
        c = label
        for shift in range(7, -1, -1):
            r |= (c & 1) << shift
            g |= ((c >> 1) & 1) << shift
            b |= ((c >> 2) & 1) << shift
            c >>= 3
        palette.append([r, g, b])
    return palette


MHP_V2_CLASSES = (
    'background', 'cap/hat', 'helmet', 'face', 'hair', 'left-arm', 'right-arm', 'left-hand',
    'right-hand', 'protector', 'bikini/bra', 'jacket/windbreaker/hoodie', 't-shirt',
    'polo-shirt', 'sweater', 'singlet', 'torso-skin', 'pants', 'shorts/swim-shorts', 'skirt',
    'stockings', 'socks', 'left-boot', 'right-boot', 'left-shoe', 'right-shoe', 'left-highheel',
    'right-highheel', 'left-sandal', 'right-sandal', 'left-leg', 'right-leg', 'left-foot',
    'right-foot', 'coat', 'dress', 'robe', 'jumpsuit', 'other-full-body-clothes', 'headwear',
    'backpack', 'ball', 'bats', 'belt', 'bottle', 'carrybag', 'cases', 'sunglasses', 'eyewear',
    'glove', 'scarf', 'umbrella', 'wallet/purse', 'watch', 'wristband', 'tie', 'other-accessary',
    'other-upper-body-clothes', 'other-lower-body-clothes')
# QANet lib/data/dataset_catalog.py, 'MHP-v2_train' flip_map
MHP_V2_FLIP_PAIRS = ((5, 6), (7, 8), (22, 23), (24, 25), (26, 27), (28, 29), (30, 31), (32, 33))


class BaseMultiHumanParsingDataset(BaseSegDataset):
    """Shared loading of the multi-person parsing datasets (not registered).

    Subclasses implement :meth:`load_images`, returning one record per image::

        dict(img_path=str, img_id=int | None, seg_map_path=str | None,
             human_map_path=str | None,
             persons=[dict(parsing_id=int, bbox=np.ndarray (4,) | None,
                           seg_map_path=str (optional, a per-person label file)), ...])

    and this class expands them into ``data_mode`` items. A person ``bbox``
    of None is computed from its label when loaded (MHP-v2, whose boxes are
    not stored anywhere).

    Items (``data_mode='person'``): ``img_path``, ``img_id``,
    ``seg_map_path`` (category map, or the person's own label file),
    ``human_map_path`` (None for a per-person label file), ``parsing_id``,
    ``bbox`` (4,) float32 or None, ``flip_pairs``, ``num_classes``,
    ``label_map``, ``reduce_zero_label`` (False), ``seg_fields`` ([]).

    Items (``data_mode='image'``): ``img_path``, ``img_id``, ``seg_map_path``
    (category map or None), ``human_map_path`` (human-id map, or the list of
    per-person label files), ``person_ids`` (parsing ids of the persons in
    ``human_map_path``), ``bboxes`` (N, 4) float32 or None (GT, from the
    labels when loaded), ``bbox_scores`` (N,) float32 or None,
    ``box_source`` (``'gt'`` or ``'bbox_file'``), ``flip_pairs``,
    ``num_classes``, ``label_map``, ``reduce_zero_label``, ``seg_fields``.

    Args:
        data_mode (str): ``'person'`` or ``'image'``. Defaults to
            ``'person'``.
        bbox_file (str, optional): Detections for ``'image'`` mode (see the
            module docstring); None uses the ground-truth boxes. Its
            ``image_id`` values are matched against the ann file's image ids
            (COCO json), else against the integer value of the image's file
            stem (CIHP ``0000001`` -> 1, MHP-v2 ``96`` -> 96).
        bbox_score_thr (float): Keep detections with ``score > thr``.
            Defaults to 0.0.
        person_category_id (int): ``category_id`` of persons in ``bbox_file``
            and the annotation json. Defaults to 1.
        check_files (bool): Check at load time that every listed file
            exists, so a missing file fails at start-up with its path.
            Defaults to True.
        **kwargs: :class:`mmseg.datasets.BaseSegDataset` arguments.
    """

    def __init__(self, data_mode: str = 'person', bbox_file: Optional[str] = None,
                 bbox_score_thr: float = 0.0, person_category_id: int = 1,
                 check_files: bool = True, **kwargs) -> None:
        if data_mode not in DATA_MODES:
            raise ValueError(f'{type(self).__name__}: data_mode must be one of {DATA_MODES}, '
                             f'got {data_mode!r}')
        if bbox_file and data_mode != 'image':
            raise ValueError(f'{type(self).__name__}: bbox_file is used in data_mode="image" '
                             f'only (got data_mode={data_mode!r})')
        self.data_mode = data_mode
        self.bbox_file = bbox_file
        self.bbox_score_thr = float(bbox_score_thr)
        self.person_category_id = person_category_id
        self.check_files = check_files
        super().__init__(**kwargs)

    # ----------------------------------------------------------------- to override
    def load_images(self) -> List[dict]:
        """Per-image records (see the class docstring)."""
        raise NotImplementedError

    # ----------------------------------------------------------------- shared
    def load_data_list(self) -> List[dict]:
        """Expand :meth:`load_images` into ``data_mode`` items."""
        images = self.load_images()
        if self.check_files:
            self._check_files(images)
        common = dict(
            flip_pairs=[tuple(p) for p in self._metainfo.get('flip_pairs', ())],
            num_classes=len(self._metainfo['classes']),
            label_map=self.label_map,
            reduce_zero_label=False)
        if self.data_mode == 'person':
            return self._person_items(images, common)
        detections = self._load_bbox_file(images) if self.bbox_file else None
        data_list = []
        for i, image in enumerate(images):
            persons = image['persons']
            per_person_files = any('seg_map_path' in p for p in persons)
            info = dict(
                img_path=image['img_path'], img_id=image['img_id'],
                seg_map_path=image['seg_map_path'],
                human_map_path=([p['seg_map_path'] for p in persons] if per_person_files
                                else image['human_map_path']),
                person_ids=[int(p['parsing_id']) for p in persons],
                seg_fields=[], **common)
            if detections is not None:
                boxes, scores = detections[i]
                info.update(bboxes=boxes, bbox_scores=scores, box_source='bbox_file')
            elif any(p['bbox'] is None for p in persons):
                info.update(bboxes=None, bbox_scores=None, box_source='gt')
            else:
                boxes = np.array([p['bbox'] for p in persons], np.float32).reshape(-1, 4)
                info.update(bboxes=boxes, bbox_scores=np.ones(len(boxes), np.float32),
                            box_source='gt')
            data_list.append(info)
        return data_list

    def _person_items(self, images: List[dict], common: dict) -> List[dict]:
        data_list = []
        for image in images:
            for person in image['persons']:
                own_file = person.get('seg_map_path')
                bbox = person['bbox']
                data_list.append(dict(
                    img_path=image['img_path'], img_id=image['img_id'],
                    seg_map_path=own_file or image['seg_map_path'],
                    human_map_path=None if own_file else image['human_map_path'],
                    parsing_id=int(person['parsing_id']),
                    bbox=None if bbox is None else np.asarray(bbox, np.float32),
                    seg_fields=[], **common))
        if not data_list:
            raise ValueError(f'{type(self).__name__}: no person found in {self.ann_file!r} '
                             f'(data_prefix={self.data_prefix})')
        return data_list

    def _check_files(self, images: List[dict]) -> None:
        source = self.ann_file or self.data_prefix.get('img_path')
        for image in images:
            paths = [image['img_path'], image['seg_map_path'], image['human_map_path']]
            paths += [p.get('seg_map_path') for p in image['persons']]
            for path in paths:
                if path and not exists(path, backend_args=self.backend_args):
                    raise FileNotFoundError(f'{type(self).__name__}: {path} does not exist '
                                            f'(listed by {source})')

    def _load_bbox_file(self, images: List[dict]) -> List[tuple]:
        """Detections per image: ``[(boxes (N, 4) float32, scores (N,) float32), ...]``."""
        path = self.bbox_file
        if not exists(path, backend_args=self.backend_args):
            raise FileNotFoundError(f'bbox_file not found: {path}')
        try:
            dets = json.loads(get_text(path, backend_args=self.backend_args))
        except json.JSONDecodeError as e:
            raise ValueError(f'bbox_file {path} is not valid JSON: {e}') from e
        if not isinstance(dets, list):
            raise ValueError(f'bbox_file {path}: expected a JSON list of detections '
                             '{"image_id", "bbox": [x, y, w, h], "score", "category_id"} '
                             f'(mmdet CocoMetric format_only output), got {type(dets).__name__}')
        index = {}
        for i, image in enumerate(images):
            if image['img_id'] is not None:
                index[int(image['img_id'])] = i
        boxes = [[] for _ in images]
        scores = [[] for _ in images]
        for k, det in enumerate(dets):
            if not isinstance(det, dict) or not {'image_id', 'bbox', 'score'} <= set(det):
                raise ValueError(f'bbox_file {path}: entry {k} must be a dict with image_id, '
                                 f'bbox and score, got {det!r:.200}')
            bbox = det['bbox']
            if not isinstance(bbox, (list, tuple)) or len(bbox) != 4:
                raise ValueError(f'bbox_file {path}: entry {k} bbox must be [x, y, w, h], '
                                 f'got {bbox!r}')
            if det.get('category_id', self.person_category_id) != self.person_category_id:
                continue
            if det['image_id'] not in index:
                raise ValueError(
                    f'bbox_file {path}: entry {k} has image_id {det["image_id"]!r}, which '
                    f'matches no image of {self.ann_file or self.data_prefix.get("img_path")} '
                    '(ids are the ann json image ids, else the integer file stems)')
            if float(det['score']) > self.bbox_score_thr:
                i = index[det['image_id']]
                boxes[i].append([float(v) for v in bbox])
                scores[i].append(float(det['score']))
        return [(bbox_coco_to_center_xyxy(np.array(b, np.float32).reshape(-1, 4)).astype(np.float32),
                 np.array(s, np.float32)) for b, s in zip(boxes, scores)]

    @staticmethod
    def stem_id(stem: str) -> Optional[int]:
        """Integer image id of a numeric file stem (``'0000001'`` -> 1), else None."""
        return int(stem) if stem.isdigit() else None


def _qanet_sibling(img_prefix: str, folder: str) -> str:
    """QANet's label folders: the image folder with ``Images`` -> ``folder``."""
    head, tail = osp.split(img_prefix.rstrip('/'))
    if tail != 'Images':
        raise ValueError(f'data_prefix must give seg_map_path and human_map_path unless '
                         f'img_path ends with "Images" (QANet layout), got {img_prefix!r}')
    return osp.join(head, folder)


@DATASETS.register_module()
class CIHPInstanceDataset(BaseMultiHumanParsingDataset):
    """CIHP (Crowd Instance-level Human Parsing), 20 labels, instance view.

    Layout (``data_root='data/CIHP/instance-level_human_parsing'``)::

        {Training,Validation}/Images/<id>.jpg
        {Training,Validation}/Category_ids/<id>.png    category map (10 = Torso-skin)
        {Training,Validation}/Human_ids/<id>.png       person ids 1..N, 0 = background
        {Training,Validation}/{train,val}_id.txt
        annotations/CIHP_{train,val}.json              QANet's COCO json with parsing_id

    ``ann_file`` is either QANet's json (``annotations/CIHP_train.json``:
    person annotations ``category_id`` 1, ``iscrowd`` 0, ``bbox`` [x, y, w, h],
    ``parsing_id`` = the person's ``Human_ids`` value) or an id list
    (``Training/train_id.txt``), whose persons and boxes are read from the
    ``Human_ids`` maps at load time (one PNG read per image). ``data_prefix``
    keys: ``img_path``, ``seg_map_path`` and ``human_map_path``; the last two
    default to the ``Category_ids`` / ``Human_ids`` siblings of ``img_path``
    (QANet replaces ``Images`` in the path).
    """
    METAINFO = dict(CIHPDataset.METAINFO)

    def __init__(self, img_suffix='.jpg', seg_map_suffix='.png',
                 data_prefix: dict = dict(img_path='Training/Images'), **kwargs) -> None:
        data_prefix = dict(data_prefix)
        img_prefix = data_prefix.get('img_path', '')
        if not data_prefix.get('seg_map_path'):
            data_prefix['seg_map_path'] = _qanet_sibling(img_prefix, 'Category_ids')
        if not data_prefix.get('human_map_path'):
            data_prefix['human_map_path'] = _qanet_sibling(img_prefix, 'Human_ids')
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix,
                         data_prefix=data_prefix, **kwargs)

    def _paths(self, file_name: str) -> dict:
        stem = osp.splitext(file_name)[0]
        return dict(
            img_path=osp.join(self.data_prefix['img_path'], file_name),
            seg_map_path=osp.join(self.data_prefix['seg_map_path'], stem + self.seg_map_suffix),
            human_map_path=osp.join(self.data_prefix['human_map_path'], stem + '.png'))

    def load_images(self) -> List[dict]:
        if not self.ann_file:
            raise ValueError(f'{type(self).__name__}: ann_file is required (QANet json '
                             'annotations/CIHP_train.json or an id list Training/train_id.txt)')
        if not exists(self.ann_file, backend_args=self.backend_args):
            raise FileNotFoundError(f'{type(self).__name__}: ann_file not found: {self.ann_file}')
        if self.ann_file.endswith('.json'):
            return self._load_json()
        return self._load_id_list()

    def _load_json(self) -> List[dict]:
        path = self.ann_file
        try:
            coco = json.loads(get_text(path, backend_args=self.backend_args))
        except json.JSONDecodeError as e:
            raise ValueError(f'ann_file {path} is not valid JSON: {e}') from e
        for key in ('images', 'annotations'):
            if key not in coco:
                raise KeyError(f'ann_file {path}: no {key!r} (expected a COCO json)')
        anns: Dict[int, list] = defaultdict(list)
        for ann in coco['annotations']:
            # QANet has_valid_annotation / has_valid_person: persons, not crowd, area > 0
            if ann.get('category_id') != self.person_category_id or ann.get('iscrowd', 0):
                continue
            x, y, w, h = ann['bbox']
            if ann.get('area', w * h) <= 0 or w <= 0 or h <= 0:
                continue
            if 'parsing_id' not in ann:
                raise KeyError(f'ann_file {path}: annotation id {ann.get("id")} has no '
                               "'parsing_id' (its person's value in Human_ids)")
            anns[ann['image_id']].append(ann)
        images = []
        for img in sorted(coco['images'], key=lambda im: im['id']):
            persons = [dict(parsing_id=int(a['parsing_id']),
                            bbox=bbox_coco_to_center_xyxy(np.array(a['bbox'], np.float32)))
                       for a in anns.get(img['id'], [])]
            images.append(dict(img_id=int(img['id']), persons=persons,
                               **self._paths(img['file_name'])))
        return images

    def _load_id_list(self) -> List[dict]:
        images = []
        for line in list_from_file(self.ann_file, backend_args=self.backend_args):
            stem = line.strip()
            if not stem:
                continue
            record = dict(img_id=self.stem_id(stem), **self._paths(stem + self.img_suffix))
            human = read_label_file(record['human_map_path'], self.backend_args)
            ids = np.flatnonzero(np.bincount(human.ravel(), minlength=1))
            record['persons'] = [dict(parsing_id=int(k), bbox=mask_to_bbox(human == k))
                                 for k in ids if k > 0]
            images.append(record)
        return images


@DATASETS.register_module()
class PascalPersonPartInstanceDataset(CIHPInstanceDataset):
    """PASCAL-Person-Part, instance view in QANet's CIHP-like re-pack, 7 labels.

    Layout (``data_root='data/PASCAL-Person-Part'``)::

        {Training,Testing}/Images/<id>.jpg
        {Training,Testing}/Category_ids/<id>.png
        {Training,Testing}/Human_ids/<id>.png
        annotations/PASCAL-Person-Part_{train,test}.json

    Same reader as :class:`CIHPInstanceDataset` ("Testing", not
    "Validation"); no left/right classes, so no flip pairs (QANet gives no
    flip map). The label order is the usual one (0 Background, 1 Head,
    2 Torso, 3 Upper Arms, 4 Lower Arms, 5 Upper Legs, 6 Lower Legs); QANet's
    converter is unpublished, so check a few images of your copy.
    """
    METAINFO = dict(classes=PascalPersonPartDataset.METAINFO['classes'],
                    palette=PascalPersonPartDataset.METAINFO['palette'], flip_pairs=())


@DATASETS.register_module()
class LIPInstanceDataset(CIHPInstanceDataset):
    """LIP in QANet's CIHP-like re-pack (one person per image), LIP's 20 labels.

    Layout (``data_root='data/LIP'``)::

        {Training,Validation}/Images/<id>.jpg
        {Training,Validation}/Category_ids/<id>.png
        {Training,Validation}/Human_ids/<id>.png
        annotations/LIP_{train,val}.json

    Same reader as :class:`CIHPInstanceDataset`; the labels are LIP's (10 =
    Jumpsuits, where CIHP has Torso-skin), with LIP's flip pairs.
    """
    METAINFO = dict(classes=LIPDataset.METAINFO['classes'],
                    palette=LIPDataset.METAINFO['palette'],
                    flip_pairs=LIPDataset.METAINFO['flip_pairs'])


@DATASETS.register_module()
class MHPv2InstanceDataset(BaseMultiHumanParsingDataset):
    """LV-MHP-v2, background + 58 labels, one label PNG per person.

    Official layout (``data_root='data/LV-MHP-v2'``)::

        list/{train,val}.txt                        image ids
        {train,val}/images/<n>.jpg
        {train,val}/parsing_annos/<n>_<NN>_<II>.png  person II (1-based) of NN; 3-channel,
                                                     channel 0 = that person's categories

    ``data_prefix=dict(img_path='train/images', seg_map_path='train/parsing_annos')``.
    The annotation folder is listed once; a person's ``parsing_id`` is
    ``II``. Boxes are the extent of the person's labelled pixels (as the
    official ``mhp_data.py``), computed when the label is loaded. Flip pairs
    are QANet's (``lib/data/dataset_catalog.py``, ``MHP-v2_train``).
    """
    METAINFO = dict(classes=MHP_V2_CLASSES, palette=_voc_palette(len(MHP_V2_CLASSES)),
                    flip_pairs=MHP_V2_FLIP_PAIRS)
    _ANNO = re.compile(r'^(?P<stem>.+)_(?P<num>\d+)_(?P<idx>\d+)\.png$')

    def __init__(self, img_suffix='.jpg', seg_map_suffix='.png',
                 data_prefix: dict = dict(img_path='train/images',
                                          seg_map_path='train/parsing_annos'),
                 **kwargs) -> None:
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix,
                         data_prefix=data_prefix, **kwargs)

    def load_images(self) -> List[dict]:
        if not self.ann_file or not exists(self.ann_file, backend_args=self.backend_args):
            raise FileNotFoundError(f'{type(self).__name__}: ann_file (an id list such as '
                                    f'list/train.txt) not found: {self.ann_file!r}')
        anno_dir = self.data_prefix.get('seg_map_path')
        if not anno_dir or not exists(anno_dir, backend_args=self.backend_args):
            raise FileNotFoundError(f'{type(self).__name__}: annotation folder (data_prefix '
                                    f'seg_map_path) not found: {anno_dir!r}')
        by_stem: Dict[str, list] = defaultdict(list)
        for name in list_dir_or_file(anno_dir, list_dir=False, suffix='.png',
                                     backend_args=self.backend_args):
            match = self._ANNO.match(name)
            if match is None:
                raise ValueError(f'{type(self).__name__}: {osp.join(anno_dir, name)} is not named '
                                 '<image>_<NN>_<II>.png')
            by_stem[match['stem']].append((int(match['idx']), int(match['num']), name))
        images = []
        for line in list_from_file(self.ann_file, backend_args=self.backend_args):
            stem = line.strip()
            if not stem:
                continue
            files = sorted(by_stem.get(stem, []))
            if files and len(files) != files[0][1]:
                print_log(f'{type(self).__name__}: image {stem} has {len(files)} person files '
                          f'in {anno_dir} but its names say {files[0][1]} persons',
                          logger='current', level=30)
            images.append(dict(
                img_path=osp.join(self.data_prefix['img_path'], stem + self.img_suffix),
                img_id=self.stem_id(stem), seg_map_path=None, human_map_path=None,
                persons=[dict(parsing_id=idx, bbox=None, seg_map_path=osp.join(anno_dir, name))
                         for idx, _, name in files]))
        if images and not any(im['persons'] for im in images):
            raise FileNotFoundError(f'{type(self).__name__}: no person file of the images in '
                                    f'{self.ann_file} is in {anno_dir}')
        return images
