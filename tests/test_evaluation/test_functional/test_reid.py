"""Market-1501 protocol, k-reciprocal re-ranking and ISP's aligned distance, by hand."""
import importlib.util
import math
import os.path as osp

import numpy as np
import pytest
import torch

from hp_mm.evaluation.functional import (aligned_distance, cosine_distance,
                                         euclidean_distance, eval_reid, re_ranking)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def reference():
    """The per-query loops written out in tools/analysis_tools/benchmark_reid_eval.py."""
    path = osp.join(ROOT, 'tools', 'analysis_tools', 'benchmark_reid_eval.py')
    spec = importlib.util.spec_from_file_location('benchmark_reid_eval', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# Four queries, six gallery images (pid, camera):
#   g0 (0, 1) distractor   g1 (1, 0)   g2 (1, 1)   g3 (2, 1)   g4 (1, 2)   g5 (3, 0)
G_PIDS = np.array([0, 1, 1, 2, 1, 3])
G_CAMS = np.array([1, 0, 1, 1, 2, 0])
Q_PIDS = np.array([1, 3, 2, 1])
Q_CAMS = np.array([0, 0, 0, 1])
DIST = np.array([
    # q0 (1, c0): g0 distractor first, g1 same pid+camera removed; kept order
    #   g0 -, g2 +, g3 -, g4 +, g5 -  -> positives at ranks 2 and 4
    [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
    # q1 (3, c0): its only gallery image g5 is in its own camera -> skipped
    [0.5, 0.4, 0.3, 0.2, 0.1, 0.05],
    # q2 (2, c0): g3 first
    [0.3, 0.4, 0.5, 0.05, 0.6, 0.7],
    # q3 (1, c1): g2 (1, c1) removed; kept order g5 -, g3 -, g4 +, g1 +, g0 -
    [0.9, 0.8, 0.1, 0.2, 0.3, 0.05],
])


def test_eval_reid_hand_computed():
    res = eval_reid(DIST, Q_PIDS, G_PIDS, Q_CAMS, G_CAMS, max_rank=5)
    assert set(res) == {'cmc', 'mAP', 'mINP'}
    # valid queries q0, q2, q3; first positive ranks 2, 1, 3
    np.testing.assert_allclose(res['cmc'], [1 / 3, 2 / 3, 1, 1, 1])
    ap = [(1 / 2 + 2 / 4) / 2, 1.0, (1 / 3 + 2 / 4) / 2]
    assert res['mAP'] == pytest.approx(np.mean(ap))
    # INP = positives / rank of the last positive: 2/4, 1/1, 2/4
    assert res['mINP'] == pytest.approx((0.5 + 1 + 0.5) / 3)
    assert isinstance(res['mAP'], float) and isinstance(res['mINP'], float)


def test_eval_reid_cmc_length_torch_inputs_and_chunks():
    res = eval_reid(torch.from_numpy(DIST), torch.from_numpy(Q_PIDS), G_PIDS, Q_CAMS,
                    G_CAMS, max_rank=50, chunk_size=1)
    assert res['cmc'].shape == (50, )  # longer than the 5 kept gallery images: plateau
    np.testing.assert_allclose(res['cmc'][:3], [1 / 3, 2 / 3, 1])
    assert (res['cmc'][3:] == 1).all()
    # only q1: every query skipped
    with pytest.raises(ValueError, match='skipped'):
        eval_reid(DIST[1:2], Q_PIDS[1:2], G_PIDS, Q_CAMS[1:2], G_CAMS)
    with pytest.raises(ValueError, match='q_pids'):
        eval_reid(DIST, Q_PIDS[:3], G_PIDS, Q_CAMS, G_CAMS)


def test_eval_reid_matches_per_query_loop_with_ties():
    ref = reference()
    rng = np.random.default_rng(0)
    q_pids, g_pids = rng.integers(0, 8, 40), rng.integers(0, 8, 150)
    q_cams, g_cams = rng.integers(0, 3, 40), rng.integers(0, 3, 150)
    dist = rng.integers(0, 12, (40, 150)).astype(np.float32)  # many ties
    ours = eval_reid(dist, q_pids, g_pids, q_cams, g_cams, max_rank=20, chunk_size=7)
    loop = ref.loop_eval_reid(dist, q_pids, g_pids, q_cams, g_cams, max_rank=20)
    np.testing.assert_allclose(ours['cmc'], loop['cmc'])
    assert ours['mAP'] == pytest.approx(loop['mAP'])
    assert ours['mINP'] == pytest.approx(loop['mINP'])


# ------------------------------------------------------------------ re-ranking
def test_re_ranking_three_images_by_hand():
    """1 query q, gallery a, b; d(q,a) = 1, d(q,b) = 2, d(a,b) = 3; k1 = 1, k2 = 1.

    D^2 / column max, transposed: O = [[0, 1/4, 1], [1/9, 0, 1], [4/9, 1, 0]];
    R(q) = {q, a} (a's 2 nearest are a, q), R(a) = {a, q}, R(b) = {b};
    V[q] = (1, e^-1/4, 0) / (1 + e^-1/4), V[a] = (e^-1/9, 1, 0) / (1 + e^-1/9);
    m(q, a) = min(V[q,q], V[a,q]) + min(V[q,a], V[a,a]), m(q, b) = 0;
    d = 0.7 * (1 - m / (2 - m)) + 0.3 * O[q].
    """
    q_g = np.array([[1., 2.]])
    q_q = np.array([[0.]])
    g_g = np.array([[0., 3.], [3., 0.]])
    out = re_ranking(q_g, q_q, g_g, k1=1, k2=1, lambda_value=0.3)
    vq = np.array([1, math.exp(-0.25)]) / (1 + math.exp(-0.25))
    va = np.array([math.exp(-1 / 9), 1]) / (1 + math.exp(-1 / 9))
    m = np.minimum(vq, va).sum()
    expected = [0.7 * (1 - m / (2 - m)) + 0.3 * 0.25, 0.7 * 1 + 0.3 * 1]
    assert out.shape == (1, 2) and out.dtype == np.float32
    np.testing.assert_allclose(out[0], expected, rtol=1e-6)
    # lambda = 1: just the normalised squared distance
    np.testing.assert_allclose(re_ranking(q_g, q_q, g_g, k1=1, k2=1, lambda_value=1.0),
                               [[0.25, 1.0]], rtol=1e-6)


def _cos(a, b):
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return (1 - a @ b.T).clip(min=0).astype(np.float32)


@pytest.mark.parametrize('k1,k2,lam', [(20, 6, 0.3), (5, 3, 0.5), (4, 1, 0.0), (7, 7, 0.3)])
def test_re_ranking_matches_reference(k1, k2, lam):
    ref = reference()
    rng = np.random.default_rng(k1)
    centres = rng.standard_normal((6, 16))
    qf = centres[rng.integers(0, 6, 25)] + 0.8 * rng.standard_normal((25, 16))
    gf = centres[rng.integers(0, 6, 70)] + 0.8 * rng.standard_normal((70, 16))
    args = (_cos(qf, gf), _cos(qf, qf), _cos(gf, gf))
    ours = re_ranking(*args, k1=k1, k2=k2, lambda_value=lam, chunk_size=16)
    loop = ref.loop_re_ranking(*args, k1=k1, k2=k2, lambda_value=lam)
    np.testing.assert_allclose(ours, loop, atol=2e-6)


def test_re_ranking_ties_match_reference():
    """Integer distances (many ties): neighbours ranked stably in both."""
    ref = reference()
    rng = np.random.default_rng(1)
    a = np.triu(rng.integers(1, 6, (40, 40)).astype(np.float32), 1)
    a = a + a.T
    args = (a[:10, 10:], a[:10, :10], a[10:, 10:])
    np.testing.assert_allclose(re_ranking(*args, k1=5, k2=3),
                               ref.loop_re_ranking(*args, k1=5, k2=3), atol=1e-6)


def test_re_ranking_symmetric_inputs():
    """Query set = gallery set: the Jaccard part (lambda = 0) is symmetric with a zero
    diagonal (sum_k min(V_i, V_i) = 1); torch inputs are accepted."""
    rng = np.random.default_rng(3)
    f = rng.standard_normal((30, 8))
    d = torch.from_numpy(_cos(f, f))
    out = re_ranking(d, d, d, k1=6, k2=3, lambda_value=0.0)
    np.testing.assert_allclose(out, out.T, atol=1e-6)
    np.testing.assert_allclose(np.diag(out), 0, atol=1e-6)
    assert (out >= -1e-6).all() and (out <= 1 + 1e-6).all()
    with pytest.raises(ValueError, match='g_g_dist'):
        re_ranking(d[:5], d[:5, :5], d[:4, :4])


# ------------------------------------------------------------------ distances
def test_cosine_and_euclidean_distance():
    x = np.array([[3., 4.], [0., 0.]], np.float32)
    y = np.array([[3., 4.], [4., -3.], [-6., -8.]], np.float32)
    np.testing.assert_allclose(cosine_distance(x, y), [[0, 1, 2], [1, 1, 1]], atol=1e-6)
    np.testing.assert_allclose(euclidean_distance(x, y), [[0, math.sqrt(50), 15], [5, 5, 10]],
                               rtol=1e-6)
    sq = euclidean_distance(torch.from_numpy(x), torch.from_numpy(y), squared=True)
    assert isinstance(sq, torch.Tensor)
    torch.testing.assert_close(sq, torch.tensor([[0., 50., 225.], [25., 25., 100.]]))


def test_aligned_distance_by_hand():
    """C = 2, K - 1 = 2 parts.

    q0: global (1, 0), fore (0, 1), parts (1, 0), (1, 1), both visible.
    q1: same features, only part 1 visible.
    g0: global (1, 0) [d_g 0], fore (1, 0) [d_f 1], parts (0, 1) [d_0 1], (1, 1) [d_1 0];
        only part 0 visible (part 1 is visible in q0 only: excluded).
    g1: the same features, no part visible.

    paper eq. 10: q0-g0 (d_0 + d_g + d_f) / (1 + 2) = 2/3; q0-g1 (0 + 1) / 2;
    q1-g0: part 0 visible in g0 only, part 1 in q1 only: (0 + 1) / 2.
    official: s_gf = (1 + cos([1,0,0,1], [1,0,1,0])) / 2 = 0.75, s_0 = (1 + 0) / 2;
    q0-g0: 1 - (0.5 + 0.75) / 2 = 0.375; no shared part: 1 - 0.75 = 0.25.
    """
    q_global = torch.tensor([[1., 0.], [1., 0.]])
    q_fore = torch.tensor([[0., 1.], [0., 1.]])
    q_parts = torch.tensor([[[1., 0.], [1., 1.]], [[1., 0.], [1., 1.]]])
    q_vis = torch.tensor([[True, True], [False, True]])
    g_global = torch.tensor([[1., 0.], [1., 0.]])
    g_fore = torch.tensor([[1., 0.], [1., 0.]])
    g_parts = torch.tensor([[[0., 1.], [1., 1.]], [[0., 1.], [1., 1.]]])
    g_vis = torch.tensor([[True, False], [False, False]])
    args = (q_global, q_fore, q_parts, q_vis, g_global, g_fore, g_parts, g_vis)
    paper = aligned_distance(*args)
    assert isinstance(paper, torch.Tensor) and paper.shape == (2, 2)
    torch.testing.assert_close(paper, torch.tensor([[2 / 3, 0.5], [0.5, 0.5]]))
    official = aligned_distance(*args, mode='official', chunk_size=1)
    torch.testing.assert_close(official, torch.tensor([[0.375, 0.25], [0.25, 0.25]]))
    as_np = aligned_distance(*(a.numpy() for a in args))
    assert isinstance(as_np, np.ndarray)
    np.testing.assert_allclose(as_np, paper.numpy())
    with pytest.raises(ValueError, match='visibility'):
        aligned_distance(*args[:3], q_vis[:, :1], *args[4:])


def test_pair_distance_by_hand():
    from hp_mm.evaluation.functional import pair_distance
    q = {'feature': torch.tensor([[1., 0.], [0., 2.]])}
    g = {'feature': torch.tensor([[3., 0.], [1., 1.]])}
    s = 2 ** -0.5
    # cosine: 1 - cos; a parallel pair is 0 (clamped against rounding), orthogonal 1
    np.testing.assert_allclose(pair_distance(q, g, 'cosine'), [[0., 1 - s], [1., 1 - s]],
                               atol=1e-6)
    # euclidean of the l2-normalised features: |(1,0)-(s,s)| = sqrt(2 - 2s)
    np.testing.assert_allclose(pair_distance(q, g, 'euclidean'),
                               [[0., (2 - 2 * s) ** .5], [2 ** .5, (2 - 2 * s) ** .5]], atol=1e-6)
    np.testing.assert_allclose(pair_distance(q, g, 'euclidean', normalize_feature=False),
                               [[2., 1.], [13 ** .5, 2 ** .5]], atol=1e-6)
    with pytest.raises(KeyError, match='part_features'):
        pair_distance(q, g, 'aligned')
    with pytest.raises(ValueError, match='distance must be one of'):
        pair_distance(q, g, 'l1')
