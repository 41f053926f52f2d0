"""Benchmark hp_mm's re-ID evaluation against the plain per-query Python loop.

Market-1501-sized random features (3,368 queries x 15,913 gallery, 2,048 channels,
750 test identities over 6 cameras plus distractors), then:

1. ``eval_reid`` (hp_mm, chunked, sorted values + binary search) vs
   :func:`loop_eval_reid`, the torchreid reference (``torchreid/metrics/rank.py``
   ``eval_market1501``: one argsort of the whole matrix, then a loop over queries,
   with fast-reid's mINP) written out below;
2. ``re_ranking`` (hp_mm, sparse) vs :func:`loop_re_ranking`, the authors' k-reciprocal
   re-ranking (zhunzhong07/person-re-ranking, as in torchreid ``utils/rerank.py``),
   which holds several dense (N, N) arrays (N = 19,281: ~1.5 GB each).

Each variant runs in a fresh process that loads the float32 distance matrices from .npy
files; its peak memory is the resident-set high-water mark during the call (reset
before it through ``/proc/self/clear_refs``) minus the memory held before the call.
The features are clustered by identity so that rankings and neighbourhoods are not
trivial.

Usage::

    OMP_NUM_THREADS=1 python tools/analysis_tools/benchmark_reid_eval.py
    python tools/analysis_tools/benchmark_reid_eval.py --scale 0.25 --skip-loop-rerank
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

NOISE = 4.0  # per-channel noise around the identity centre (Rank-1 ~ 70 %)


# ----------------------------------------------------------------- references
def loop_eval_reid(distmat, q_pids, g_pids, q_camids, g_camids, max_rank=50):
    """The per-query loop of torchreid's ``eval_market1501`` (+ fast-reid mINP).

    Returns:
        dict: ``cmc`` (max_rank,), ``mAP``, ``mINP`` (fractions).
    """
    num_q, num_g = distmat.shape
    indices = np.argsort(distmat, axis=1, kind='stable')
    matches = (g_pids[indices] == q_pids[:, np.newaxis]).astype(np.int32)
    all_cmc, all_ap, all_inp = [], [], []
    for q_idx in range(num_q):
        order = indices[q_idx]
        remove = (g_pids[order] == q_pids[q_idx]) & (g_camids[order] == q_camids[q_idx])
        raw_cmc = matches[q_idx][np.invert(remove)]
        if not np.any(raw_cmc):
            continue
        cmc = raw_cmc.cumsum()
        pos_max = np.max(np.where(raw_cmc == 1))
        all_inp.append(cmc[pos_max] / (pos_max + 1.0))
        cmc[cmc > 1] = 1
        cmc = np.concatenate([cmc, np.full(max(0, max_rank - len(cmc)), 1)])
        all_cmc.append(cmc[:max_rank])
        num_rel = raw_cmc.sum()
        tmp = raw_cmc.cumsum() / (np.arange(len(raw_cmc)) + 1.0) * raw_cmc
        all_ap.append(tmp.sum() / num_rel)
    assert all_cmc, 'all query identities do not appear in the gallery'
    return dict(cmc=np.asarray(all_cmc, np.float64).mean(0), mAP=float(np.mean(all_ap)),
                mINP=float(np.mean(all_inp)))


def loop_re_ranking(q_g_dist, q_q_dist, g_g_dist, k1=20, k2=6, lambda_value=0.3):
    """The authors' k-reciprocal re-ranking, dense (N, N) arrays and per-row loops.

    Only change: stable argsort, so that ties are broken as in hp_mm.
    """
    original_dist = np.concatenate([
        np.concatenate([q_q_dist, q_g_dist], axis=1),
        np.concatenate([q_g_dist.T, g_g_dist], axis=1)], axis=0)
    original_dist = np.power(original_dist, 2).astype(np.float32)
    original_dist = np.transpose(1. * original_dist / np.max(original_dist, axis=0))
    V = np.zeros_like(original_dist).astype(np.float32)
    initial_rank = np.argsort(original_dist, kind='stable').astype(np.int32)
    query_num = q_g_dist.shape[0]
    all_num = query_num + q_g_dist.shape[1]
    for i in range(all_num):
        forward = initial_rank[i, :k1 + 1]
        backward = initial_rank[forward, :k1 + 1]
        k_recip = forward[np.where(backward == i)[0]]
        expansion = k_recip
        for candidate in k_recip:
            c_fwd = initial_rank[candidate, :int(np.around(k1 / 2.)) + 1]
            c_back = initial_rank[c_fwd, :int(np.around(k1 / 2.)) + 1]
            c_recip = c_fwd[np.where(c_back == candidate)[0]]
            if len(np.intersect1d(c_recip, k_recip)) > 2. / 3 * len(c_recip):
                expansion = np.append(expansion, c_recip)
        expansion = np.unique(expansion)
        weight = np.exp(-original_dist[i, expansion])
        V[i, expansion] = 1. * weight / np.sum(weight)
    original_dist = original_dist[:query_num, ]
    if k2 != 1:
        V_qe = np.zeros_like(V, dtype=np.float32)
        for i in range(all_num):
            V_qe[i, :] = np.mean(V[initial_rank[i, :k2], :], axis=0)
        V = V_qe
        del V_qe
    del initial_rank
    inv_index = [np.where(V[:, i] != 0)[0] for i in range(all_num)]
    jaccard_dist = np.zeros_like(original_dist, dtype=np.float32)
    for i in range(query_num):
        temp_min = np.zeros(shape=[1, all_num], dtype=np.float32)
        non_zero = np.where(V[i, :] != 0)[0]
        for j in non_zero:
            rows = inv_index[j]
            temp_min[0, rows] = temp_min[0, rows] + np.minimum(V[i, j], V[rows, j])
        jaccard_dist[i] = 1 - temp_min / (2. - temp_min)
    final_dist = jaccard_dist * (1 - lambda_value) + original_dist * lambda_value
    return final_dist[:query_num, query_num:]


# ----------------------------------------------------------------- data
def market_like(scale=1.0, dim=2048, seed=0):
    """Random features shaped like Market-1501's test set.

    Returns:
        dict: ``qf`` (Nq, C), ``gf`` (Ng, C) float32 (L2-normalised), ``q_pids``,
        ``g_pids``, ``q_camids``, ``g_camids``.
    """
    rng = np.random.default_rng(seed)
    nq, ng, nid = int(3368 * scale), int(15913 * scale), max(2, int(750 * scale))
    centres = rng.standard_normal((nid + 1, dim)).astype(np.float32)
    q_pids = rng.integers(1, nid + 1, nq)
    n_distr = int(0.17 * ng)  # ~2,800 distractor (pid 0) boxes in Market's gallery
    g_pids = np.concatenate([rng.integers(1, nid + 1, ng - n_distr), np.zeros(n_distr, int)])
    q_camids, g_camids = rng.integers(0, 6, nq), rng.integers(0, 6, ng)

    def feats(pids):
        f = centres[pids] + NOISE * rng.standard_normal((len(pids), dim)).astype(np.float32)
        return (f / np.linalg.norm(f, axis=1, keepdims=True)).astype(np.float32)

    return dict(qf=feats(q_pids), gf=feats(g_pids), q_pids=q_pids, g_pids=g_pids,
                q_camids=q_camids, g_camids=g_camids)


def _cosine(a, b):
    return (1 - a @ b.T).clip(min=0).astype(np.float32)


# ----------------------------------------------------------------- one variant
def _status_mb(field):
    """A memory line of /proc/self/status (``VmRSS``, ``VmHWM``) in MB, or None."""
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith(field + ':'):
                    return int(line.split()[1]) / 1024.
    except OSError:
        pass
    return None


def _reset_peak():
    """Reset the peak-RSS mark (Linux ``clear_refs`` 5); False where unsupported."""
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
        return True
    except OSError:
        return False


def save_inputs(scale, out_dir):
    """Write the distance matrices and ids as .npy files (float32 distances)."""
    d = market_like(scale)
    for name in ('q_pids', 'g_pids', 'q_camids', 'g_camids'):
        np.save(os.path.join(out_dir, name + '.npy'), d[name])
    for name, (a, b) in dict(q_g=('qf', 'gf'), q_q=('qf', 'qf'), g_g=('gf', 'gf')).items():
        np.save(os.path.join(out_dir, name + '.npy'), _cosine(d[a], d[b]))


def run_variant(name, in_dir):
    """Time one variant in this process; peak memory beyond the loaded inputs."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.path.insert(0, root)
    from hp_mm.evaluation.functional.reid import eval_reid, re_ranking  # noqa: F401
    rerank = name.endswith('rerank')

    def load(n):
        return np.load(os.path.join(in_dir, n + '.npy'))

    ids = tuple(load(n) for n in ('q_pids', 'g_pids', 'q_camids', 'g_camids'))
    q_g = load('q_g')
    if rerank:
        q_q, g_g = load('q_q'), load('g_g')
    if _reset_peak() and _status_mb('VmHWM') is not None:
        base = _status_mb('VmRSS')

        def peak_now():
            return _status_mb('VmHWM')
    else:  # high-water mark since the start: may hide the call's own peak
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.

        def peak_now():
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.
    t0 = time.perf_counter()
    if name.startswith('hp_mm'):
        dist = re_ranking(q_g, q_q, g_g) if rerank else q_g
        t1 = time.perf_counter()
        res = eval_reid(dist, *ids)
    else:
        dist = loop_re_ranking(q_g, q_q, g_g) if rerank else q_g
        t1 = time.perf_counter()
        res = loop_eval_reid(dist, *ids)
    t2 = time.perf_counter()
    peak = peak_now()
    return dict(variant=name, rerank_s=round(t1 - t0, 2), eval_s=round(t2 - t1, 2),
                total_s=round(t2 - t0, 2), peak_extra_mb=round(peak - base),
                inputs_mb=round(sum(a.nbytes for a in (q_g, ) + (
                    (q_q, g_g) if rerank else ())) / 2**20),
                rank1=round(float(res['cmc'][0]) * 100, 3),
                mAP=round(res['mAP'] * 100, 3), mINP=round(res['mINP'] * 100, 3))


def main():
    import tempfile
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--scale', type=float, default=1.0, help='fraction of Market-1501 size')
    parser.add_argument('--skip-loop-rerank', action='store_true',
                        help='skip the reference re-ranking (minutes and ~8 GB at full scale)')
    parser.add_argument('--variants', nargs='+',
                        choices=['hp_mm', 'loop', 'hp_mm+rerank', 'loop+rerank'],
                        help='run only these')
    parser.add_argument('--variant', help=argparse.SUPPRESS)
    parser.add_argument('--inputs', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        print(json.dumps(run_variant(args.variant, args.inputs)))
        return
    variants = args.variants or ['hp_mm', 'loop', 'hp_mm+rerank'] + (
        [] if args.skip_loop_rerank else ['loop+rerank'])
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        save_inputs(args.scale, tmp)
        for v in variants:
            out = subprocess.run([sys.executable, __file__, '--variant', v, '--inputs', tmp],
                                 capture_output=True, text=True)
            if out.returncode:
                raise RuntimeError(f'variant {v} failed:\n{out.stderr[-3000:]}')
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(rows[-1], flush=True)
    nq, ng = int(3368 * args.scale), int(15913 * args.scale)
    print(f'\n{nq} queries x {ng} gallery; peak memory is beyond the loaded float32 inputs')
    print('| variant | re-ranking s | eval s | total s | inputs MB | peak extra MB | R1 % | '
          'mAP % | mINP % |')
    print('|---|---|---|---|---|---|---|---|---|')
    for r in rows:
        print(f"| {r['variant']} | {r['rerank_s']} | {r['eval_s']} | {r['total_s']} | "
              f"{r['inputs_mb']} | {r['peak_extra_mb']} | {r['rank1']} | {r['mAP']} | "
              f"{r['mINP']} |")


if __name__ == '__main__':
    main()
