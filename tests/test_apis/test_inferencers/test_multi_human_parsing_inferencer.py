"""MultiHumanParsingInferencer (given boxes, or a detector in the loop) on images, a folder with a
truncated JPEG, a video; the persons shown, their one dict shape, the CIHP files and JSON.
Expectations: the parser's own test_step on hand-built samples (hand_built.py), mmdet's own
inference_detector, and the shown persons worked out from the scores."""
import glob
import json
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
import torch
from mmengine.registry import DefaultScope

from conftest import ROOT, run_tool
from hand_built import minihumans, top_down_prediction
from hp_mm.apis import MultiHumanParsingInferencer
from hp_mm.apis.inferencers.base_parsing_inferencer import best_of_converted
from hp_mm.datasets.multi_human_parsing_datasets import CIHPInstanceDataset

DET_CONFIG = osp.join(ROOT, 'configs/qanet/detectors/fcos_r18_fpn_minihumans-cihp.py')
PARSER_CONFIG = osp.join(ROOT, 'configs/_base_/models/qanet_r18_fpn.py')
# random weights: every box through, at most 3 per image; tiny crops; CIHP's classes
DET_OPTIONS = {'model.test_cfg.score_thr': 0.0, 'model.test_cfg.max_per_img': 3}
PARSER_OPTIONS = {'model.test_cfg.input_size': (24, 32),
                  'test_dataloader': dict(dataset=dict(type='CIHPInstanceDataset'))}
CLASSES = CIHPInstanceDataset.METAINFO['classes']


@pytest.fixture(scope='module')
def inferencer():
    torch.manual_seed(0)
    inferencer = MultiHumanParsingInferencer(PARSER_CONFIG, det_model=DET_CONFIG, device='cpu',
                                             cfg_options=PARSER_OPTIONS,
                                             det_cfg_options=DET_OPTIONS)
    # boxes of ~2 * e^2.5 = 24 px from the random detector (FCOS distances exp(conv_reg)), and a
    # random parser with a confident IoU branch, so that persons get QAM scores > 0.01 (from
    # their random pixel scores) and are kept and shown
    head = inferencer.model.decode_head
    with torch.no_grad():
        inferencer.detector.model.bbox_head.conv_reg.weight.zero_()
        inferencer.detector.model.bbox_head.conv_reg.bias.fill_(2.5)
        head.conv_seg.bias[0] = -3.0  # fewer background pixels
        head.iou_fc.weight.zero_()
        head.iou_fc.bias.fill_(5.0)
    return inferencer


@pytest.fixture(scope='module')
def images(tmp_path_factory):
    root = minihumans('cihp', tmp_path_factory.mktemp('minihumans') / 'CIHP', num_train=1,
                      num_val=4, seed=5, max_size=64)
    return sorted(glob.glob(osp.join(root, 'instance-level_human_parsing/Validation/Images/*')))


BOXES = np.array([[2, 3, 30, 50], [20, 5, 60, 55], [10, 10, 20, 20]], np.float32)


def test_given_boxes_the_persons_shown_and_one_dict_shape(inferencer, images, tmp_path):
    img = cv2.imread(images[0])
    exp = top_down_prediction(inferencer.model, img, BOXES)
    out = inferencer(images[0], bboxes=[BOXES], score_thr=0.0, return_vis=True,
                     out_dir=str(tmp_path))
    pred = out['predictions']
    np.testing.assert_array_equal(pred['sem_seg'], exp.pred_sem_seg.data[0].numpy())
    inst = exp.pred_instances
    assert [p['bbox'] for p in pred['persons']] == BOXES.tolist()
    assert [p['score'] for p in pred['persons']] == pytest.approx(inst.scores.tolist())
    assert [p['kept'] for p in pred['persons']] == inst.kept.tolist()
    for p, person in enumerate(pred['persons']):
        assert list(person) == ['human_id', 'bbox', 'box_score', 'iou_score', 'pixel_score',
                                'score', 'kept', 'parts']
        assert list(person['parts']) == list(CLASSES[1:])
        hair = person['parts']['Hair']
        assert hair['class_id'] == 2 and hair['score'] == pytest.approx(
            float(inst.part_scores[p, 1]))
    # shown: kept persons still visible, human ids 1..K by descending score
    shown = [p for p in pred['persons'] if p['human_id'] > 0]
    assert shown and all(p['kept'] for p in shown)
    by_score = sorted(shown, key=lambda p: -p['score'])
    assert [p['human_id'] for p in by_score] == list(range(1, len(shown) + 1))
    # the files: the same persons, maps and regions
    info = json.load(open(tmp_path / 'json' / f'{out["names"][0]}.json'))
    assert info['persons'] == json.loads(json.dumps(pred['persons']))
    assert info['score_thr'] == 0.0 and (info['height'], info['width']) == img.shape[:2]
    name = out['names'][0]
    human = cv2.imread(str(tmp_path / 'Human_ids' / f'{name}.png'), cv2.IMREAD_UNCHANGED)
    instance = cv2.imread(str(tmp_path / 'Instance_ids' / f'{name}.png'), cv2.IMREAD_UNCHANGED)
    category = cv2.imread(str(tmp_path / 'Category_ids' / f'{name}.png'), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(category, pred['sem_seg'])
    assert set(np.unique(human[human > 0])) == {p['human_id'] for p in shown}
    lines = open(tmp_path / 'Instance_ids' / f'{name}.txt').read().split('\n')[:-1]
    regions = {int(r): (int(c), int(h)) for r, c, h in (line.split() for line in lines)}
    assert sorted(regions) == sorted(np.unique(instance[instance > 0]))
    found = 0
    for person in pred['persons']:
        for part in person['parts'].values():
            if part['instance_part_id']:  # the region's pixels: this person's, this class
                region = instance == part['instance_part_id']
                assert region.sum() == part['area'] > 0
                assert (human[region] == person['human_id']).all()
                assert regions[part['instance_part_id']] == (part['class_id'],
                                                             person['human_id'])
                found += 1
    assert found == len(regions)  # every region is one person's part
    # the drawing shows the persons: it differs from the drawing of the parts alone
    parts_only = inferencer.visualizer.draw_parsing(img[..., ::-1].copy(), exp.pred_sem_seg)
    assert (out['visualization'] != parts_only).any()
    vis = cv2.imread(str(tmp_path / 'vis' / f'{name}.jpg'))
    assert vis.shape == (img.shape[0], 2 * img.shape[1], 3)
    # a threshold above every score: nobody shown, nothing drawn beyond the parts
    none = inferencer(images[0], bboxes=[BOXES], score_thr=1.1, return_vis=True)
    assert all(p['human_id'] == 0 for p in none['predictions']['persons'])
    np.testing.assert_array_equal(none['visualization'], parts_only)


def test_detector_boxes(inferencer, images):
    from mmdet.apis import inference_detector
    assert inferencer.person_label == 0  # 'person' of the detector's (COCO) dataset_meta
    img = cv2.imread(images[1])
    with DefaultScope.overwrite_default_scope('mmdet'):
        raw = inference_detector(inferencer.detector.model, img).pred_instances
    order = torch.argsort(raw.scores, descending=True, stable=True)
    keep = order[raw.scores[order] >= float(raw.scores[order[1]])]  # the two best boxes
    out = inferencer(images[1], det_score_thr=float(raw.scores[order[1]]), score_thr=0.0,
                     return_datasamples=True)['predictions']
    # mmdet's corner convention -> pixel centres: every coordinate minus half a pixel
    np.testing.assert_allclose(out.person_boxes.bboxes.numpy(), raw.bboxes[keep].numpy() - 0.5,
                               rtol=0, atol=1e-4)
    np.testing.assert_allclose(out.pred_instances.box_scores.numpy(), raw.scores[keep].numpy())
    exp = top_down_prediction(inferencer.model, img, out.person_boxes.bboxes,
                              out.person_boxes.scores)
    assert torch.equal(out.pred_sem_seg.data, exp.pred_sem_seg.data)
    torch.testing.assert_close(out.pred_instances.scores, exp.pred_instances.scores)
    # a list of a file and an array, batched: the same answers
    batch = inferencer([images[1], img], batch_size=2, det_score_thr=0.0)
    assert batch['names'] == [osp.splitext(osp.basename(images[1]))[0], '00000001']
    assert batch['predictions'][0]['persons'] == batch['predictions'][1]['persons']
    # no box kept: empty maps, no error
    empty = inferencer(img, det_score_thr=2.0)
    assert empty['predictions']['persons'] == [] and not empty['predictions']['sem_seg'].any()


def test_person_class_and_boxes_errors(inferencer, images, tmp_path):
    state = inferencer.detector.model.state_dict()
    for classes, expected in ((('car', 'person'), 1), (('car', ), None)):
        ckpt = str(tmp_path / f'det{len(classes)}.pth')
        torch.save(dict(state_dict=state, meta=dict(dataset_meta=dict(classes=classes))), ckpt)
        if expected is None:
            with pytest.raises(ValueError, match="no class named 'person'.*'car'"):
                MultiHumanParsingInferencer(PARSER_CONFIG, det_model=DET_CONFIG,
                                            det_weights=ckpt, cfg_options=PARSER_OPTIONS)
        else:
            other = MultiHumanParsingInferencer(PARSER_CONFIG, det_model=DET_CONFIG,
                                                det_weights=ckpt, cfg_options=PARSER_OPTIONS)
            assert other.person_label == expected
    no_detector = MultiHumanParsingInferencer(PARSER_CONFIG, cfg_options=PARSER_OPTIONS)
    with pytest.raises(ValueError, match='needs the person boxes of every input'):
        no_detector(images[0])
    out = no_detector(images[:2], bboxes=[BOXES])  # no boxes for the second input
    assert len(out['predictions']) == 1 and 'IndexError' in out['failures'][0]['error']
    with pytest.raises(ValueError, match='not a top-down parser'):
        MultiHumanParsingInferencer(osp.join(ROOT, 'tests/data/fpn_r18_minihumans_tiny.py'))


def test_folder_with_a_truncated_jpeg_and_the_tool(inferencer, images, tmp_path):
    folder = tmp_path / 'photos'
    folder.mkdir()
    for p in images[:3]:
        shutil.copy(p, folder)
    data = open(images[3], 'rb').read()
    (folder / 'cut.jpg').write_bytes(data[:len(data) * 2 // 3])
    out_dir = str(tmp_path / 'out')
    out = inferencer(str(folder), out_dir=out_dir, det_score_thr=0.0)
    stems = sorted(osp.splitext(osp.basename(p))[0] for p in images[:3])
    assert out['names'] == stems
    (failure, ) = out['failures']
    assert failure['input'].endswith('cut.jpg') and 'truncated JPEG' in failure['error']
    for stem in stems:
        h, w = cv2.imread(str(folder / f'{stem}.jpg')).shape[:2]
        assert cv2.imread(osp.join(out_dir, 'vis', f'{stem}.jpg')).shape == (h, 2 * w, 3)
        assert osp.isfile(osp.join(out_dir, 'Human_ids', f'{stem}.png'))
    # the tool: same files, the failure named, exit status 1
    det_ckpt, parser_ckpt = str(tmp_path / 'det.pth'), str(tmp_path / 'parser.pth')
    torch.save(dict(state_dict=inferencer.detector.model.state_dict(),
                    meta=dict(dataset_meta=dict(classes=('person', )))), det_ckpt)
    torch.save(dict(state_dict=inferencer.model.state_dict(),
                    meta=dict(dataset_meta=dict(CIHPInstanceDataset.METAINFO))), parser_ckpt)
    tool_dir = str(tmp_path / 'tool')
    with pytest.raises(AssertionError) as err:
        run_tool(['tools/infer_multi.py', DET_CONFIG, det_ckpt, PARSER_CONFIG, parser_ckpt,
                  str(folder), '--out-dir', tool_dir, '--det-score-thr', '0', '--det-cfg-options',
                  'model.test_cfg.score_thr=0', 'model.test_cfg.max_per_img=3',
                  '--parser-cfg-options', 'model.test_cfg.input_size=(24,32)'])
    assert 'failed (1)' in str(err.value) and 'cut.jpg: OSError' in str(err.value)
    assert '3 images, 9 persons' in str(err.value)
    for stem in stems:  # the tool wrote what the Inferencer wrote
        for sub in ('Category_ids', 'Human_ids', 'Instance_ids'):
            np.testing.assert_array_equal(
                cv2.imread(osp.join(tool_dir, sub, f'{stem}.png'), cv2.IMREAD_UNCHANGED),
                cv2.imread(osp.join(out_dir, sub, f'{stem}.png'), cv2.IMREAD_UNCHANGED))


def test_video(inferencer, images, tmp_path):
    img = cv2.imread(images[0])
    h, w = img.shape[:2]
    video = str(tmp_path / 'street.avi')
    writer = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*'MJPG'), 5, (w, h))
    for i in range(10):
        writer.write(np.roll(img, i, axis=0))
    writer.release()
    out_dir = str(tmp_path / 'out')
    out = inferencer(video, out_dir=out_dir, batch_size=5, det_score_thr=0.0)
    assert out['video']['frames'] == 10 and len(out['predictions']) == 10
    cap = cv2.VideoCapture(osp.join(out_dir, 'vis', 'street.mp4'))
    count = 0
    while cap.read()[0]:
        count += 1
    assert count == 10
    assert int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)) == w
    assert len(glob.glob(osp.join(out_dir, 'Category_ids', 'street_*.png'))) == 10
    assert len(glob.glob(osp.join(out_dir, 'json', 'street_*.json'))) == 10
    assert not glob.glob(osp.join(out_dir, 'vis', '*.jpg'))


def test_part_scores_of_another_label_set():
    """A target part scores the best of the source classes mapped to it; 0 if none is."""
    scores = torch.tensor([[0.1, 0.7, 0.3, 0.9], [0.5, 0.2, 0.6, 0.4]])  # classes 1..4
    lut = np.full(256, 255, np.uint8)
    lut[:5] = [0, 2, 2, 255, 1]  # 1 -> 2, 2 -> 2, 3 -> none, 4 -> 1
    out = best_of_converted(scores, lut, num_classes=4)  # target parts 1..3
    torch.testing.assert_close(out, torch.tensor([[0.9, 0.7, 0.0], [0.4, 0.5, 0.0]]))
