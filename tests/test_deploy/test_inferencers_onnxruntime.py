"""The Inferencers on ONNX Runtime end to end: a checkpoint exported with
``tools/deployment/pytorch2onnx.py``, the ``.onnx`` file given in place of the checkpoint
with ``backend='onnxruntime'``, against the same Inferencer on the checkpoint (random weights,
scikit-image's photos made small)."""
import os.path as osp
import runpy
import sys

import cv2
import numpy as np
import pytest
import torch

from conftest import ROOT
from deploy_utils import GLOBAL_REID, ISP, QANET, TINY_PARSER, max_rel_diff, random_model
from hp_mm.apis import HumanParsingInferencer, MultiHumanParsingInferencer, ReIDInferencer

PYTORCH2ONNX = osp.join(ROOT, 'tools/deployment/pytorch2onnx.py')


def photo(name, height, width):
    """A scikit-image photo as a BGR array resized to (height, width)."""
    from skimage import data
    rgb = getattr(data, name)()
    return np.ascontiguousarray(cv2.resize(rgb, (width, height),
                                           interpolation=cv2.INTER_AREA)[..., ::-1])


def checkpoint_and_onnx(config, tmp_path, monkeypatch, capsys, *export_args):
    """A random-weight checkpoint of ``config`` and its export by ``pytorch2onnx.py``'s main.

    Returns:
        tuple: (checkpoint path, .onnx path).
    """
    ckpt, out = str(tmp_path / 'model.pth'), str(tmp_path / 'model.onnx')
    torch.save(dict(state_dict=random_model(config).state_dict()), ckpt)
    monkeypatch.setattr(sys, 'argv', [PYTORCH2ONNX, config, ckpt, '--out', out, *export_args])
    runpy.run_path(PYTORCH2ONNX, run_name='__main__')
    assert capsys.readouterr().out.rstrip().endswith(': OK') and osp.isfile(out)
    return ckpt, out


def runs_in_onnxruntime(inferencer):
    """The Inferencer's network is the ONNX graph: no PyTorch weights left."""
    return hasattr(inferencer.model, 'ort_session') and \
        sum(p.numel() for p in inferencer.model.parameters()) == 0


def test_human_parsing_inferencer(tmp_path, monkeypatch, capsys):
    ckpt, onnx_file = checkpoint_and_onnx(TINY_PARSER, tmp_path, monkeypatch, capsys,
                                          '--dynamic')
    torch_inf = HumanParsingInferencer(TINY_PARSER, ckpt, device='cpu')
    ort_inf = HumanParsingInferencer(TINY_PARSER, onnx_file, device='cpu', backend='onnxruntime')
    assert runs_in_onnxruntime(ort_inf) and not runs_in_onnxruntime(torch_inf)
    images = [photo('astronaut', 96, 96), photo('chelsea', 60, 90)]
    expected = torch_inf(images, return_datasamples=True)['predictions']
    with ort_inf.model.ort_session.recording() as runs:
        got = ort_inf(images, return_datasamples=True)['predictions']
    assert len(runs) > 0
    for img, e, g in zip(images, expected, got):
        labels_e, labels_g = e.pred_sem_seg.data, g.pred_sem_seg.data
        assert labels_e.shape == labels_g.shape == (1, ) + img.shape[:2]
        assert len(labels_e.unique()) > 1  # not a trivial constant map
        assert (labels_e == labels_g).float().mean() >= 0.999
        assert max_rel_diff(e.seg_logits.data, g.seg_logits.data) < 1e-4
    # the plain predictions (label maps) too
    np.testing.assert_array_equal(ort_inf(images[0])['predictions'],
                                  torch_inf(images[0])['predictions'])


def test_multi_human_parsing_inferencer_qanet_head(tmp_path, monkeypatch, capsys):
    ckpt, onnx_file = checkpoint_and_onnx(QANET, tmp_path, monkeypatch, capsys)
    torch_inf = MultiHumanParsingInferencer(QANET, ckpt, device='cpu')
    ort_inf = MultiHumanParsingInferencer(QANET, onnx_file, device='cpu', backend='onnxruntime')
    assert runs_in_onnxruntime(ort_inf)
    img = photo('astronaut', 128, 128)
    boxes = [np.array([[10, 5, 70, 125], [60, 15, 115, 100]], np.float32)]
    expected = torch_inf(img, bboxes=boxes, score_thr=0.0)['predictions']
    with ort_inf.model.ort_session.recording() as runs:
        got = ort_inf(img, bboxes=boxes, score_thr=0.0)['predictions']
    assert len(runs) > 0
    assert (expected['sem_seg'] > 0).any()  # persons pasted back
    assert (expected['sem_seg'] == got['sem_seg']).mean() >= 0.999
    assert len(got['persons']) == len(expected['persons']) == 2
    for e, g in zip(expected['persons'], got['persons']):
        assert g['bbox'] == e['bbox'] and g['human_id'] == e['human_id']
        for key in ('iou_score', 'pixel_score', 'score'):
            assert g[key] == pytest.approx(e[key], rel=1e-4, abs=1e-6), key


@pytest.mark.parametrize('config', [GLOBAL_REID, ISP])
def test_reid_inferencer(config, tmp_path, monkeypatch, capsys):
    ckpt, onnx_file = checkpoint_and_onnx(config, tmp_path, monkeypatch, capsys)
    torch_inf = ReIDInferencer(config, ckpt, device='cpu')
    ort_inf = ReIDInferencer(config, onnx_file, device='cpu', backend='onnxruntime')
    assert runs_in_onnxruntime(ort_inf)
    crops = [photo('astronaut', 192, 96), photo('coffee', 128, 64)]
    expected, got = torch_inf(crops)['predictions'], ort_inf(crops)['predictions']
    for e, g in zip(expected, got):
        assert g['feature'].shape == e['feature'].shape
        assert max_rel_diff(torch.from_numpy(e['feature']), torch.from_numpy(g['feature'])) < 1e-4
        if config == ISP:
            np.testing.assert_array_equal(g['part_visibility'], e['part_visibility'])
            assert max_rel_diff(torch.from_numpy(e['part_features']),
                                torch.from_numpy(g['part_features'])) < 1e-4
            assert (g['part_seg'] == e['part_seg']).mean() >= 0.999
    # the rankings the distances give agree as well
    rank_e = torch_inf.rank(expected, expected)['indices']
    np.testing.assert_array_equal(ort_inf.rank(got, got)['indices'], rank_e)


def test_unsupported_model_type_names_the_exportable_ones(tmp_path):
    c2l = osp.join(ROOT, 'configs/c2l/c2l_fpn-r18_minihumans-atr-3class.py')
    with pytest.raises(NotImplementedError, match=r'model type C2L cannot be exported: hp_mm '
                       r'exports ParsingEncoderDecoder, TopDownParser, GlobalReID, ISPReID'):
        HumanParsingInferencer(c2l, str(tmp_path / 'c2l.onnx'), device='cpu',
                               backend='onnxruntime')
    with pytest.raises(ValueError, match=r"backend='onnxruntime' needs the .onnx file"):
        HumanParsingInferencer(TINY_PARSER, None, device='cpu', backend='onnxruntime')
    assert not list(tmp_path.iterdir())
