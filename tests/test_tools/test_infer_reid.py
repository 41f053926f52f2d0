"""tools/infer_reid.py end to end: a random ISP checkpoint on MiniHumans' Market-1501 crops;
the ranking checked against the written features, an unreadable crop named (exit 1)."""
import json
import os
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from conftest import ROOT, run_tool
from hp_mm.registry import MODELS

CONFIG = 'configs/isp/isp_r18_minihumans.py'
TINY = {'model.backbone.stem_channels': 8, 'model.backbone.base_channels': 8,
        'model.neck.in_channels': [64], 'model.neck.out_channels': 16,
        'model.part_head.num_classes': 4, 'model.reid_head.num_classes': 4}


def test_infer_reid_ranks_the_gallery_by_the_written_features(tmp_path):
    from hp_mm.minihumans import generate_dataset
    generate_dataset('market1501', str(tmp_path), num_train=2, num_val=2, seed=3, workers=1,
                     progress=False)
    market = str(tmp_path / 'Market-1501-v15.09.15')
    cfg = Config.fromfile(osp.join(ROOT, CONFIG))
    cfg.merge_from_dict(TINY)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('hp_mm'):
        model = MODELS.build(cfg.model)
    ckpt = str(tmp_path / 'isp.pth')
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    query = str(tmp_path / 'query')
    shutil.copytree(osp.join(market, 'query'), query)
    data = open(osp.join(query, sorted(os.listdir(query))[0]), 'rb').read()
    (tmp_path / 'query' / '0007_c1s1_000000_00.jpg').write_bytes(data[:len(data) // 2])
    out = str(tmp_path / 'out')
    with pytest.raises(AssertionError) as err:
        run_tool(['tools/infer_reid.py', CONFIG, ckpt, '--query', query, '--gallery',
                  osp.join(market, 'bounding_box_test'), '--out-dir', out, '--topk', '3',
                  '--distance', 'cosine', '--batch-size', '4', '--part-masks',
                  osp.join(market, 'hp_mm_part_masks'), '--cfg-options'] +
                 [f'{k}={v}'.replace(' ', '') for k, v in TINY.items()])
    assert 'failed (1)' in str(err.value) and '0007_c1s1_000000_00.jpg: OSError' in str(err.value)
    assert 'ranked' in str(err.value)  # the rest was done
    q = np.load(osp.join(out, 'features_query.npz'))
    g = np.load(osp.join(out, 'features_gallery.npz'))
    q_names = sorted(n for n in os.listdir(query) if not n.startswith('0007_c1s1_000000'))
    assert q['names'].tolist() == q_names
    assert q['pred_feature'].shape == (len(q_names), 16 * 5)  # [3 parts, global, foreground]
    assert q['pred_part_visibility'].shape == (len(q_names), 3)
    # ranking.json: 1 - cos of the written features, 3 nearest, ties by gallery order
    qf = q['pred_feature'] / np.linalg.norm(q['pred_feature'], axis=1, keepdims=True)
    gf = g['pred_feature'] / np.linalg.norm(g['pred_feature'], axis=1, keepdims=True)
    dist = 1 - qf @ gf.T
    ranking = json.load(open(osp.join(out, 'ranking.json')))
    assert ranking['distance'] == 'cosine' and list(ranking['ranking']) == q_names
    for i, name in enumerate(q_names):
        order = np.argsort(dist[i], kind='stable')[:3]
        got = ranking['ranking'][name]
        assert [r['gallery'] for r in got] == [g['names'][j] for j in order]
        np.testing.assert_allclose([r['distance'] for r in got], dist[i, order], atol=1e-5)
    picture = cv2.imread(osp.join(out, 'ranking.jpg'))
    assert picture.shape[0] == len(q_names) * (128 + 8 + 14 + 6)  # one row per query (< 20)
    stem = osp.splitext(q_names[0])[0]
    label = cv2.imread(osp.join(out, 'parts', 'query', f'{stem}_parts.png'), cv2.IMREAD_UNCHANGED)
    assert label.shape == (128, 64) and label.max() <= 3
    assert cv2.imread(osp.join(out, 'parts', 'query', f'{stem}_parts.jpg')).shape == (128, 128, 3)
    iou = json.load(open(osp.join(out, 'part_iou.json')))
    assert {'foreground', 'head', 'upper_body', 'legs', 'shoes'} <= set(iou)
