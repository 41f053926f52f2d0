"""Multi-person parsing datasets read back from generated MiniHumans sets (CIHP, MHP-v2) and a
hand-written PASCAL-Person-Part instance set in QANet's layout, in both data modes, through the
training (person) and evaluation (image) pipelines of the _base_ dataset configs."""
import json
import os
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

from hp_mm.datasets import (CIHPDataset, CIHPInstanceDataset, LIPDataset, LIPInstanceDataset,
                            MHPv2InstanceDataset,
                            PascalPersonPartInstanceDataset)
from hp_mm.minihumans import generate_dataset
from hp_mm.structures import (bbox_center_xyxy_to_coco, bbox_coco_to_center_xyxy,
                              get_affine_matrix)
from hp_mm.registry import DATASETS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CFG_DIR = osp.join(ROOT, 'configs', '_base_', 'datasets')
SIZE = (48, 64)  # (W, H) crops in these tests
IMAGE_PIPELINE = [dict(type='LoadParsingImageFromFile'), dict(type='LoadMultiPersonAnnotations'),
                  dict(type='PackMultiPersonParsingInputs')]
# no random augmentation: the crop can be compared with a direct cv2 warp
PLAIN_PERSON_PIPELINE = [
    dict(type='LoadParsingImageFromFile'),
    dict(type='LoadPersonParsingAnnotation'),
    dict(type='PersonBBoxCenterScale', input_size=SIZE),
    dict(type='PersonAffine', input_size=SIZE),
    dict(type='PackSegInputs', meta_keys=('img_path', 'input_center', 'input_scale', 'parsing_id',
                                          'flip_pairs', 'num_classes')),
]


@pytest.fixture(autouse=True)
def _scope():
    init_default_scope('hp_mm')


@pytest.fixture(scope='module')
def roots(tmp_path_factory):
    base = tmp_path_factory.mktemp('multi_human')
    cihp, mhp = str(base / 'CIHP'), str(base / 'MHP')
    generate_dataset('cihp', cihp, num_train=3, num_val=2, seed=5, max_size=112, progress=False)
    generate_dataset('mhp_v2', mhp, num_train=2, num_val=2, seed=5, max_size=112, progress=False)
    ppp = str(base / 'PASCAL-Person-Part')
    write_pascal_instance(ppp)
    return dict(cihp=osp.join(cihp, 'instance-level_human_parsing'),
                mhp=osp.join(mhp, 'LV-MHP-v2'), ppp=ppp)


def write_pascal_instance(root):
    """Two 60x40 images in QANet's PASCAL-Person-Part layout (Training + Testing), 2 people each."""
    images, anns = [], []
    for split, folder in (('train', 'Training'), ('test', 'Testing')):
        for d in ('Images', 'Category_ids', 'Human_ids'):
            os.makedirs(osp.join(root, folder, d), exist_ok=True)
        images, anns = [], []
        for i in range(2):
            stem = f'2008_00{i + 1}'
            img = np.full((40, 60, 3), 40 * (i + 1), np.uint8)
            cat = np.zeros((40, 60), np.uint8)
            human = np.zeros((40, 60), np.uint8)
            # person 1: head (1) over torso (2); person 2: upper (5) and lower legs (6)
            cat[5:10, 8:14], cat[10:25, 6:16] = 1, 2
            human[5:25, 6:16] = 1
            cat[12:20, 30 + i:42], cat[20:35, 30 + i:42] = 5, 6
            human[12:35, 30 + i:42] = 2
            cv2.imwrite(osp.join(root, folder, 'Images', stem + '.jpg'), img)
            cv2.imwrite(osp.join(root, folder, 'Category_ids', stem + '.png'), cat)
            cv2.imwrite(osp.join(root, folder, 'Human_ids', stem + '.png'), human)
            images.append(dict(id=i + 1, file_name=stem + '.jpg', width=60, height=40))
            for pid, (x, y, w, h) in ((1, (6, 5, 10, 20)), (2, (30 + i, 12, 12 - i, 23))):
                anns.append(dict(id=len(anns) + 1, image_id=i + 1, category_id=1,
                                 bbox=[x, y, w, h], area=w * h, iscrowd=0, parsing_id=pid))
        # a crowd region and a non-person annotation are skipped (QANet has_valid_annotation)
        anns.append(dict(id=len(anns) + 1, image_id=1, category_id=1, bbox=[0, 0, 5, 5],
                         area=25, iscrowd=1, parsing_id=9))
        anns.append(dict(id=len(anns) + 1, image_id=1, category_id=2, bbox=[0, 0, 5, 5],
                         area=25, iscrowd=0))
        os.makedirs(osp.join(root, 'annotations'), exist_ok=True)
        with open(osp.join(root, 'annotations', f'PASCAL-Person-Part_{split}.json'), 'w') as f:
            json.dump(dict(images=images, annotations=anns,
                           categories=[dict(id=1, name='person')]), f)


def cihp(root, split='val', ann='json', **kwargs):
    folder = dict(train='Training', val='Validation')[split]
    ann_file = (f'annotations/CIHP_{split}.json' if ann == 'json' else f'{folder}/{split}_id.txt')
    return CIHPInstanceDataset(data_root=root, ann_file=ann_file,
                               data_prefix=dict(img_path=f'{folder}/Images'), **kwargs)


def mhp(root, split='val', **kwargs):
    return MHPv2InstanceDataset(data_root=root, ann_file=f'list/{split}.txt',
                                data_prefix=dict(img_path=f'{split}/images',
                                                 seg_map_path=f'{split}/parsing_annos'), **kwargs)


def read(path):
    label = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    return label[..., 2] if label.ndim == 3 else label


def expected_crop(person_label, center, scale):
    m = get_affine_matrix(np.float64(center)[None], np.float64(scale)[None], None, SIZE)[0].numpy()
    return cv2.warpAffine(person_label, m, SIZE, flags=cv2.INTER_NEAREST,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=255)


def check_person_sample(out, person_label):
    """Packed person crop: shapes, dtypes, metainfo, and the label is that person's only."""
    inputs, ds = out['inputs'], out['data_samples']
    assert inputs.shape == (3, SIZE[1], SIZE[0]) and str(inputs.dtype) == 'torch.uint8'
    seg = ds.gt_sem_seg.data
    assert seg.shape == (1, SIZE[1], SIZE[0]) and str(seg.dtype) == 'torch.int64'
    for key in ('input_center', 'input_scale', 'parsing_id', 'flip_pairs', 'num_classes'):
        assert key in ds.metainfo, key
    want = expected_crop(person_label, ds.metainfo['input_center'], ds.metainfo['input_scale'])
    np.testing.assert_array_equal(seg[0].numpy(), want)
    assert (seg[0] > 0).any()


def test_metainfo():
    assert CIHPInstanceDataset.METAINFO['classes'] == CIHPDataset.METAINFO['classes']
    assert CIHPInstanceDataset.METAINFO['classes'][10] == 'Torso-skin'
    assert CIHPInstanceDataset.METAINFO['flip_pairs'] == ((14, 15), (16, 17), (18, 19))
    meta = MHPv2InstanceDataset.METAINFO
    assert len(meta['classes']) == 59 == len(meta['palette'])
    assert len({tuple(c) for c in meta['palette']}) == 59
    assert meta['classes'][16] == 'torso-skin' and meta['classes'][58].startswith('other-lower')
    for a, b in meta['flip_pairs']:
        assert meta['classes'][a].replace('left', 'right') == meta['classes'][b]
    assert len(PascalPersonPartInstanceDataset.METAINFO['classes']) == 7
    assert PascalPersonPartInstanceDataset.METAINFO['flip_pairs'] == ()
    # LIP in QANet's re-pack: CIHP's reader, LIP's labels (10 = Jumpsuits)
    lip = LIPInstanceDataset.METAINFO
    assert lip['classes'] == LIPDataset.METAINFO['classes'] and lip['classes'][10] == 'Jumpsuits'
    assert [c for i, c in enumerate(lip['classes']) if c != CIHPDataset.METAINFO['classes'][i]] \
        == ['Jumpsuits']
    assert lip['flip_pairs'] == ((14, 15), (16, 17), (18, 19))
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'qanet', 'qanet_hrnet-w48_lip.py'))
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[key].dataset.type == 'LIPInstanceDataset', key


def test_cihp_person_mode(roots):
    root = roots['cihp']
    coco = json.load(open(osp.join(root, 'annotations', 'CIHP_val.json')))
    ds = cihp(root, pipeline=PLAIN_PERSON_PIPELINE)
    assert len(ds) == len(coco['annotations'])
    info = ds.get_data_info(0)
    ann = coco['annotations'][0]
    assert info['parsing_id'] == ann['parsing_id'] and info['img_id'] == ann['image_id']
    np.testing.assert_allclose(info['bbox'], bbox_coco_to_center_xyxy(np.array(ann['bbox'], float)))
    assert info['human_map_path'].endswith('Validation/Human_ids/0000001.png')
    assert info['seg_map_path'].endswith('Validation/Category_ids/0000001.png')
    assert info['flip_pairs'] == [(14, 15), (16, 17), (18, 19)] and info['num_classes'] == 20
    assert info['reduce_zero_label'] is False and info['seg_fields'] == []
    # the id-list view finds the same persons and boxes from Human_ids
    by_list = cihp(root, ann='list', pipeline=PLAIN_PERSON_PIPELINE)
    assert len(by_list) == len(ds)
    for i in range(len(ds)):
        a, b = ds.get_data_info(i), by_list.get_data_info(i)
        assert (a['img_path'], a['parsing_id']) == (b['img_path'], b['parsing_id'])
        np.testing.assert_allclose(a['bbox'], b['bbox'])
    others_in_crop = 0
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        cat, human = read(info['seg_map_path']), read(info['human_map_path'])
        out = ds[i]
        check_person_sample(out, np.where(human == info['parsing_id'], cat, 0).astype(np.uint8))
        meta = out['data_samples'].metainfo
        # other people's parts inside this crop were set to background
        others_in_crop += int((expected_crop(cat, meta['input_center'], meta['input_scale'])
                               != out['data_samples'].gt_sem_seg.data[0].numpy()).any())
    assert others_in_crop > 0


def test_cihp_image_mode(roots):
    root = roots['cihp']
    ds = cihp(root, data_mode='image', pipeline=IMAGE_PIPELINE)
    assert len(ds) == 2
    info = ds.get_data_info(1)
    assert info['box_source'] == 'gt' and info['bboxes'].shape == (len(info['person_ids']), 4)
    out = ds[1]
    img = cv2.imread(info['img_path'])
    assert out['inputs'].shape == (3, ) + img.shape[:2]
    assert str(out['inputs'].dtype) == 'torch.uint8'
    sample = out['data_samples']
    np.testing.assert_array_equal(sample.gt_sem_seg.data[0].numpy(), read(info['seg_map_path']))
    np.testing.assert_array_equal(sample.gt_instance_map.data[0].numpy(),
                                  read(info['human_map_path']))
    assert str(sample.gt_instance_map.data.dtype) == 'torch.int64'
    np.testing.assert_allclose(sample.person_boxes.bboxes.numpy(), info['bboxes'])
    assert str(sample.person_boxes.bboxes.dtype) == 'torch.float32'
    assert sample.person_boxes.scores.tolist() == [1.0] * len(info['bboxes'])
    meta = sample.metainfo
    assert meta['img_path'] == info['img_path'] and meta['num_classes'] == 20
    assert meta['ori_shape'] == meta['img_shape'] == img.shape[:2]
    assert meta['flip_pairs'] == [(14, 15), (16, 17), (18, 19)]


def test_bbox_file_round_trip(roots, tmp_path):
    root = roots['cihp']
    gt = cihp(root, data_mode='image')
    dets = []
    for i in range(len(gt)):
        info = gt.get_data_info(i)
        for k, box in enumerate(info['bboxes']):
            dets.append(dict(image_id=info['img_id'], category_id=1, score=0.9 - 0.01 * k,
                             bbox=[float(v) for v in bbox_center_xyxy_to_coco(box)]))
        dets.append(dict(image_id=info['img_id'], category_id=1, score=0.2, bbox=[0, 0, 5, 5]))
        dets.append(dict(image_id=info['img_id'], category_id=3, score=0.99, bbox=[0, 0, 9, 9]))
    path = str(tmp_path / 'det.bbox.json')
    json.dump(dets, open(path, 'w'))
    ds = cihp(root, data_mode='image', bbox_file=path, bbox_score_thr=0.3,
              pipeline=IMAGE_PIPELINE)
    for i in range(len(ds)):
        want, info = gt.get_data_info(i), ds.get_data_info(i)
        assert info['box_source'] == 'bbox_file'
        np.testing.assert_allclose(info['bboxes'], want['bboxes'], atol=1e-4)
        np.testing.assert_allclose(info['bbox_scores'],
                                   0.9 - 0.01 * np.arange(len(want['bboxes'])), atol=1e-6)
        boxes = ds[i]['data_samples'].person_boxes
        np.testing.assert_allclose(boxes.scores.numpy(), info['bbox_scores'])
    # the low-score box comes back below the threshold
    low = cihp(root, data_mode='image', bbox_file=path, bbox_score_thr=0.1)
    assert len(low.get_data_info(0)['bboxes']) == len(gt.get_data_info(0)['bboxes']) + 1
    # MHP-v2: image ids are the integer file names
    mroot = roots['mhp']
    mgt = mhp(mroot, data_mode='image', pipeline=IMAGE_PIPELINE)
    mdets = []
    for i in range(len(mgt)):
        info = mgt.get_data_info(i)
        for box in mgt[i]['data_samples'].person_boxes.bboxes.numpy():
            mdets.append(dict(image_id=info['img_id'], category_id=1, score=0.5,
                              bbox=bbox_center_xyxy_to_coco(box).tolist()))
    mpath = str(tmp_path / 'mhp.bbox.json')
    json.dump(mdets, open(mpath, 'w'))
    mds = mhp(mroot, data_mode='image', bbox_file=mpath, pipeline=IMAGE_PIPELINE)
    for i in range(len(mds)):
        np.testing.assert_allclose(mds[i]['data_samples'].person_boxes.bboxes.numpy(),
                                   mgt[i]['data_samples'].person_boxes.bboxes.numpy(), atol=1e-4)


def test_mhp_both_modes(roots):
    root = roots['mhp']
    files = sorted(os.listdir(osp.join(root, 'val', 'parsing_annos')))
    ds = mhp(root, pipeline=PLAIN_PERSON_PIPELINE)
    assert len(ds) == len(files)
    info = ds.get_data_info(0)
    assert info['bbox'] is None and info['human_map_path'] is None
    assert osp.basename(info['seg_map_path']) == files[0] and info['parsing_id'] == 1
    assert info['num_classes'] == 59 and (5, 6) in info['flip_pairs']
    for i in range(len(ds)):
        check_person_sample(ds[i], read(ds.get_data_info(i)['seg_map_path']))
    img_ds = mhp(root, data_mode='image', pipeline=IMAGE_PIPELINE)
    assert len(img_ds) == 2
    info = img_ds.get_data_info(0)
    assert info['bboxes'] is None and isinstance(info['human_map_path'], list)
    sample = img_ds[0]['data_samples']
    persons = [read(p) for p in info['human_map_path']]
    human = sample.gt_instance_map.data[0].numpy()
    cat = sample.gt_sem_seg.data[0].numpy()
    assert sorted(np.unique(human[human > 0]).tolist()) == info['person_ids']
    for pid, person in zip(info['person_ids'], persons):
        assert (human[person > 0] == pid).mean() > 0.5  # later persons win where files overlap
    np.testing.assert_array_equal(cat > 0, np.any([p > 0 for p in persons], 0))
    assert sample.person_boxes.bboxes.shape == (len(persons), 4)


def test_pascal_person_part_layout(roots):
    root = roots['ppp']
    ds = PascalPersonPartInstanceDataset(
        data_root=root, ann_file='annotations/PASCAL-Person-Part_test.json',
        data_prefix=dict(img_path='Testing/Images'), pipeline=PLAIN_PERSON_PIPELINE)
    assert len(ds) == 4  # the crowd and the non-person annotations are skipped
    info = ds.get_data_info(1)
    assert info['flip_pairs'] == [] and info['num_classes'] == 7 and info['parsing_id'] == 2
    np.testing.assert_allclose(info['bbox'], [29.5, 11.5, 41.5, 34.5])
    out = ds[1]
    cat, human = read(info['seg_map_path']), read(info['human_map_path'])
    check_person_sample(out, np.where(human == 2, cat, 0).astype(np.uint8))
    assert set(np.unique(out['data_samples'].gt_sem_seg.data).tolist()) <= {0, 5, 6, 255}
    img_ds = PascalPersonPartInstanceDataset(
        data_root=root, ann_file='annotations/PASCAL-Person-Part_test.json',
        data_prefix=dict(img_path='Testing/Images'), data_mode='image', pipeline=IMAGE_PIPELINE)
    sample = img_ds[0]['data_samples']
    assert sample.person_boxes.bboxes.shape == (2, 4)
    assert set(np.unique(sample.gt_sem_seg.data).tolist()) == {0, 1, 2, 5, 6}


def _override_root(cfg, root):
    for loader in ('train_dataloader', 'val_dataloader'):
        cfg[loader].dataset.data_root = root


@pytest.mark.parametrize('name,key', [
    ('minihumans_cihp_instance', 'cihp'),
    ('cihp_instance', 'cihp'),
    ('mhp-v2_instance', 'mhp'),
    ('pascal_person_part_instance', 'ppp'),
])
def test_base_configs_pipelines(roots, name, key):
    """Each _base_ dataset config builds on the generated data and runs both pipelines."""
    cfg = Config.fromfile(osp.join(CFG_DIR, name + '.py'))
    _override_root(cfg, roots[key])
    train = DATASETS.build(cfg.train_dataloader.dataset)
    val = DATASETS.build(cfg.val_dataloader.dataset)
    assert train.data_mode == 'person' and val.data_mode == 'image'
    size = cfg.input_size if name.startswith('minihumans') else (384, 512)
    if name.startswith('minihumans'):
        assert tuple(size) == (96, 128)
    np.random.seed(0)
    for i in range(min(3, len(train))):
        out = train[i]
        assert out['inputs'].shape == (3, size[1], size[0])
        seg = out['data_samples'].gt_sem_seg.data
        assert seg.shape == (1, size[1], size[0])
        assert int(seg[seg != 255].max()) < train.get_data_info(i)['num_classes']
        meta = out['data_samples'].metainfo
        assert {'input_center', 'input_scale', 'parsing_id', 'flip_pairs', 'num_classes',
                'flip'} <= set(meta)
    out = val[0]
    assert out['inputs'].shape[0] == 3 and out['data_samples'].person_boxes.bboxes.shape[1] == 4
    sample = out['data_samples']
    assert sample.gt_instance_map.data.shape == sample.gt_sem_seg.data.shape


def test_errors(roots, tmp_path):
    src = roots['ppp']
    root = str(tmp_path / 'ppp')
    shutil.copytree(src, root)
    kwargs = dict(data_root=root, ann_file='annotations/PASCAL-Person-Part_train.json',
                  data_prefix=dict(img_path='Training/Images'))
    with pytest.raises(ValueError, match='data_mode'):
        PascalPersonPartInstanceDataset(data_mode='people', **kwargs)
    with pytest.raises(ValueError, match='bbox_file is used in data_mode="image"'):
        PascalPersonPartInstanceDataset(bbox_file='x.json', **kwargs)
    # a person id absent from the human map: named with the file at load time
    ann_path = osp.join(root, 'annotations', 'PASCAL-Person-Part_train.json')
    coco = json.load(open(ann_path))
    coco['annotations'][1]['parsing_id'] = 7
    json.dump(coco, open(ann_path, 'w'))
    ds = PascalPersonPartInstanceDataset(pipeline=PLAIN_PERSON_PIPELINE, **kwargs)
    with pytest.raises(ValueError, match=r'parsing_id=7 .*Human_ids/2008_001\.png'):
        ds[1]
    del coco['annotations'][1]['parsing_id']
    json.dump(coco, open(ann_path, 'w'))
    with pytest.raises(KeyError, match=r"annotation id 2 has no 'parsing_id'"):
        PascalPersonPartInstanceDataset(**kwargs)
    shutil.copy(osp.join(src, 'annotations', 'PASCAL-Person-Part_train.json'), ann_path)
    # malformed bbox files, each named
    bad = {
        'notalist.json': ({'image_id': 1}, 'expected a JSON list'),
        'nobox.json': ([{'image_id': 1, 'score': 1.0}], 'entry 0 must be a dict with image_id'),
        'shortbox.json': ([{'image_id': 1, 'score': 1.0, 'bbox': [1, 2, 3]}],
                          r'entry 0 bbox must be \[x, y, w, h\]'),
        'unknown.json': ([{'image_id': 99, 'score': 1.0, 'bbox': [1, 2, 3, 4]}],
                         'image_id 99, which matches no image'),
    }
    for name, (content, msg) in bad.items():
        path = str(tmp_path / name)
        json.dump(content, open(path, 'w'))
        with pytest.raises(ValueError, match=msg) as err:
            PascalPersonPartInstanceDataset(data_mode='image', bbox_file=path, **kwargs)
        assert name in str(err.value)
    with open(tmp_path / 'broken.json', 'w') as f:
        f.write('[{"image_id": 1,')
    with pytest.raises(ValueError, match='broken.json is not valid JSON'):
        PascalPersonPartInstanceDataset(data_mode='image', bbox_file=str(tmp_path / 'broken.json'),
                                        **kwargs)
    with pytest.raises(FileNotFoundError, match='bbox_file not found: .*nothere.json'):
        PascalPersonPartInstanceDataset(data_mode='image', bbox_file='nothere.json', **kwargs)
    # a missing label file fails at load time with its path
    os.remove(osp.join(root, 'Training', 'Category_ids', '2008_002.png'))
    with pytest.raises(FileNotFoundError, match=r'Category_ids/2008_002\.png does not exist'):
        PascalPersonPartInstanceDataset(**kwargs)
    ds = PascalPersonPartInstanceDataset(check_files=False, pipeline=PLAIN_PERSON_PIPELINE,
                                         **kwargs)
    with pytest.raises(FileNotFoundError, match=r'label file not found: .*2008_002\.png'):
        ds[2]
