import glob
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from conftest import ROOT, run_tool
from hp_mm.apis import inference_parser, init_parser, list_images, save_parsing_result
from hp_mm.datasets import LIPDataset, PascalPersonPartDataset
from hp_mm.registry import MODELS

CONFIG = osp.join(ROOT, 'tests/data/fpn_r18_minihumans_tiny.py')


def _save_checkpoint(path, num_classes=20, dataset_meta=None):
    init_default_scope('hp_mm')
    cfg = Config.fromfile(CONFIG)
    cfg.model.decode_head.num_classes = num_classes
    model = MODELS.build(cfg.model)
    meta = dict(dataset_meta=dataset_meta if dataset_meta is not None else dict(
        classes=LIPDataset.METAINFO['classes'], palette=LIPDataset.METAINFO['palette'],
        flip_pairs=LIPDataset.METAINFO['flip_pairs']))
    torch.save(dict(state_dict=model.state_dict(), meta=meta), path)
    return model


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    path = str(tmp_path_factory.mktemp('ckpt') / 'model.pth')
    _save_checkpoint(path)
    return path


def test_inference_on_files_and_arrays(lip_root, checkpoint, tmp_path):
    model = init_parser(CONFIG, checkpoint, device='cpu')
    assert model.flip_pairs == [(14, 15), (16, 17), (18, 19)]
    images = list_images(osp.join(lip_root, 'TrainVal_images/val_images'))
    assert len(images) == 8
    results = inference_parser(model, images[:3])
    for path, res in zip(images[:3], results):
        h, w = cv2.imread(path).shape[:2]
        assert res.pred_sem_seg.data.shape == (1, h, w)
        assert res.seg_logits.data.shape == (20, h, w)
    # an array gives the same answer as its file
    arr = cv2.imread(images[0])
    torch.testing.assert_close(inference_parser(model, arr).seg_logits.data,
                               results[0].seg_logits.data, atol=1e-4, rtol=1e-4)
    paths = save_parsing_result(images[0], results[0], model.dataset_meta['palette'],
                                str(tmp_path))
    label = cv2.imread(paths['label'], cv2.IMREAD_UNCHANGED)
    assert label.ndim == 2 and label.dtype == np.uint8
    np.testing.assert_array_equal(label, results[0].pred_sem_seg.data[0].numpy())
    assert cv2.imread(paths['overlay']).shape[1] == 2 * label.shape[1]


def test_class_mismatch_errors(tmp_path):
    ppp_meta = dict(classes=PascalPersonPartDataset.METAINFO['classes'],
                    palette=PascalPersonPartDataset.METAINFO['palette'])
    bad_meta = str(tmp_path / 'meta7.pth')
    _save_checkpoint(bad_meta, num_classes=20, dataset_meta=ppp_meta)
    with pytest.raises(ValueError, match=r'meta7.pth has 7 classes \(dataset_meta'):
        init_parser(CONFIG, bad_meta)
    bad_head = str(tmp_path / 'head7.pth')
    _save_checkpoint(bad_head, num_classes=7, dataset_meta={})
    with pytest.raises(ValueError, match=r'head7.pth has 7 classes \(classifier'):
        init_parser(CONFIG, bad_head)


def test_unreadable_image_and_empty_folder(checkpoint, tmp_path):
    model = init_parser(CONFIG, checkpoint)
    bad = tmp_path / 'broken.jpg'
    bad.write_bytes(b'garbage')
    with pytest.raises(OSError, match='broken.jpg'):
        inference_parser(model, str(bad))
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match='no images'):
        list_images(str(empty))


def test_infer_tool_writes_overlays_and_labels(lip_root, checkpoint, tmp_path):
    out = str(tmp_path / 'out')
    run_tool(['tools/infer.py', CONFIG, checkpoint,
              osp.join(lip_root, 'TrainVal_images/val_images'), '--out-dir', out])
    assert len(glob.glob(osp.join(out, '*_overlay.jpg'))) == 8
    assert len(glob.glob(osp.join(out, '*.png'))) == 8


def test_read_image_rejects_truncated_files(lip_root, tmp_path):
    from hp_mm.apis import check_image_bytes, read_image
    path = list_images(osp.join(lip_root, 'TrainVal_images/val_images'))[0]
    data = open(path, 'rb').read()
    np.testing.assert_array_equal(read_image(path), cv2.imread(path))  # as LoadImageFromFile
    cut = tmp_path / 'cut.jpg'
    cut.write_bytes(data[:len(data) // 2])
    assert cv2.imread(str(cut)) is not None  # cv2 alone decodes it (half grey): not an error
    with pytest.raises(OSError, match=r'cut.jpg: truncated JPEG'):
        read_image(str(cut))
    ok, png = cv2.imencode('.png', cv2.imread(path))
    with pytest.raises(OSError, match='truncated PNG'):
        check_image_bytes(png.tobytes()[:-20], 'x.png')
    check_image_bytes(png.tobytes(), 'x.png')
    check_image_bytes(data + b'\x00' * 7, 'padded.jpg')  # bytes after the end marker are fine
    with pytest.raises(FileNotFoundError, match='missing.jpg'):
        read_image(str(tmp_path / 'missing.jpg'))
