"""Detector + top-down parser inference, and the CIHP-format writer (random weights, tiny sizes)."""
import glob
import json
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData, PixelData
from mmseg.structures import SegDataSample

from conftest import ROOT
from hp_mm.apis import (detect_persons, inference_multi_parser, init_multi_parser,
                        save_multi_parsing_result)
from hp_mm.datasets.multi_human_parsing_datasets import CIHPInstanceDataset
from hp_mm.structures import person_instance_maps

DET_CONFIG = osp.join(ROOT, 'configs/qanet/detectors/fcos_r18_fpn_minihumans-cihp.py')
PARSER_CONFIG = osp.join(ROOT, 'configs/_base_/models/qanet_r18_fpn.py')
# random detector weights: let every box through, at most 3 per image
DET_OPTIONS = {'model.test_cfg.score_thr': 0.0, 'model.test_cfg.max_per_img': 3}


def parser_config():
    cfg = Config.fromfile(PARSER_CONFIG)
    cfg.model.test_cfg.input_size = (24, 32)  # tiny crops: fast on CPU
    cfg.test_dataloader = dict(dataset=dict(type='CIHPInstanceDataset'))  # classes, flip pairs
    return cfg


@pytest.fixture(scope='module')
def cihp_images(tmp_path_factory):
    from hp_mm.minihumans import generate_dataset
    root = str(tmp_path_factory.mktemp('minihumans') / 'CIHP')
    generate_dataset('cihp', root, num_train=1, num_val=2, seed=5, workers=1, max_size=64,
                     progress=False)
    return sorted(glob.glob(osp.join(root, 'instance-level_human_parsing/Validation/Images/*')))


@pytest.fixture(scope='module')
def models():
    torch.manual_seed(0)
    return init_multi_parser(DET_CONFIG, None, parser_config(), None, device='cpu',
                             det_cfg_options=DET_OPTIONS)


def test_init_scopes_and_meta(models):
    before = DefaultScope.get_current_instance()
    assert models['detector'].cfg.default_scope == 'mmdet'
    assert type(models['detector']).__name__ == 'FCOS'
    assert type(models['parser']).__name__ == 'TopDownParser'
    assert models['person_label'] == 0  # 'person' of mmdet's default (COCO) classes
    assert models['parser'].dataset_meta['classes'] == CIHPInstanceDataset.METAINFO['classes']
    assert DefaultScope.get_current_instance() is before  # neither init changed the scope


def test_detect_and_parse(models, cihp_images):
    from mmdet.apis import inference_detector
    path = cihp_images[0]
    img = cv2.imread(path)
    h, w = img.shape[:2]
    with DefaultScope.overwrite_default_scope('mmdet'):
        raw = inference_detector(models['detector'], img).pred_instances
    boxes = detect_persons(models['detector'], img, det_score_thr=0.0)
    # mmdet corner convention -> pixel centres: every coordinate minus half a pixel
    order = torch.argsort(raw.scores, descending=True, stable=True)
    np.testing.assert_allclose(boxes['bboxes'], raw.bboxes[order].numpy() - 0.5,
                               rtol=0, atol=1e-4)  # float32 round trip via xywh
    np.testing.assert_allclose(boxes['scores'], raw.scores[order].numpy())
    assert len(boxes['scores']) == 3 and np.all(np.diff(boxes['scores']) <= 0)

    thr = float(boxes['scores'][1])  # keeps the two best boxes
    result = inference_multi_parser(models, path, det_score_thr=thr)
    inst = result.pred_instances
    assert len(inst) == 2 and result.img_path == path
    np.testing.assert_allclose(result.person_boxes.bboxes.numpy(), boxes['bboxes'][:2],
                               rtol=0, atol=1e-4)
    np.testing.assert_allclose(inst.box_scores.numpy(), boxes['scores'][:2])
    assert inst.parsings.shape == (2, h, w) and inst.parsings.dtype == torch.uint8
    assert inst.part_scores.shape == (2, 19) and result.pred_sem_seg.data.shape == (1, h, w)
    assert torch.all((inst.scores >= 0) & (inst.scores <= 1))
    # an array and a list give the same answer as the file
    again = inference_multi_parser(models, [img], det_score_thr=thr)
    assert isinstance(again, list) and len(again) == 1
    torch.testing.assert_close(again[0].pred_instances.parsings, inst.parsings)
    torch.testing.assert_close(again[0].pred_instances.scores, inst.scores)
    # no box kept: an empty prediction
    empty = inference_multi_parser(models, img, det_score_thr=2.0)
    assert len(empty.pred_instances) == 0 and empty.pred_instances.parsings.shape == (0, h, w)
    assert not empty.pred_sem_seg.data.any()


def test_instance_maps_by_hand():
    # 3 x 4 image, two overlapping persons and one below the threshold
    a = np.array([[1, 1, 0, 0], [2, 2, 0, 0], [0, 0, 0, 0]])  # score .5
    b = np.array([[0, 3, 3, 0], [0, 3, 3, 0], [0, 0, 0, 0]])  # score .9: wins the overlap
    c = np.array([[0, 0, 0, 0], [0, 0, 0, 0], [5, 5, 5, 5]])  # score .005 < .01: not drawn
    out = person_instance_maps(torch.as_tensor(np.stack([a, b, c])),
                               torch.tensor([0.5, 0.9, 0.005]))
    assert out['person_human_id'].tolist() == [2, 1, 0]  # ids by descending score
    np.testing.assert_array_equal(out['human_ids'], [[2, 1, 1, 0], [2, 1, 1, 0], [0, 0, 0, 0]])
    np.testing.assert_array_equal(out['category_ids'], [[1, 3, 3, 0], [2, 3, 3, 0], [0] * 4])
    # regions in (human id, class) order: (1, 3), (2, 1), (2, 2)
    assert out['regions'] == [(1, 3, 1, 1, 4), (2, 1, 2, 0, 1), (3, 2, 2, 0, 1)]
    np.testing.assert_array_equal(out['instance_ids'], [[2, 1, 1, 0], [3, 1, 1, 0], [0] * 4])
    with pytest.raises(ValueError, match='N = 2'):
        person_instance_maps(np.stack([a, b, c]), [0.5, 0.9])


def _fake_result(h=6, w=8):
    """A hand-made parser output: two persons of a 20-class model."""
    parsings = torch.zeros(2, h, w, dtype=torch.uint8)
    parsings[0, 1:4, 1:3] = 2  # hair
    parsings[0, 4:6, 1:3] = 9  # pants
    parsings[1, 1:5, 5:7] = 13  # face
    res = SegDataSample()
    res.pred_sem_seg = PixelData(data=parsings.max(0).values[None].long())
    res.pred_instances = InstanceData(
        bboxes=torch.tensor([[1.0, 1, 2, 5], [5, 1, 6, 4]]),
        box_scores=torch.tensor([0.9, 0.6]), iou_scores=torch.tensor([0.8, 0.7]),
        pixel_scores=torch.tensor([0.95, 0.5]), scores=torch.tensor([0.85, 0.55]),
        part_pixel_scores=torch.rand(2, 19), part_scores=torch.rand(2, 19), parsings=parsings)
    return res


def test_save_cihp_layout(tmp_path):
    img = np.full((6, 8, 3), 128, np.uint8)
    res = _fake_result()
    meta = dict(CIHPInstanceDataset.METAINFO)
    paths = save_multi_parsing_result(img, res, str(tmp_path), meta, name='0000001')
    assert paths['human'] == str(tmp_path / 'Human_ids' / '0000001.png')
    category = cv2.imread(paths['category'], cv2.IMREAD_UNCHANGED)
    human = cv2.imread(paths['human'], cv2.IMREAD_UNCHANGED)
    instance = cv2.imread(paths['instance'], cv2.IMREAD_UNCHANGED)
    assert category.dtype == human.dtype == instance.dtype == np.uint8
    np.testing.assert_array_equal(category, res.pred_sem_seg.data[0].numpy())
    assert set(np.unique(human).tolist()) == {0, 1, 2}
    assert (human[1:4, 1:3] == 1).all() and (human[1:5, 5:7] == 2).all()  # .85 before .55
    lines = [tuple(map(int, l.split())) for l in open(paths['instance_txt']).read().splitlines()]
    assert lines == [(1, 2, 1), (2, 9, 1), (3, 13, 2)]  # instance_part_id class_id human_id
    for rid, cls, hid in lines:  # the PNG agrees with the .txt
        region = instance == rid
        assert region.any() and (category[region] == cls).all() and (human[region] == hid).all()
    vis = cv2.imread(paths['vis'])
    assert vis.shape == (6, 16, 3)
    info = json.load(open(paths['json']))
    assert [p['human_id'] for p in info['persons']] == [1, 2]
    hair = info['persons'][0]['parts']['Hair']
    assert hair['instance_part_id'] == 1 and hair['area'] == 6 and hair['class_id'] == 2
    assert hair['score'] == pytest.approx(float(res.pred_instances.part_scores[0, 1]))
    assert info['persons'][1]['parts']['Hair']['instance_part_id'] == 0  # absent part
    assert info['persons'][0]['score'] == pytest.approx(0.85)
