"""ReIDMetric: hand-made rankings, distances, re-ranking, the dump, and 2 gloo ranks."""
import os.path as osp
import pickle

import numpy as np
import pytest
import torch
from mmengine.structures import BaseDataElement

from hp_mm.evaluation import ReIDMetric
from hp_mm.evaluation.functional import aligned_distance, eval_reid, re_ranking
from hp_mm.registry import METRICS


def sample(split, pid, camid, idx, **fields):
    ds = BaseDataElement(metainfo=dict(split=split, pid=pid, camid=camid, sample_idx=idx,
                                       img_path=f'{split}/{pid:04d}_c{camid + 1}_{idx}.jpg'))
    for k, v in fields.items():
        ds.set_field(torch.as_tensor(v, dtype=torch.bool if k == 'pred_part_visibility'
                                     else torch.float32), k)
    return ds


def hand_samples():
    """q0 (pid 1, cam 0) = e1: g1 (1, cam 0, distance 0) is removed; then g0 (pid 0
    distractor, d .005), g2 (pid 1, d .106, positive), g3 (pid 2, d .804): AP 1/2, first
    hit at rank 2, INP 1/2. q1 (pid 2) = e2: g3 nearest, AP 1, INP 1.
    -> Rank-1 50, Rank-5 100, Rank-10 100, mAP 75, mINP 75."""
    return [
        sample('query', 1, 0, 0, pred_feature=[1, 0, 0]),
        sample('query', 2, 0, 1, pred_feature=[0, 1, 0]),
        sample('gallery', 0, 1, 2, pred_feature=[1, 0.1, 0]),
        sample('gallery', 1, 0, 3, pred_feature=[1, 0, 0]),
        sample('gallery', 1, 1, 4, pred_feature=[1, 0.5, 0]),
        sample('gallery', 2, 1, 5, pred_feature=[0.2, 1, 0]),
    ]


EXPECTED = {'reid/Rank-1': 50.0, 'reid/Rank-5': 100.0, 'reid/Rank-10': 100.0,
            'reid/mAP': 75.0, 'reid/mINP': 75.0}


def evaluate(metric, samples, batch=2):
    for i in range(0, len(samples), batch):
        metric.process({}, [s.to_dict() for s in samples[i:i + batch]])
    return metric.evaluate(len(samples))


def test_hand_made_ranking_cosine_and_euclidean(tmp_path):
    assert evaluate(METRICS.build(dict(type='ReIDMetric')), hand_samples()) == EXPECTED
    eu = evaluate(ReIDMetric(distance='euclidean', normalize_feature=True), hand_samples())
    assert eu == EXPECTED
    out = str(tmp_path / 'ranks' / 'r.pkl')
    res = evaluate(ReIDMetric(topk=(1, 2), prefix='x', out_file=out, rank_list_size=3),
                   hand_samples())
    assert res == {'x/Rank-1': 50.0, 'x/Rank-2': 100.0, 'x/mAP': 75.0, 'x/mINP': 75.0}
    with open(out, 'rb') as f:
        dump = pickle.load(f)
    # q0's list without the same-camera g1: g0, g2, g3 (gallery indices 0, 2, 3)
    assert dump['rank_indices'].tolist() == [[0, 2, 3], [3, 2, 0]]
    assert np.isfinite(dump['rank_distances']).all()
    assert dump['query_paths'][0] == 'query/0001_c1_0.jpg' and dump['g_pids'].tolist() == \
        [0, 1, 1, 2]


def test_errors():
    metric = ReIDMetric()
    with pytest.raises(ValueError, match="split 'train'"):
        metric.process({}, [sample('train', 1, 0, 0, pred_feature=[1.])])
    with pytest.raises(KeyError, match='pred_feature'):
        metric.process({}, [sample('query', 1, 0, 0)])
    with pytest.raises(KeyError, match='pred_part_features'):
        ReIDMetric(distance='aligned').process({}, [sample(
            'query', 1, 0, 0, pred_global_feature=[1.], pred_foreground_feature=[1.])])
    with pytest.raises(ValueError, match='distance'):
        ReIDMetric(distance='l1')


def random_samples(n_q=9, n_g=24, aligned=False, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n_q + n_g):
        split = 'query' if i < n_q else 'gallery'
        pid = int(rng.integers(0, 4))
        f = dict(pred_feature=rng.standard_normal(6))
        if aligned:
            f = dict(pred_global_feature=rng.standard_normal(6),
                     pred_foreground_feature=rng.standard_normal(6),
                     pred_part_features=rng.standard_normal((3, 6)),
                     pred_part_visibility=rng.random(3) > 0.3)
        out.append(sample(split, pid, int(rng.integers(0, 3)), i, **f))
    return out


def _functional(samples, key='pred_feature'):
    q = [s for s in samples if s.split == 'query']
    g = [s for s in samples if s.split == 'gallery']
    ids = [np.array([getattr(s, a) for s in part]) for a, part in
           (('pid', q), ('pid', g), ('camid', q), ('camid', g))]
    return q, g, ids


def test_rerank_and_aligned_match_functional():
    samples = random_samples()
    q, g, ids = _functional(samples)

    def cos(a, b):
        x = torch.nn.functional.normalize(torch.stack([s.pred_feature for s in a]), dim=1)
        y = torch.nn.functional.normalize(torch.stack([s.pred_feature for s in b]), dim=1)
        return (1 - x @ y.T).clamp(min=0).numpy()

    d = re_ranking(cos(q, g), cos(q, q), cos(g, g), k1=4, k2=2, lambda_value=0.3)
    ref = eval_reid(d, *ids)
    res = evaluate(ReIDMetric(rerank=True, k1=4, k2=2), samples)
    assert res['reid/mAP'] == round(ref['mAP'] * 100, 2)
    assert res['reid/Rank-1'] == round(float(ref['cmc'][0]) * 100, 2)

    samples = random_samples(aligned=True, seed=1)
    q, g, ids = _functional(samples)
    keys = ('pred_global_feature', 'pred_foreground_feature', 'pred_part_features',
            'pred_part_visibility')
    for mode in ('paper', 'official'):
        d = aligned_distance(*[torch.stack([getattr(s, k) for s in q]) for k in keys],
                             *[torch.stack([getattr(s, k) for s in g]) for k in keys], mode=mode)
        ref = eval_reid(d, *ids)
        res = evaluate(ReIDMetric(distance='aligned', aligned_mode=mode), samples)
        assert res['reid/mAP'] == round(ref['mAP'] * 100, 2)
        assert res['reid/mINP'] == round(ref['mINP'] * 100, 2)


def test_two_gloo_ranks_equal_one_process(tmp_path, spawn_ranks):
    """7 + 8 = 15 samples on 2 ranks (the sampler pads one): each counted once."""
    from conftest import evaluate_on_rank, free_port
    samples = [s.to_dict() for s in random_samples(n_q=7, n_g=8, seed=4)]
    cfg = dict(type='ReIDMetric', rerank=False)
    single = ReIDMetric()
    for i in range(0, len(samples), 2):
        single.process({}, samples[i:i + 2])
    expected = single.evaluate(len(samples))
    # a metric that saw a duplicate sample would differ: check the set is not trivial
    assert 0 < expected['reid/mAP'] < 100
    spawn_ranks(evaluate_on_rank, args=(2, free_port(), cfg, {}, samples, str(tmp_path)))
    for rank in range(2):
        with open(osp.join(tmp_path, f'rank{rank}.pkl'), 'rb') as f:
            assert pickle.load(f) == expected
