"""ConvertLabelSet: ATR labels as LIP's in one sample, then LIP + ATR (MiniHumans) trained as one
LIP-labelled set through mmengine's ConcatDataset."""
import os.path as osp

import mmcv
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope

from conftest import ROOT, run_tool
from hp_mm.datasets import LIPDataset, convert_label_set
from hp_mm.registry import DATASETS, TRANSFORMS

LIP_FLIP_PAIRS = [(14, 15), (16, 17), (18, 19)]


def test_atr_sample_becomes_lip_and_flips_with_lip_pairs():
    init_default_scope('hp_mm')
    # ATR: 9 left-shoe, 11 face, 16 bag, 8 belt, 255 ignore
    atr = np.array([[9, 11, 16], [8, 0, 255]], np.uint8)
    convert = TRANSFORMS.build(dict(type='ConvertLabelSet', src='atr', dst='lip'))
    flip = TRANSFORMS.build(dict(type='ParsingRandomFlip', prob=1.0))
    results = dict(img=np.zeros((2, 3, 3), np.uint8), gt_seg_map=atr.copy(),
                   seg_fields=['gt_seg_map'], flip_pairs=[(9, 10), (12, 13), (14, 15)],
                   num_classes=18, img_path='x.jpg')
    results = convert(results)
    # LIP: 18 Left-shoe, 13 Face, bag -> 0 Background, belt -> 9 Pants
    assert results['gt_seg_map'].tolist() == [[18, 13, 0], [9, 0, 255]]
    assert results['flip_pairs'] == LIP_FLIP_PAIRS and results['num_classes'] == 20
    results = flip(results)
    # mirrored; the LIP left shoe (18) became the right shoe (19), as LIP's pairs say
    assert results['gt_seg_map'].tolist() == [[0, 13, 19], [255, 0, 9]]


def test_wrong_source_set_is_an_error():
    convert = TRANSFORMS.build(dict(type='ConvertLabelSet', src='atr', dst='lip'))
    with pytest.raises(ValueError, match=r'a.jpg comes from a dataset with 20 classes, but atr'):
        convert(dict(gt_seg_map=np.zeros((1, 1), np.uint8), num_classes=20, img_path='a.jpg'))
    with pytest.raises(KeyError, match='after the annotation loader'):
        convert(dict(img_path='a.jpg'))


@pytest.fixture(scope='module')
def atr_root(tmp_path_factory):
    from hp_mm.minihumans import generate_dataset
    root = str(tmp_path_factory.mktemp('minihumans') / 'ATR')
    generate_dataset('atr', root, num_train=12, num_val=2, seed=4, workers=1, max_size=96,
                     progress=False)
    return osp.join(root, 'humanparsing')


def concat_cfg(lip_root, atr_root, aug):
    load = [dict(type='LoadParsingImageFromFile'), dict(type='LoadParsingAnnotations')]
    lip = dict(type='LIPDataset', data_root=lip_root, ann_file='TrainVal_images/train_id.txt',
               data_prefix=dict(img_path='TrainVal_images/train_images',
                                seg_map_path='TrainVal_parsing_annotations/train_segmentations'),
               pipeline=load + aug)
    atr = dict(type='ATRDataset', data_root=atr_root, ann_file='list/train_id.txt',
               data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClassAug'),
               pipeline=load + [dict(type='ConvertLabelSet', src='atr', dst='lip')] + aug)
    return dict(type='ConcatDataset', datasets=[lip, atr],
                ignore_keys=['classes', 'palette', 'flip_pairs', 'joint_groups', 'label_map'])


def test_concat_dataset_serves_atr_in_lip_labels(lip_root, atr_root):
    init_default_scope('hp_mm')
    pack = [dict(type='PackSegInputs', meta_keys=('img_path', 'seg_map_path', 'flip_pairs'))]
    ds = DATASETS.build(concat_cfg(lip_root, atr_root, pack))
    assert ds.metainfo['classes'] == LIPDataset.METAINFO['classes']
    n_lip = len(ds.datasets[0])
    assert len(ds) == n_lip + 12
    faces = 0
    for i in range(len(ds)):
        sample = ds[i]['data_samples']
        gt = sample.gt_sem_seg.data[0].numpy()
        raw = mmcv.imread(sample.seg_map_path, flag='unchanged')
        expected = raw if i < n_lip else convert_label_set(raw, 'atr', 'lip')
        assert (gt == expected).all(), sample.seg_map_path
        assert [tuple(p) for p in sample.flip_pairs] == LIP_FLIP_PAIRS
        faces += i >= n_lip and bool((raw == 11).any())
        if i >= n_lip:  # ATR face (11) is LIP Face (13); LIP has no class 11 = Scarf there
            assert ((raw == 11) == (gt == 13)).all()
    assert faces >= 6


def test_one_model_trains_on_lip_plus_atr(lip_root, atr_root, tmp_path):
    aug = [dict(type='RandomResize', scale=(64, 64), ratio_range=(0.8, 1.2), keep_ratio=True),
           dict(type='RandomCrop', crop_size=(64, 64), cat_max_ratio=1.0),
           dict(type='ParsingRandomFlip', prob=0.5),
           dict(type='PackSegInputs', meta_keys=('img_path', 'seg_map_path', 'ori_shape',
                                                 'img_shape', 'pad_shape', 'flip',
                                                 'flip_direction', 'flip_pairs'))]
    config = tmp_path / 'fpn_r18_lip+atr.py'
    config.write_text(
        f"_base_ = ['{ROOT}/tests/data/fpn_r18_minihumans_tiny.py']\n"
        f"train_dataloader = dict(dataset=dict(_delete_=True, "
        f"**{concat_cfg(lip_root, atr_root, aug)!r}))\n"
        f"val_dataloader = dict(dataset=dict(data_root={lip_root!r}))\n"
        "test_dataloader = val_dataloader\n")
    work = str(tmp_path / 'work')
    run_tool(['tools/train.py', str(config), '--work-dir', work, '--cfg-options',
              'train_cfg.max_iters=3', 'train_cfg.val_interval=3', 'param_scheduler.0.end=3',
              'default_hooks.checkpoint.interval=3'])
    ckpt = torch.load(osp.join(work, 'iter_3.pth'), map_location='cpu', weights_only=True)
    assert ckpt['meta']['dataset_meta']['classes'] == LIPDataset.METAINFO['classes']
    assert ckpt['state_dict']['decode_head.conv_seg.weight'].shape[0] == 20
