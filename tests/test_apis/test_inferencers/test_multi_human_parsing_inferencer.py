"""MultiHumanParsingInferencer (detector in the loop) on images, a folder with a truncated JPEG,
a video; the detector's person class found by name."""
import glob
import json
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
import torch

from conftest import ROOT, run_tool
from hp_mm.apis import (MultiHumanParsingInferencer, draw_multi_parsing_result,
                        inference_multi_parser)
from hp_mm.datasets.multi_human_parsing_datasets import CIHPInstanceDataset

DET_CONFIG = osp.join(ROOT, 'configs/qanet/detectors/fcos_r18_fpn_minihumans-cihp.py')
PARSER_CONFIG = osp.join(ROOT, 'configs/_base_/models/qanet_r18_fpn.py')
# random weights: every box through, at most 3 per image; tiny crops; CIHP's classes
DET_OPTIONS = {'model.test_cfg.score_thr': 0.0, 'model.test_cfg.max_per_img': 3}
PARSER_OPTIONS = {'model.test_cfg.input_size': (24, 32),
                  'test_dataloader': dict(dataset=dict(type='CIHPInstanceDataset'))}


@pytest.fixture(scope='module')
def inferencer():
    torch.manual_seed(0)
    inferencer = MultiHumanParsingInferencer(PARSER_CONFIG, det_model=DET_CONFIG, device='cpu',
                                             cfg_options=PARSER_OPTIONS,
                                             det_cfg_options=DET_OPTIONS)
    # boxes of ~2 * e^2.5 = 24 px from the random detector (FCOS distances exp(conv_reg)), and a
    # confident random parser: 'Hair' (2) on every crop pixel, IoU score 1, so that persons get
    # QAM scores > 0 and are kept and drawn
    head = inferencer.model.decode_head
    with torch.no_grad():
        inferencer.detector.bbox_head.conv_reg.weight.zero_()
        inferencer.detector.bbox_head.conv_reg.bias.fill_(2.5)
        head.conv_seg.bias.fill_(-10.0)
        head.conv_seg.bias[2] = 10.0
        head.iou_fc.weight.zero_()
        head.iou_fc.bias.fill_(5.0)
    return inferencer


@pytest.fixture(scope='module')
def images(tmp_path_factory):
    from hp_mm.minihumans import generate_dataset
    root = str(tmp_path_factory.mktemp('minihumans') / 'CIHP')
    generate_dataset('cihp', root, num_train=1, num_val=4, seed=5, workers=1, max_size=64,
                     progress=False)
    return sorted(glob.glob(osp.join(root, 'instance-level_human_parsing/Validation/Images/*')))


def test_image_list_and_drawing(inferencer, images, tmp_path):
    assert inferencer.person_label == 0  # 'person' of the detector's (COCO) dataset_meta
    img = cv2.imread(images[0])
    out = inferencer(images[0], det_score_thr=0.0, return_vis=True, score_thr=0.0)
    ref = inference_multi_parser(inferencer.models, img, det_score_thr=0.0)
    pred = out['predictions']
    np.testing.assert_array_equal(pred['sem_seg'], ref.pred_sem_seg.data[0].numpy())
    assert len(pred['persons']) == 3
    person = pred['persons'][0]
    assert person['bbox'] == pytest.approx(ref.pred_instances.bboxes[0].tolist())
    assert person['score'] == pytest.approx(float(ref.pred_instances.scores[0]))
    assert set(person['part_scores']) == set(CIHPInstanceDataset.METAINFO['classes'][1:])
    assert person['kept'] == bool(ref.pred_instances.kept[0])
    json.dumps(pred['persons'])  # plain Python
    assert ref.pred_instances.kept.any() and (pred['sem_seg'] == 2).any()
    # the drawing is the apis' (parts, kept persons with their CIHP human ids and scores) ...
    np.testing.assert_array_equal(out['visualization'], draw_multi_parsing_result(
        inferencer.visualizer, img[..., ::-1], ref, score_thr=0.0))
    # ... and it shows persons: it differs from the drawing of the parts alone
    parts_only = inferencer.visualizer.draw_parsing(img[..., ::-1], ref.pred_sem_seg)
    assert (out['visualization'] != parts_only).any()
    # batched list of a file and an array: the same per-image answers
    batch = inferencer([images[1], cv2.imread(images[0])], batch_size=2, det_score_thr=0.0,
                       return_datasamples=True)
    assert batch['names'] == [osp.splitext(osp.basename(images[1]))[0], '00000001']
    torch.testing.assert_close(batch['predictions'][1].pred_instances.scores,
                               ref.pred_instances.scores)
    # an image without any person box: empty maps, no error
    empty = inferencer(img, det_score_thr=2.0, out_dir=str(tmp_path))
    assert empty['predictions']['persons'] == [] and not empty['predictions']['sem_seg'].any()
    human = cv2.imread(str(tmp_path / 'Human_ids' / '00000000.png'), cv2.IMREAD_UNCHANGED)
    assert human.shape == img.shape[:2] and not human.any()


def test_person_class_by_name(inferencer, tmp_path):
    state = inferencer.detector.state_dict()
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
    assert sorted(out['names']) == stems
    (failure, ) = out['failures']
    assert failure['input'].endswith('cut.jpg') and 'truncated JPEG' in failure['error']
    for stem in stems:
        h, w = cv2.imread(str(folder / f'{stem}.jpg')).shape[:2]
        assert cv2.imread(osp.join(out_dir, 'vis', f'{stem}.jpg')).shape == (h, 2 * w, 3)
        assert osp.isfile(osp.join(out_dir, 'Human_ids', f'{stem}.png'))
    # the tool: same files, the failure named, exit status 1
    det_ckpt, parser_ckpt = str(tmp_path / 'det.pth'), str(tmp_path / 'parser.pth')
    torch.save(dict(state_dict=inferencer.detector.state_dict(),
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
    assert len(glob.glob(osp.join(tool_dir, 'Category_ids', '*.png'))) == 3


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
