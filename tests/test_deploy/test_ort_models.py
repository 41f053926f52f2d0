"""hp_mm.deploy.build_ort_model: the ONNX Runtime model predicts what the PyTorch model does."""
import onnx
import pytest
import torch

from deploy_utils import (GLOBAL_REID, ISP, QANET, TINY_PARSER, equal_pixels, max_rel_diff,
                          photos, random_model, trained_tiny_parser, val_images)
from hp_mm.apis import inference_model, init_model
from hp_mm.deploy import build_ort_model, export_onnx
from hp_mm.models import ParsingEncoderDecoder


@pytest.fixture(scope='module')
def trained_checkpoint(lip_root, tmp_path_factory):
    return trained_tiny_parser(lip_root, tmp_path_factory)


@pytest.fixture(scope='module', params=['random', 'trained'])
def parser_pair(request, tmp_path_factory):
    """(PyTorch parser, its ONNX Runtime twin from a dynamic export)."""
    if request.param == 'random':
        model = random_model(TINY_PARSER)
    else:
        model = init_model(TINY_PARSER, request.getfixturevalue('trained_checkpoint'))
    out = str(tmp_path_factory.mktemp('onnx') / 'parser.onnx')
    export_onnx(model, out, dynamic=True)
    return model, build_ort_model(TINY_PARSER, out)


def test_parser_backend_on_minihumans_val_and_photos(parser_pair, lip_root):
    model, ort = parser_pair
    assert isinstance(ort, ParsingEncoderDecoder) and ort.test_cfg.flip
    assert sum(p.numel() for p in ort.parameters()) == 0  # the network is the ONNX graph
    assert ort.dataset_meta['classes'] == model.dataset_meta['classes']
    assert ort.flip_pairs == model.flip_pairs == [(14, 15), (16, 17), (18, 19)]
    for images in (val_images(lip_root), photos()):
        expected = inference_model(model, images)
        with ort.ort_session.recording() as runs:
            got = inference_model(ort, images)
        assert equal_pixels(expected, got) >= 0.999
        for e, g in zip(expected, got):
            assert g.pred_sem_seg.data.shape == e.pred_sem_seg.data.shape
            assert max_rel_diff(e.seg_logits.data, g.seg_logits.data) < 1e-4
        # the flip test is outside the graph: each batch of n images runs with its mirror images
        assert sum(len(x) for x in runs) == 2 * len(images)
        assert all((x[len(x) // 2:] == x[:len(x) // 2, ..., ::-1]).all() for x in runs)
    with pytest.raises(RuntimeError, match='runs its network in ONNX Runtime'):
        ort.extract_feat(torch.zeros(1, 3, 64, 64))


def test_static_graph_names_the_size_it_takes(tmp_path, lip_root):
    model = random_model(TINY_PARSER)
    out = str(tmp_path / 'static.onnx')
    export_onnx(model, out, shape=(64, 64))
    ort = build_ort_model(TINY_PARSER, out)
    square = photos()[0]  # 512 x 512 -> 64 x 64: fits the static graph
    assert equal_pixels(inference_model(model, [square]), inference_model(ort, [square])) >= 0.999
    with pytest.raises(ValueError, match=r'takes inputs of shape \(1, 3, 64, 64\), got '
                       r'\(2, 3, 43, 64\); export it with --dynamic'):
        inference_model(ort, photos()[1])  # chelsea: 300 x 451 -> 43 x 64


def test_qanet_backend_runs_the_head_only(tmp_path):
    model = random_model(QANET)
    out = str(tmp_path / 'qanet.onnx')
    export_onnx(model, out)
    ort = build_ort_model(QANET, out)
    img = photos()[0][::2, ::2].copy()  # 256 x 256
    boxes = [[20.0, 10.0, 140.0, 250.0], [120.0, 30.0, 230.0, 200.0]]
    expected = inference_model(model, dict(img=img, bboxes=boxes))
    with ort.ort_session.recording() as runs:
        got = inference_model(ort, dict(img=img, bboxes=boxes))
    # 2 persons and their mirror images, one by one (a static graph)
    assert [x.shape for x in runs] == [(1, 3, 128, 96)] * 4
    assert (runs[2] == runs[0][..., ::-1]).all()
    e, g = expected.pred_instances, got.pred_instances
    assert (e.parsings == g.parsings).float().mean() >= 0.999
    for key in ('iou_scores', 'pixel_scores', 'scores'):
        torch.testing.assert_close(g[key], e[key], rtol=1e-4, atol=1e-5)
    assert equal_pixels([expected], [got]) >= 0.999


@pytest.mark.parametrize('config', [GLOBAL_REID, ISP])
def test_reid_backend_features(config, tmp_path):
    model = random_model(config)
    out = str(tmp_path / 'reid.onnx')
    export_onnx(model, out)
    ort = build_ort_model(config, out)
    crops = [img[40:360, 100:260].copy() for img in photos()]
    expected, got = inference_model(model, crops), inference_model(ort, crops)
    for e, g in zip(expected, got):
        assert max_rel_diff(e.pred_feature, g.pred_feature) < 1e-4
        if config == ISP:
            assert torch.equal(e.pred_part_visibility, g.pred_part_visibility)
            assert max_rel_diff(e.pred_part_features, g.pred_part_features) < 1e-4
            assert (e.pred_part_seg.data == g.pred_part_seg.data).float().mean() >= 0.999


def test_files_that_do_not_fit_the_config(tmp_path):
    model = random_model(TINY_PARSER)
    out = str(tmp_path / 'parser.onnx')
    export_onnx(model, out, shape=(64, 64))
    with pytest.raises(ValueError, match=r'holds a ParsingEncoderDecoder graph, but the config '
                       r'.*qanet_r18_minihumans.py builds a TopDownParser'):
        build_ort_model(QANET, out)
    with pytest.raises(ValueError, match=r'output seg_logits has 20 channels, the config\'s '
                       r'ParsingEncoderDecoder expects 7'):
        build_ort_model(_cfg(num_classes=7), out)
    with pytest.raises(ValueError, match=r'exported for inputs normalised as .* but the config '
                       r'normalises as'):
        build_ort_model(_cfg(bgr_to_rgb=False), out)
    plain = str(tmp_path / 'plain.onnx')
    torch.onnx.export(torch.nn.Conv2d(3, 20, 1), (torch.zeros(1, 3, 8, 8), ), plain,
                      dynamo=False)
    with pytest.raises(ValueError, match='has no hp_mm metadata: export it with '
                       'tools/deployment/pytorch2onnx.py'):
        build_ort_model(TINY_PARSER, plain)
    with pytest.raises(FileNotFoundError, match='missing.onnx'):
        build_ort_model(TINY_PARSER, str(tmp_path / 'missing.onnx'))
    assert onnx.load(out).graph.input[0].name == 'inputs'


def _cfg(num_classes=20, bgr_to_rgb=True):
    from mmengine.config import Config
    cfg = Config.fromfile(TINY_PARSER)
    cfg.model.decode_head.num_classes = num_classes
    cfg.model.data_preprocessor.bgr_to_rgb = bgr_to_rgb
    return cfg
