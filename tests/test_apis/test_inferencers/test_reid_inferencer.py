"""ReIDInferencer: features and part maps (the model's own test_step on hand-built crops), the
part-map files and drawing, distances and rankings computed by hand, rank-list pictures."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from conftest import ROOT
from hand_built import minihumans, reid_prediction
from hp_mm.apis import ReIDInferencer
from hp_mm.visualization import PART_PALETTE
from hp_mm.visualization.reid_rank_list import CORRECT_COLOUR, WRONG_COLOUR

ISP = osp.join(ROOT, 'configs/isp/isp_r18_minihumans.py')
GLOBAL = osp.join(ROOT, 'configs/isp/baseline_r18_minihumans.py')
TINY_ISP = {'model.backbone.stem_channels': 8, 'model.backbone.base_channels': 8,
            'model.neck.in_channels': [64], 'model.neck.out_channels': 16,
            'model.part_head.num_classes': 4, 'model.reid_head.num_classes': 4}


@pytest.fixture(scope='module')
def market(tmp_path_factory):
    root = minihumans('market1501', tmp_path_factory.mktemp('market'), num_train=2, num_val=2,
                      seed=1)
    return osp.join(root, 'Market-1501-v15.09.15')


@pytest.fixture(scope='module')
def isp():
    torch.manual_seed(0)
    return ReIDInferencer(ISP, device='cpu', cfg_options=TINY_ISP)


def test_features_and_part_maps(isp, market, tmp_path):
    out = isp(osp.join(market, 'query'), batch_size=3, out_dir=str(tmp_path), return_vis=True,
              with_labels=False)
    paths = sorted(osp.join(market, 'query', n) for n in os.listdir(osp.join(market, 'query')))
    assert [p['img_path'] for p in out['predictions']] == paths and not out['failures']
    for pred, path, drawing in zip(out['predictions'], paths, out['visualization']):
        img = cv2.imread(path)
        exp = reid_prediction(isp.model, img)
        np.testing.assert_allclose(pred['feature'], exp.pred_feature.numpy(), rtol=0, atol=1e-5)
        np.testing.assert_allclose(pred['part_features'], exp.pred_part_features.numpy(), rtol=0,
                                   atol=1e-5)
        np.testing.assert_array_equal(pred['part_visibility'], exp.pred_part_visibility.numpy())
        part_map = exp.pred_part_seg.data[0].numpy()
        np.testing.assert_array_equal(pred['part_seg'], part_map)
        assert pred['part_seg'].shape == img.shape[:2] and pred['feature'].shape == (16 * 5, )
        stem = osp.splitext(osp.basename(path))[0]
        np.testing.assert_array_equal(
            cv2.imread(str(tmp_path / f'{stem}_parts.png'), cv2.IMREAD_UNCHANGED), part_map)
        side = cv2.imread(str(tmp_path / f'{stem}_parts.jpg'))
        assert side.shape == (img.shape[0], 2 * img.shape[1], 3)
        # the drawing: part k blended 0.6 * PART_PALETTE[k] + 0.4 * image, background kept
        rgb = img[..., ::-1].astype(float)
        for k in np.unique(part_map):
            where = part_map == k
            expected = rgb[where] if k == 0 else 0.6 * np.array(PART_PALETTE[k]) + \
                0.4 * rgb[where]
            np.testing.assert_allclose(drawing[where], expected, atol=1.01)


def test_global_model_has_no_part_maps(market, tmp_path):
    torch.manual_seed(1)
    baseline = ReIDInferencer(GLOBAL, device='cpu')
    path = osp.join(market, 'query', sorted(os.listdir(osp.join(market, 'query')))[0])
    out = baseline(path, out_dir=str(tmp_path), return_vis=True)
    assert set(out['predictions']) == {'img_path', 'feature'} and out['visualization'] is None
    np.testing.assert_allclose(out['predictions']['feature'], reid_prediction(
        baseline.model, cv2.imread(path)).pred_feature.numpy(), rtol=0, atol=1e-5)
    assert not list(tmp_path.iterdir())  # nothing to write
    with pytest.raises(KeyError, match="'aligned' needs an ISP model"):
        baseline.distance([out['predictions']], [out['predictions']], distance='aligned')


def _pred(feature, glob_, fore, parts, vis):
    return dict(feature=np.asarray(feature, np.float32), global_feature=np.asarray(glob_, float),
                foreground_feature=np.asarray(fore, float), part_features=np.asarray(parts, float),
                part_visibility=np.asarray(vis, bool))


def test_distances_and_rankings_by_hand(isp):
    q = [_pred([3, 4], [1, 0], [0, 1], [[1, 0], [0, 1]], [True, False])]
    g = [_pred([3, 4], [1, 0], [1, 0], [[1, 0], [1, 0]], [True, True]),   # same feature
         _pred([-4, 3], [0, 1], [0, 1], [[-1, 0], [0, 1]], [False, True]),  # orthogonal
         _pred([-3, -4], [1, 0], [1, 0], [[1, 0], [1, 0]], [True, True])]  # opposite
    np.testing.assert_allclose(isp.distance(q, g, distance='cosine'), [[0, 1, 2]], atol=1e-6)
    # euclidean of l2-normalised features: 0, sqrt(2), 2
    np.testing.assert_allclose(isp.distance(q, g, distance='euclidean'),
                               [[0, np.sqrt(2), 2]], atol=1e-3)
    np.testing.assert_allclose(isp.distance(q, g, distance='euclidean', normalize_feature=False),
                               [[0, np.sqrt(50), 10]], atol=1e-3)
    # ISP eq. 10 (1 - cos per term): g0 shares part 1 (d 0), global d 0, foreground d 1 -> 1/3;
    # g1 shares no part, global d 1, foreground d 0 -> 1/2; g2 like g0 -> 1/3
    np.testing.assert_allclose(isp.distance(q, g, distance='aligned'), [[1 / 3, 1 / 2, 1 / 3]],
                               atol=1e-6)
    # default: the config's test_evaluator (euclidean of normalised features)
    assert isp.cfg.test_evaluator.distance == 'euclidean'
    np.testing.assert_allclose(isp.distance(q, g), [[0, np.sqrt(2), 2]], atol=1e-3)
    assert isp.rank(q, g)['distance'] == 'euclidean'
    # rankings: nearest first, ties by gallery index, topk clipped to the gallery
    ranking = isp.rank(q, g, topk=5, distance='aligned')
    assert ranking['distance'] == 'aligned' and ranking['indices'].tolist() == [[0, 2, 1]]
    np.testing.assert_allclose(ranking['distances'], [[1 / 3, 1 / 3, 1 / 2]], atol=1e-6)
    ranking = isp.rank(q + q[:1], g, topk=2, distance='cosine')
    assert ranking['indices'].tolist() == [[0, 1], [0, 1]]
    with pytest.raises(ValueError, match='distance must be one of'):
        isp.distance(q, g, distance='l1')


def test_rank_list_picture(isp, market):
    query = isp(osp.join(market, 'query'))['predictions'][:2]
    gallery = isp(osp.join(market, 'bounding_box_test'))['predictions'][:4]
    ranking = isp.rank(query, gallery, topk=3, distance='cosine')
    pids = [int(osp.basename(p['img_path']).split('_')[0]) for p in query + gallery]
    q_pids, g_pids = pids[:2], pids[2:]
    picture = isp.draw_rank_lists(query, gallery, ranking, q_pids, g_pids, num_queries=1)
    tile_w = 64 + 2 * 4  # 128 x 64 tiles, 4-pixel frames, 8 px gap, 2 px between
    assert picture.shape == (128 + 8 + 14 + 6, 4 * tile_w + 8 + 2 * 2, 3)
    starts = [tile_w + 8 + i * (tile_w + 2) for i in range(3)]
    expected = [CORRECT_COLOUR if g_pids[j] == q_pids[0] else WRONG_COLOUR
                for j in ranking['indices'][0]]
    assert [tuple(picture[0, s]) for s in starts] == expected
