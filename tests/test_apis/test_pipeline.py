"""The inference pipeline: annotation loaders out, the checked loader in; person fields;
chunks of one shape."""
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

from conftest import ROOT
from hp_mm.apis.pipeline import (LoadCheckedImage, build_inference_pipeline, is_top_down,
                                 person_fields, same_shape_chunks)


def _pipeline(cfg):
    with DefaultScope.overwrite_default_scope('hp_mm'):
        return build_inference_pipeline(cfg)


def _types(pipeline):
    return [type(t).__name__ for t in pipeline.transforms]


@pytest.mark.parametrize('config, expected', [
    ('tests/data/fpn_r18_minihumans_tiny.py', ['LoadCheckedImage', 'Resize', 'PackSegInputs']),
    ('configs/qanet/qanet_r18_minihumans.py',
     ['LoadCheckedImage', 'PackMultiPersonParsingInputs']),
    ('configs/isp/isp_r18_minihumans.py', ['LoadCheckedImage', 'ReIDResize', 'PackReIDInputs']),
    # a bare top-down model config: the whole-image pipeline
    ('configs/_base_/models/qanet_r18_fpn.py', ['LoadCheckedImage',
                                                'PackMultiPersonParsingInputs']),
])
def test_config_test_pipeline_without_annotation_loaders(config, expected):
    cfg = Config.fromfile(osp.join(ROOT, config))
    pipeline = _pipeline(cfg)
    assert _types(pipeline) == expected
    assert is_top_down(pipeline) == ('PackMultiPersonParsingInputs' in expected)


def test_every_annotation_loader_is_dropped_and_errors():
    cfg = Config(dict(test_pipeline=[
        dict(type='LoadParsingImageFromFile'), dict(type='LoadReIDPartMask'),
        dict(type='LoadPseudoLabels'), dict(type='LoadAnnotations'),
        dict(type='LoadMultiPersonAnnotations'), dict(type='PackSegInputs')]))
    assert _types(_pipeline(cfg)) == ['LoadCheckedImage', 'PackSegInputs']
    with pytest.raises(ValueError, match='must start with an image loader.*PackSegInputs'):
        _pipeline(Config(dict(test_pipeline=[dict(type='PackSegInputs')])))
    with pytest.raises(ValueError, match='no test pipeline'):
        _pipeline(Config(dict(model=dict(type='ParsingEncoderDecoder'))))


def test_load_checked_image(tmp_path):
    img = np.random.default_rng(0).integers(0, 256, (12, 9, 3), dtype=np.uint8)
    path = str(tmp_path / 'a.png')
    cv2.imwrite(path, img)
    load = LoadCheckedImage()
    out = load(path)
    np.testing.assert_array_equal(out['img'], img)
    assert out['img_path'] == path and out['img_shape'] == out['ori_shape'] == (12, 9)
    out = load(img[:5])  # an array is taken as it is
    assert out['img_path'] is None and out['ori_shape'] == (5, 9)
    assert load(dict(img=img, img_path=path, extra=1))['extra'] == 1
    data = open(path, 'rb').read()
    (tmp_path / 'cut.png').write_bytes(data[:len(data) - 20])
    with pytest.raises(OSError, match='cut.png: truncated PNG'):
        load(str(tmp_path / 'cut.png'))
    with pytest.raises(KeyError, match='neither `img` nor `img_path`'):
        load(dict())
    with pytest.raises(ValueError, match=r'expected a BGR image array \(H, W, 3\)'):
        load(np.zeros((4, 4), np.uint8))


def test_person_fields():
    whole = person_fields((30, 20), 20, dict(flip_pairs=[(14, 15)]))
    np.testing.assert_array_equal(whole['bboxes'], [[0, 0, 19, 29]])  # pixel centres
    np.testing.assert_array_equal(whole['bbox_scores'], [1.0])
    assert whole['num_classes'] == 20 and whole['flip_pairs'] == [(14, 15)]
    assert whole['box_source'] == 'given'
    scored = person_fields((30, 20), 7, None, [[1, 2, 3, 4, 0.5], [5, 6, 7, 8, 0.25]],
                           box_source='detector')
    np.testing.assert_array_equal(scored['bboxes'], [[1, 2, 3, 4], [5, 6, 7, 8]])
    np.testing.assert_array_equal(scored['bbox_scores'], [0.5, 0.25])
    assert 'flip_pairs' not in scored and scored['box_source'] == 'detector'
    assert person_fields((30, 20), 7, None, []).get('bboxes').shape == (0, 4)
    with pytest.raises(ValueError, match=r'\(N, 4\) or \(N, 5\).*\(2, 3\)'):
        person_fields((30, 20), 7, None, np.zeros((2, 3)))


def test_same_shape_chunks():
    shapes = [(1, 2), (1, 2), None, (1, 2), (3, 4), (3, 4), (1, 2), None]
    items = list(enumerate(shapes))
    chunks = list(same_shape_chunks(iter(items), 2, lambda item: item[1]))
    # at most 2 shaped items of one shape; None (failed) items ride along without counting
    assert [[i for i, _ in c] for c in chunks] == [[0, 1, 2], [3], [4, 5], [6, 7]]
    assert [[i for i, _ in c] for c in same_shape_chunks(items, 10, lambda x: x[1])] == \
        [[0, 1, 2, 3], [4, 5], [6, 7]]
    assert list(same_shape_chunks([], 3, lambda x: x)) == []
