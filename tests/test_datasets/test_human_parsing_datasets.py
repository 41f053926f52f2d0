"""Each generated MiniHumans format read back by its hp_mm dataset class, and bad input errors."""
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.registry import init_default_scope

from hp_mm.datasets import ATRDataset, CIHPDataset, LIPDataset, PascalPersonPartDataset
from hp_mm.minihumans import generate_dataset

PIPELINE = [dict(type='LoadParsingImageFromFile'), dict(type='LoadParsingAnnotations')]


@pytest.fixture(autouse=True)
def _scope():
    init_default_scope('hp_mm')


def lip_dataset(root, split='train', **kwargs):
    return LIPDataset(
        data_root=root, ann_file=f'TrainVal_images/{split}_id.txt',
        data_prefix=dict(img_path=f'TrainVal_images/{split}_images',
                         seg_map_path=f'TrainVal_parsing_annotations/{split}_segmentations'),
        pipeline=PIPELINE, **kwargs)


def _check_samples(dataset, expected_len):
    assert len(dataset) == expected_len
    num_classes = len(dataset.metainfo['classes'])
    seen = set()
    for i in range(len(dataset)):
        sample = dataset[i]
        seg = sample['gt_seg_map']
        assert seg.dtype == np.uint8 and seg.shape == sample['img'].shape[:2]
        assert sample['img'].ndim == 3 and sample['img'].shape[2] == 3
        values = np.unique(seg)
        assert values.max() < num_classes
        seen.update(values.tolist())
        assert sample['num_classes'] == num_classes
        assert sample['flip_pairs'] == [tuple(p) for p in dataset.metainfo['flip_pairs']]
    assert 0 in seen and len(seen) >= 4, seen  # background and several parts
    return seen


def test_lip_format_read_back(lip_root):
    dataset = lip_dataset(lip_root, 'val', attribute_file='TrainVal_images/val_attributes.json')
    _check_samples(dataset, 8)
    ids = open(osp.join(lip_root, 'TrainVal_images/val_id.txt')).read().split()
    assert [osp.basename(dataset.get_data_info(i)['img_path'])[:-4]
            for i in range(len(dataset))] == ids
    attrs = json.load(open(osp.join(lip_root, 'TrainVal_images/val_attributes.json')))
    sample = dataset[0]
    assert sample['attributes'] == attrs[ids[0]]
    assert set(sample['attributes']) == {'occlusion', 'full_body', 'upper_body', 'head_missed',
                                         'back_view'}
    assert len(lip_dataset(lip_root, 'train')) == 24
    assert dataset.metainfo['joint_groups'][0][0] == 'head'


def test_cihp_semantic_format_read_back(tmp_path):
    root = str(tmp_path / 'CIHP')
    generate_dataset('cihp', root, num_train=4, num_val=3, seed=1, workers=1, max_size=128)
    base = osp.join(root, 'instance-level_human_parsing')
    dataset = CIHPDataset(data_root=base, ann_file='Validation/val_id.txt',
                          data_prefix=dict(img_path='Validation/Images',
                                           seg_map_path='Validation/Category_ids'),
                          pipeline=PIPELINE)
    _check_samples(dataset, 3)
    assert dataset.metainfo['classes'][10] == 'Torso-skin'


def test_atr_format_read_back(tmp_path):
    root = str(tmp_path / 'ATR')
    generate_dataset('atr', root, num_train=6, num_val=2, seed=2, workers=1, max_size=128)
    dataset = ATRDataset(data_root=osp.join(root, 'humanparsing'), ann_file='list/train_id.txt',
                         data_prefix=dict(img_path='JPEGImages',
                                          seg_map_path='SegmentationClassAug'),
                         pipeline=PIPELINE)
    seen = _check_samples(dataset, 6)
    assert seen & {14, 15}  # arms
    assert len(dataset.metainfo['classes']) == 18


def test_pascal_person_part_format_read_back(tmp_path):
    root = str(tmp_path / 'PPP')
    generate_dataset('pascal_person_part', root, num_train=5, num_val=2, seed=4, workers=1,
                     max_size=128)
    dataset = PascalPersonPartDataset(
        data_root=root, ann_file='list/train_id.txt',
        data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationPart'),
        pipeline=PIPELINE)
    seen = _check_samples(dataset, 5)
    assert seen <= set(range(7)) and {1, 2} <= seen


# ------------------------------------------------------------------ bad input
@pytest.fixture
def broken_root(lip_root, tmp_path):
    import shutil
    root = str(tmp_path / 'LIP')
    shutil.copytree(lip_root, root)
    ids = open(osp.join(root, 'TrainVal_images/val_id.txt')).read().split()
    return root, ids


def _paths(root, image_id):
    return (osp.join(root, 'TrainVal_images/val_images', image_id + '.jpg'),
            osp.join(root, 'TrainVal_parsing_annotations/val_segmentations', image_id + '.png'))


def test_missing_file_is_named_at_load_time(broken_root):
    root, ids = broken_root
    _, label = _paths(root, ids[2])
    os.remove(label)
    with pytest.raises(FileNotFoundError, match=ids[2] + '.png'):
        lip_dataset(root, 'val')


def test_unreadable_image_is_named(broken_root):
    root, ids = broken_root
    img, _ = _paths(root, ids[0])
    with open(img, 'wb') as f:
        f.write(b'not a jpeg at all')
    with pytest.raises(OSError, match=ids[0] + '.jpg'):
        lip_dataset(root, 'val')[0]


def test_label_value_outside_classes(broken_root):
    root, ids = broken_root
    _, label = _paths(root, ids[1])
    seg = cv2.imread(label, cv2.IMREAD_UNCHANGED)
    seg[0, 0] = 37
    cv2.imwrite(label, seg)
    with pytest.raises(ValueError, match=r'values \[37\] are outside the 20 classes'):
        lip_dataset(root, 'val')[1]


def test_image_label_size_mismatch(broken_root):
    root, ids = broken_root
    _, label = _paths(root, ids[0])
    seg = cv2.imread(label, cv2.IMREAD_UNCHANGED)
    cv2.imwrite(label, seg[:-3])
    with pytest.raises(ValueError, match='does not match its image'):
        lip_dataset(root, 'val')[0]


def test_colour_label_is_rejected(broken_root):
    root, ids = broken_root
    _, label = _paths(root, ids[0])
    seg = cv2.imread(label, cv2.IMREAD_UNCHANGED)
    cv2.imwrite(label, np.stack([seg] * 3, -1))
    with pytest.raises(ValueError, match='single-channel'):
        lip_dataset(root, 'val')[0]


def test_attribute_file_errors(broken_root):
    root, ids = broken_root
    with pytest.raises(FileNotFoundError, match='attribute_file'):
        lip_dataset(root, 'val', attribute_file='nope.json')
    path = osp.join(root, 'TrainVal_images/val_attributes.json')
    attrs = json.load(open(path))
    del attrs[ids[3]]
    json.dump(attrs, open(path, 'w'))
    with pytest.raises(KeyError, match=ids[3]):
        lip_dataset(root, 'val', attribute_file='TrainVal_images/val_attributes.json')


@pytest.mark.parametrize('dataset', [LIPDataset, CIHPDataset, ATRDataset, PascalPersonPartDataset])
def test_metainfo_joint_groups_and_flip_pairs_are_consistent(dataset):
    from hp_mm.models.utils import resolve_joint_groups
    classes = dataset.METAINFO['classes']
    membership = resolve_joint_groups(dataset.METAINFO['joint_groups'], classes)
    assert membership.shape == (len(dataset.METAINFO['joint_groups']), len(classes))
    assert membership[:, 0].sum() == 0  # background belongs to no joint
    for left, right in dataset.METAINFO['flip_pairs']:
        assert classes[left].lower().replace('left', 'right') == classes[right].lower()
    assert len(dataset.METAINFO['palette']) == len(classes)
