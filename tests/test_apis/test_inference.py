"""init_model / inference_model against the test loop's own path (the config's dataset and
unmodified test pipeline, then ``model.test_step``), and the checkpoint checks."""
import copy
import os.path as osp
from collections import OrderedDict

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope

from conftest import ROOT
from hp_mm.apis import inference_model, init_model
from hp_mm.datasets import LIPDataset, PascalPersonPartDataset
from hp_mm.registry import DATASETS, MODELS

TINY = osp.join(ROOT, 'tests/data/fpn_r18_minihumans_tiny.py')
QANET = osp.join(ROOT, 'configs/qanet/qanet_r18_minihumans.py')
ISP = osp.join(ROOT, 'configs/isp/isp_r18_minihumans.py')


def _checkpoint(path, config, seed, dataset_meta=None, **options):
    torch.manual_seed(seed)
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(options)
    with DefaultScope.overwrite_default_scope('hp_mm'):
        model = MODELS.build(cfg.model)
    torch.save(dict(state_dict=model.state_dict(), meta=dict(dataset_meta=dataset_meta or {})),
               path)
    return model


def _test_loop_prediction(model, data_root, index):
    """What tools/test.py predicts for one test image: dataset, pipeline, test_step."""
    with DefaultScope.overwrite_default_scope('hp_mm'):
        dataset_cfg = copy.deepcopy(model.cfg.test_dataloader.dataset)
        dataset_cfg.data_root = data_root
        dataset = DATASETS.build(dataset_cfg)
        sample = dataset[index]
        with torch.no_grad():
            pred = model.test_step(pseudo_collate([sample]))[0]
    return pred, dataset.get_data_info(index)['img_path']


@pytest.fixture(scope='module')
def lip_checkpoint(tmp_path_factory):
    path = str(tmp_path_factory.mktemp('ckpt') / 'lip.pth')
    _checkpoint(path, TINY, 0, {k: LIPDataset.METAINFO[k] for k in ('classes', 'palette',
                                                                    'flip_pairs')})
    return path


def test_parser_as_the_test_loop(lip_root, lip_checkpoint):
    model = init_model(TINY, lip_checkpoint, cfg_options={'model.test_cfg.flip': True})
    assert model.flip_pairs == [(14, 15), (16, 17), (18, 19)]  # from the checkpoint's meta
    assert model.dataset_meta['classes'] == LIPDataset.METAINFO['classes']
    expected = [_test_loop_prediction(model, lip_root, i) for i in (0, 3)]
    paths = [p for _, p in expected]
    results = inference_model(model, paths)
    for (exp, path), res in zip(expected, results):
        h, w = cv2.imread(path).shape[:2]
        assert res.pred_sem_seg.data.shape == (1, h, w) and res.img_path == path
        torch.testing.assert_close(res.seg_logits.data, exp.seg_logits.data, rtol=0, atol=1e-5)
        assert torch.equal(res.pred_sem_seg.data, exp.pred_sem_seg.data)
    # an array (BGR) is the same image
    single = inference_model(model, cv2.imread(paths[0]))
    assert torch.equal(single.pred_sem_seg.data, expected[0][0].pred_sem_seg.data)


def test_top_down_parser_as_the_test_loop_with_ground_truth_boxes(tmp_path):
    from hp_mm.minihumans import generate_dataset
    root = str(tmp_path / 'CIHP')
    generate_dataset('cihp', root, num_train=1, num_val=2, seed=5, workers=1, max_size=64,
                     progress=False)
    ckpt = str(tmp_path / 'qanet.pth')
    _checkpoint(ckpt, QANET, 1)
    model = init_model(QANET, ckpt)
    exp, path = _test_loop_prediction(model, osp.join(root, 'instance-level_human_parsing'), 1)
    boxes = exp.person_boxes.bboxes.numpy()
    assert len(boxes) >= 1  # the ground-truth persons of the image
    res = inference_model(model, dict(img_path=path, bboxes=boxes))
    assert torch.equal(res.pred_sem_seg.data, exp.pred_sem_seg.data)
    for key in ('bboxes', 'scores', 'part_scores', 'parsings', 'kept'):
        torch.testing.assert_close(res.pred_instances[key], exp.pred_instances[key], rtol=0,
                                   atol=1e-6)
    # a bare image is one person over the whole image (pixel centres)
    h, w = cv2.imread(path).shape[:2]
    whole = inference_model(model, path)
    np.testing.assert_array_equal(whole.person_boxes.bboxes.numpy(), [[0, 0, w - 1, h - 1]])
    assert len(whole.pred_instances) == 1


def test_reid_model_as_the_test_loop(tmp_path):
    from hp_mm.minihumans import generate_dataset
    generate_dataset('market1501', str(tmp_path), num_train=2, num_val=2, seed=1, workers=1,
                     progress=False)
    root = str(tmp_path / 'Market-1501-v15.09.15')
    ckpt = str(tmp_path / 'isp.pth')
    small = {'model.backbone.stem_channels': 8, 'model.backbone.base_channels': 8,
             'model.neck.in_channels': [64], 'model.neck.out_channels': 16}
    _checkpoint(ckpt, ISP, 2, **small)
    model = init_model(ISP, ckpt, cfg_options=small)
    exp, path = _test_loop_prediction(model, root, 0)
    res = inference_model(model, [path])[0]
    for key in ('pred_feature', 'pred_global_feature', 'pred_part_features',
                'pred_part_visibility'):
        torch.testing.assert_close(res.get(key), exp.get(key), rtol=0, atol=1e-6)
    assert torch.equal(res.pred_part_seg.data, exp.pred_part_seg.data)
    assert res.pred_part_seg.data.shape[-2:] == cv2.imread(path).shape[:2]


def test_checkpoint_checks_and_dataset_meta(tmp_path):
    ppp_meta = dict(classes=PascalPersonPartDataset.METAINFO['classes'])
    bad_meta = str(tmp_path / 'meta7.pth')
    _checkpoint(bad_meta, TINY, 0, ppp_meta)
    with pytest.raises(ValueError, match=r'meta7.pth has 7 classes \(dataset_meta classes\) but '
                       r'the config builds a 20-class model'):
        init_model(TINY, bad_meta)
    bad_head = str(tmp_path / 'head7.pth')
    _checkpoint(bad_head, TINY, 0, None, **{'model.decode_head.num_classes': 7})
    with pytest.raises(ValueError, match=r'head7.pth has 7 classes \(classifier output'):
        init_model(TINY, bad_head)
    # strict: a missing key is an error
    good = _checkpoint(str(tmp_path / 'x.pth'), TINY, 3)
    state = OrderedDict((k, v) for k, v in good.state_dict().items()
                        if not k.startswith('decode_head.conv_seg.bias'))
    torch.save(dict(state_dict=state), str(tmp_path / 'missing.pth'))
    with pytest.raises(RuntimeError, match='missing keys.*decode_head.conv_seg.bias'):
        init_model(TINY, str(tmp_path / 'missing.pth'))
    # a DDP checkpoint ('module.' keys) loads; the meta is the config dataset's, updated by the
    # checkpoint's
    palette = [[i, i, i] for i in range(20)]
    torch.save(dict(state_dict={f'module.{k}': v for k, v in good.state_dict().items()},
                    meta=dict(dataset_meta=dict(palette=palette))), str(tmp_path / 'ddp.pth'))
    model = init_model(TINY, str(tmp_path / 'ddp.pth'))
    for key, value in good.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key
    assert model.dataset_meta['palette'] == palette
    assert model.dataset_meta['classes'] == LIPDataset.METAINFO['classes']  # the config's
    assert model.cfg.filename == TINY and not model.training
    with pytest.warns(UserWarning, match='random weights'):
        init_model(TINY)
    with pytest.raises(TypeError, match='path, a BGR array or a dict, got int'):
        inference_model(model, [3])
