"""HumanParsingInferencer on an image, arrays, a list, a folder with a truncated JPEG, a video;
label sets and the ONNX Runtime route. Expectations: the model's own test_step on hand-built
batches (hand_built.py)."""
import glob
import os.path as osp
import shutil
import sys
import types

import cv2
import numpy as np
import pytest
import torch

from conftest import ROOT, run_tool
from hand_built import parser_prediction
from hp_mm.apis import HumanParsingInferencer
from hp_mm.apis.image_io import list_images
from hp_mm.datasets import ATRDataset, LIPDataset

CONFIG = osp.join(ROOT, 'tests/data/fpn_r18_minihumans_tiny.py')


@pytest.fixture(scope='module')
def inferencer():
    torch.manual_seed(0)
    return HumanParsingInferencer(CONFIG, device='cpu')  # random weights, LIP classes


@pytest.fixture(scope='module')
def images(lip_root):
    return list_images(osp.join(lip_root, 'TrainVal_images/val_images'))


def labels(sample):
    return sample.pred_sem_seg.data[0].numpy()


def test_image_array_and_list(inferencer, images):
    path = images[0]
    img = cv2.imread(path)
    expected = parser_prediction(inferencer.model, img)
    out = inferencer(path, return_vis=True)
    # a single image: its label map directly, at the image's size
    assert out['predictions'].shape == img.shape[:2]
    np.testing.assert_array_equal(out['predictions'], labels(expected))
    assert out['names'] == [osp.splitext(osp.basename(path))[0]] and out['failures'] == []
    # the drawing: the visualizer's, of the RGB image and those labels
    np.testing.assert_array_equal(out['visualization'], inferencer.visualizer.draw_parsing(
        img[..., ::-1].copy(), expected.pred_sem_seg))
    assert (out['visualization'][labels(expected) == 0] == img[..., ::-1][labels(expected) == 0]
            ).all()  # the background stays the image
    np.testing.assert_array_equal(inferencer(img)['predictions'], out['predictions'])
    # a list of files and arrays, batched: one prediction each, in order
    batch = inferencer([images[0], cv2.imread(images[1]), images[2]], batch_size=2,
                       return_datasamples=True)
    assert batch['names'][1] == '00000001' and len(batch['predictions']) == 3
    for pred, p in zip(batch['predictions'], images[:3]):
        exp = parser_prediction(inferencer.model, cv2.imread(p))
        torch.testing.assert_close(pred.seg_logits.data, exp.seg_logits.data, rtol=0, atol=1e-4)
        np.testing.assert_array_equal(labels(pred), labels(exp))
    assert batch['predictions'][0].img_path == images[0]
    assert batch['predictions'][1].img_path is None  # an array
    with pytest.raises(ValueError, match='batch_size must be >= 1'):
        inferencer(path, batch_size=0)
    with pytest.raises(ValueError, match='unknown argument'):
        inferencer(path, det_score_thr=0.3)  # a multi-person argument


def test_folder_with_a_truncated_jpeg(inferencer, images, tmp_path):
    folder = tmp_path / 'photos'
    folder.mkdir()
    for p in images[:3]:
        shutil.copy(p, folder)
    data = open(images[3], 'rb').read()
    (folder / 'cut.jpg').write_bytes(data[:len(data) // 2])  # a download cut in half
    out_dir = str(tmp_path / 'out')
    out = inferencer(str(folder), out_dir=out_dir)
    stems = sorted(osp.splitext(osp.basename(p))[0] for p in images[:3])
    assert out['names'] == stems and len(out['predictions']) == 3
    (failure, ) = out['failures']
    assert failure['input'].endswith('cut.jpg') and 'truncated JPEG' in failure['error']
    for stem, pred in zip(stems, out['predictions']):
        label = cv2.imread(osp.join(out_dir, f'{stem}.png'), cv2.IMREAD_UNCHANGED)
        assert label.dtype == np.uint8
        np.testing.assert_array_equal(label, pred)  # the 8-bit label map written
        overlay = cv2.imread(osp.join(out_dir, f'{stem}_overlay.jpg'))
        assert overlay.shape == (label.shape[0], 2 * label.shape[1], 3)
        image = cv2.imread(str(folder / f'{stem}.jpg'))
        assert np.abs(overlay[:, :label.shape[1]].astype(int) - image).mean() < 3  # image left
    assert not glob.glob(osp.join(out_dir, 'cut*'))
    with pytest.raises(OSError, match='cut.jpg: truncated JPEG'):  # alone: an error
        inferencer(str(folder / 'cut.jpg'))
    # the tool: the others written, the failed file named, exit status 1
    ckpt = str(tmp_path / 'model.pth')
    meta = {k: inferencer.model.dataset_meta[k] for k in ('classes', 'palette')}
    torch.save(dict(state_dict=inferencer.model.state_dict(), meta=dict(dataset_meta=meta)), ckpt)
    tool_dir = str(tmp_path / 'tool')
    with pytest.raises(AssertionError) as err:
        run_tool(['tools/infer.py', CONFIG, ckpt, str(folder), '--out-dir', tool_dir,
                  '--batch-size', '2', '--no-flip'])
    assert 'failed (1)' in str(err.value) and 'cut.jpg: OSError' in str(err.value)
    assert len(glob.glob(osp.join(tool_dir, '*_overlay.jpg'))) == 3
    # --no-flip: the labels of the model without its flip test
    inferencer.model.test_cfg.flip = False
    try:
        no_flip = parser_prediction(inferencer.model, cv2.imread(images[0]))
    finally:
        inferencer.model.test_cfg.flip = True
    stem = osp.splitext(osp.basename(images[0]))[0]
    np.testing.assert_array_equal(
        cv2.imread(osp.join(tool_dir, f'{stem}.png'), cv2.IMREAD_UNCHANGED), labels(no_flip))


def test_video(inferencer, images, tmp_path):
    img = cv2.imread(images[0])
    h, w = img.shape[:2]
    video = str(tmp_path / 'walk.mp4')
    writer = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*'mp4v'), 5, (w, h))
    for i in range(10):
        writer.write(np.roll(img, 2 * i, axis=1))
    writer.release()
    out_dir = str(tmp_path / 'out')
    out = inferencer(video, out_dir=out_dir, batch_size=4)
    assert out['video']['frames'] == 10 and out['video']['out_file'] == osp.join(
        out_dir, 'walk_vis.mp4')
    cap = cv2.VideoCapture(out['video']['out_file'])
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    assert len(frames) == 10 and frames[0].shape == (h, w, 3)
    assert len(glob.glob(osp.join(out_dir, 'walk_0000*.png'))) == 10
    assert not glob.glob(osp.join(out_dir, '*_overlay.jpg'))  # the drawings are in the video
    # each frame's prediction is the prediction of the decoded frame
    cap = cv2.VideoCapture(video)
    decoded = [cap.read()[1] for _ in range(10)]
    for i in (0, 9):
        np.testing.assert_array_equal(out['predictions'][i],
                                      labels(parser_prediction(inferencer.model, decoded[i])))
        assert out['names'][i] == f'walk_{i:06d}'


def test_label_set_conversion(inferencer, images):
    """LIP predictions as ATR labels: a class of the same name in both sets maps to it."""
    atr = HumanParsingInferencer(CONFIG, device='cpu', label_set='atr')
    atr.model.load_state_dict(inferencer.model.state_dict())
    assert atr.src_label_set == 'lip'  # found from the model's classes
    assert atr.visualizer.dataset_meta['classes'] == list(ATRDataset.METAINFO['classes'])
    img = cv2.imread(images[1])
    lip = labels(parser_prediction(inferencer.model, img))
    converted = atr(img)['predictions']
    def key(name):  # 'UpperClothes' and 'upper-clothes' name one class
        return name.lower().replace('-', '')

    lip_classes = [key(c) for c in LIPDataset.METAINFO['classes']]
    atr_classes = [key(c) for c in ATRDataset.METAINFO['classes']]
    same_name = [c for c in np.unique(lip) if lip_classes[c] in atr_classes]
    assert len(same_name) >= 2  # e.g. Pants (LIP 9, ATR 6) and Face (13, 11)
    for c in same_name:
        assert (converted[lip == c] == atr_classes.index(lip_classes[c])).all(), lip_classes[c]
    assert set(np.unique(converted)) <= set(range(len(atr_classes))) | {255}
    with pytest.raises(ValueError, match='unknown label set'):
        HumanParsingInferencer(CONFIG, device='cpu', label_set='lip', src_label_set='nope')(img)


def test_onnxruntime_backend_is_the_deploy_model(inferencer, images, monkeypatch):
    """backend='onnxruntime' uses hp_mm.deploy.build_ort_model's model for every prediction."""
    import copy
    calls = []
    stand_in = copy.deepcopy(inferencer.model)
    with torch.no_grad():
        stand_in.decode_head.conv_seg.bias.fill_(-50)
        stand_in.decode_head.conv_seg.bias[5] = 50  # this 'ONNX model' says 5 everywhere
    del stand_in.dataset_meta

    def build_ort_model(cfg, onnx_file, device):
        calls.append((onnx_file, device))
        return stand_in

    monkeypatch.setitem(sys.modules, 'hp_mm.deploy', types.SimpleNamespace(
        build_ort_model=build_ort_model))
    ort = HumanParsingInferencer(CONFIG, 'model.onnx', device='cpu', backend='onnxruntime')
    assert calls == [('model.onnx', 'cpu')] and ort.model is stand_in
    assert ort.model.dataset_meta['classes'] == LIPDataset.METAINFO['classes']  # the config's
    assert (ort(images[0])['predictions'] == 5).all()
    with pytest.raises(ValueError, match="backend must be one of"):
        HumanParsingInferencer(CONFIG, backend='tensorrt')
