"""hp_mm.deploy.export_onnx on every family (random weights): outputs against PyTorch, bad input."""
import json
import os

import onnx
import pytest
import torch

from deploy_utils import GLOBAL_REID, ISP, QANET, TINY_PARSER, max_rel_diff, random_model
from hp_mm.deploy import ExportCheckError, OrtGraphSession, export_onnx
from hp_mm.deploy.graphs import image_metas


@pytest.fixture(scope='module')
def parser():
    return random_model(TINY_PARSER)


@pytest.mark.parametrize('dynamic', [False, True])
def test_parser_export_equals_encode_decode(parser, tmp_path, dynamic):
    out = str(tmp_path / 'parser.onnx')
    report = export_onnx(parser, out, shape=(64, 96), dynamic=dynamic)
    assert report['shape'] == (64, 96) and report['stride'] == 32
    assert report['max_rel_diff'] <= 1e-4
    session = OrtGraphSession(out)
    assert session.input_name == 'inputs' and session.output_names == ['seg_logits']
    assert session.input_shape == (['batch', 3, 'height', 'width'] if dynamic else [1, 3, 64, 96])
    assert session.output_shapes == [['batch', 20, 'seg_logits_height', 'seg_logits_width']
                                     if dynamic else [1, 20, 64, 96]]
    meta = session.metadata
    assert meta['model_type'] == 'ParsingEncoderDecoder'
    assert meta['preprocess'] == dict(mean=[123.675, 116.28, 103.53],
                                      std=[58.395, 57.12, 57.375], channel_order='RGB')
    assert meta['dataset_meta']['flip_pairs'] == [[14, 15], [16, 17], [18, 19]]
    # the graph is encode_decode(inputs, metas): at the export size, and at any size if dynamic
    sizes = [(64, 96)] + ([(45, 70), (96, 33)] if dynamic else [])
    for h, w in sizes:
        x = torch.randn(3, 3, h, w)
        with torch.no_grad():
            expected = parser.encode_decode(x, image_metas(x))
        got, = session(x)
        assert got.shape == (3, 20, h, w)
        assert max_rel_diff(expected, got) < 1e-4


def test_bad_shapes_opsets_and_types_write_nothing(parser, tmp_path):
    out = tmp_path / 'sub' / 'parser.onnx'
    with pytest.raises(ValueError, match=r'--shape 100 100: height and width must be positive '
                       r'multiples of the ParsingEncoderDecoder\'s output stride 32 '
                       r'\(e.g. --shape 96 96\)'):
        export_onnx(parser, str(out), shape=(100, 100))
    with pytest.raises(ValueError, match=r'--opset 9: .* opsets 13..20'):
        export_onnx(parser, str(out), opset=9)
    # a failed check (no tolerance at all) writes nothing either
    with pytest.raises(ExportCheckError, match=r'differs from PyTorch by .* nothing written'):
        export_onnx(parser, str(out), shape=(64, 64), rtol=0.0)
    assert not out.parent.exists()
    with pytest.raises(ValueError, match='model.cfg'):
        export_onnx(torch.nn.Conv2d(3, 3, 1), str(out))


def test_dynamic_export_of_pyramid_pooling_is_refused(tmp_path):
    psp = random_model(TINY_PARSER, dict(model=dict(decode_head=dict(
        _delete_=True, type='PSPHead', in_channels=64, in_index=3, channels=16,
        pool_scales=(1, 2, 3, 6), num_classes=20, align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss')))))
    with pytest.raises(NotImplementedError, match=r'--dynamic: the ParsingEncoderDecoder has '
                       r'adaptive pooling to several bins \(decode_head.psp_modules.1.0: 2'):
        export_onnx(psp, str(tmp_path / 'psp.onnx'), dynamic=True)
    assert not os.listdir(tmp_path)


def test_qanet_export_is_the_per_person_head(tmp_path):
    model = random_model(QANET)
    out = str(tmp_path / 'qanet.onnx')
    report = export_onnx(model, out)
    assert report['shape'] == (128, 96)  # test_cfg.input_size (W, H) = (96, 128)
    session = OrtGraphSession(out)
    assert session.output_names == ['parsing_logits', 'iou_scores']
    crops = torch.randn(5, 3, 128, 96)  # any number of persons
    with torch.no_grad():
        logits, ious = model._crop_logits(crops)
    got_logits, got_ious = session(crops)
    assert got_logits.shape == (5, 20, 128, 96) and got_ious.shape == (5, )
    assert max_rel_diff(logits, got_logits) < 1e-4 and max_rel_diff(ious, got_ious) < 1e-4
    with pytest.raises(ValueError, match=r'person crops of test_cfg.input_size, 128 x 96 \(H x W\) '
                       r'in this config: expected --shape 128 96'):
        export_onnx(model, str(tmp_path / 'bad.onnx'), shape=(160, 160))


@pytest.mark.parametrize('config', [GLOBAL_REID, ISP])
def test_reid_export_gives_the_retrieval_features(config, tmp_path):
    model = random_model(config)
    out = str(tmp_path / 'reid.onnx')
    assert export_onnx(model, out)['shape'] == (128, 64)
    session = OrtGraphSession(out)
    crops = torch.randn(3, 3, 128, 64)
    with torch.no_grad():
        expected = model.predict_features(crops)
    got = session.run_named(crops)
    if config == GLOBAL_REID:
        assert list(got) == ['feature'] and max_rel_diff(expected, got['feature']) < 1e-4
        return
    assert list(got) == ['feature', 'global_feature', 'foreground_feature', 'part_features',
                         'part_visibility', 'part_logits']
    for name, value in got.items():
        ref = expected[f'pred_{name}']
        assert value.shape == ref.shape, name
        if name == 'part_visibility':
            assert value.dtype == torch.bool and torch.equal(value, ref)
        else:
            assert max_rel_diff(ref, value) < 1e-4, name
    proto = onnx.load(out)
    meta = {p.key: p.value for p in proto.metadata_props}
    assert json.loads(meta['hp_mm.model_type']) == 'ISPReID'
