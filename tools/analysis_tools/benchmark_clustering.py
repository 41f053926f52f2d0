"""Benchmark the per-epoch clustering engine on synthetic feature maps.

Two modes. **Hook** (default): per-identity clustering (ISP's workload) streamed through the real
:class:`PerEpochClusteringHook` machinery (``iter_groups`` chunks ->
``pack_groups`` -> k-means per identity -> ``write_labels`` -> the uint8 store),
with the torch back-end (:class:`BatchedKMeans`, all identities of a chunk at once)
or the faiss back-end (:class:`FaissKMeans`, one identity after the other). Each
configuration runs in a fresh subprocess, so its peak memory (``VmHWM`` minus the
RSS before the run; and the hook's own sampled peak) is its own.

Synthetic maps: ``images`` maps of ``C x H x W`` (default 256 x 64 x 32), identities
of ``--images-per-id`` images (or Market-1501-like sizes with ``--market-sizes``),
each position = the identity's prototype of one of K horizontal parts + Gaussian
noise (``--noise``), so Lloyd has a real structure to find. Generation (a pool of
noise reused with random offsets) is outside the timed clustering.

**Fit only** (``--fit-only``): the time of ``BatchedKMeans.fit`` alone over all chunks of
``--chunk-ids`` whole identities, each identity one problem (its images' positions
packed), on maps whose positions are the identity's prototype of one of
``--true-parts`` horizontal parts + noise. With ``--roots`` the same run is made with the
``hp_mm`` of each given checkout (e.g. a ``git worktree`` of an older commit), one after
the other on the same data, and printed side by side; it also reports the mean squared
distance of a position to its centroid (lower = a better clustering).

Examples::

    OMP_NUM_THREADS=2 python tools/analysis_tools/benchmark_clustering.py \\
        --images 100 1000 10000 --backends torch faiss
    # the k-means issue's workload: 1,000 identities x 10 images x 2,048 positions x 256
    # channels, 4 true parts, K = 6, chunks of 50 identities, old vs new code
    git worktree add /tmp/hp_old <old commit>
    OMP_NUM_THREADS=2 python tools/analysis_tools/benchmark_clustering.py --fit-only \\
        --images 10000 --images-per-id 10 --true-parts 4 --num-clusters 6 --chunk-ids 50 \\
        --roots /tmp/hp_old .
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import tempfile
import time
from types import SimpleNamespace

import numpy as np
import torch


def _identity_sizes(num_images, per_id, market, seed=0):
    """Images per identity: fixed, or drawn like Market-1501's train split
    (751 ids, 12,936 images: 2..72 per id, mean 17.2)."""
    if not market:
        sizes = [per_id] * (num_images // per_id)
        if num_images % per_id:
            sizes.append(num_images % per_id)
        return sizes
    rng = np.random.default_rng(seed)
    sizes = []
    while sum(sizes) < num_images:
        sizes.append(int(np.clip(rng.gamma(3.0, 17.2 / 3.0), 2, 72)))
    sizes[-1] -= sum(sizes) - num_images
    return [s for s in sizes if s > 0]


def _part_of_position(height, width, parts):
    """(H * W,) part of every position: ``parts`` horizontal bands."""
    return (torch.arange(height) * parts // height)[:, None].expand(height, width).reshape(-1)


def run_fit_only(args):
    """``BatchedKMeans.fit`` over all chunks of identities in this process (with the hp_mm
    found on ``sys.path``); prints one JSON line."""
    import inspect

    import hp_mm
    from hp_mm.models.task_modules import BatchedKMeans, pack_groups

    torch.set_num_threads(args.threads)
    C, H, W, K = args.channels, args.height, args.width, args.num_clusters
    per_id, num_ids = args.images_per_id, args.images // args.images_per_id
    gen = torch.Generator().manual_seed(0)
    prototypes = torch.randn(num_ids, C, args.true_parts or K, generator=gen)
    pool = torch.randn(4, C, H * W + 997, generator=gen) * args.noise
    part_of_pos = _part_of_position(H, W, args.true_parts or K)
    options = dict(max_iter=args.max_iter, seed=0,
                   max_points_per_centroid=args.max_points_per_centroid)
    if args.n_local_trials is not None:
        if 'n_local_trials' not in inspect.signature(BatchedKMeans).parameters:
            raise ValueError(f'{hp_mm.__file__}: this BatchedKMeans has no n_local_trials')
        options['n_local_trials'] = args.n_local_trials
    km = BatchedKMeans(K, **options)
    fit_s = fit_cpu = sq_dist = 0.0
    iterations, positions = [], 0
    for first in range(0, num_ids, args.chunk_ids):
        ids = torch.arange(first, min(first + args.chunk_ids, num_ids))
        feats = torch.empty(len(ids) * per_id, C, H * W)
        for j, i in enumerate(ids.repeat_interleave(per_id).tolist()):
            start = (j * 131 + i * 7) % 997
            torch.add(prototypes[i][:, part_of_pos], pool[j % 4, :, start:start + H * W],
                      out=feats[j])
        packed, mask = pack_groups(feats.permute(0, 2, 1), torch.arange(len(ids)).repeat_interleave(per_id))
        del feats
        G, L = mask.shape
        x = packed.view(G, L * H * W, C)
        m = mask[:, :, None].expand(G, L, H * W).reshape(G, -1)
        tic, cpu = time.perf_counter(), time.process_time()
        centroids, labels = km.fit(x, m, seeds=ids)
        fit_s += time.perf_counter() - tic
        fit_cpu += time.process_time() - cpu
        iterations.append(km.n_iter_)
        d = (x - torch.gather(centroids, 1, labels.clamp(min=0)[..., None].expand(-1, -1, C)))
        sq_dist += float(d.pow_(2).sum(-1)[m].sum())
        positions += int(m.sum())
        del packed, x, d
    print(json.dumps(dict(
        code=osp.dirname(osp.dirname(osp.abspath(hp_mm.__file__))), images=num_ids * per_id,
        identities=num_ids, chunk_ids=args.chunk_ids, num_clusters=K,
        true_parts=args.true_parts or K, n_local_trials=args.n_local_trials,
        fit_s=round(fit_s, 2), fit_cpu_s=round(fit_cpu, 2),
        mean_iters=round(float(np.mean(iterations)), 2),
        mean_sq_dist=round(sq_dist / positions, 5))))


def run_single(args):
    """One configuration in this process; prints one JSON line."""
    if args.fit_only:
        return run_fit_only(args)
    torch.set_num_threads(args.threads)
    import faiss
    faiss.omp_set_num_threads(args.threads)
    from mmengine.logging import MessageHub, MMLogger

    from hp_mm.engine.hooks.feature_stream import FeatureStream
    from hp_mm.engine.hooks.group_chunk_plan import index_groups
    from hp_mm.engine.hooks.per_epoch_clustering_hook import PerEpochClusteringHook
    from hp_mm.models.task_modules import BatchedKMeans, FaissKMeans, pack_groups, unpack_groups
    from hp_mm.utils.peak_memory import PeakMemoryMeter, rss_bytes

    C, H, W, K = args.channels, args.height, args.width, args.num_clusters
    sizes = _identity_sizes(args.images, args.images_per_id, args.market_sizes)
    group_of = np.repeat(np.arange(len(sizes)), sizes)
    N = len(group_of)
    gen = torch.Generator().manual_seed(0)
    prototypes = torch.randn(len(sizes), C, K, generator=gen)            # per identity, per part
    pool = torch.randn(4, C, H * W + 997, generator=gen) * args.noise    # noise pool
    part_of_pos = _part_of_position(H, W, K)                               # K horizontal bands

    class Synthetic(PerEpochClusteringHook):
        stores = ('default', )

        def extract(self, model, data_batch):
            idx = [s.metainfo['sample_idx'] for s in data_batch['data_samples']]
            out = torch.empty(len(idx), C, H * W)
            for b, i in enumerate(idx):
                if self._base_id != group_of[i]:  # images come identity by identity
                    self._base_id = group_of[i]
                    self._base = prototypes[group_of[i]][:, part_of_pos]
                start = (i * 131) % 997
                torch.add(self._base, pool[i % 4, :, start:start + H * W], out=out[b])
            return dict(feats=out.view(len(idx), C, H, W))

        def cluster(self, runner):
            self.iterations = []
            for chunk in self.iter_groups(shard=True):
                tic, cpu = time.perf_counter(), time.process_time()
                feats = chunk.pop('feats')                            # (n, C, H, W)
                n = feats.shape[0]
                packed, mask = pack_groups(feats.permute(0, 2, 3, 1), chunk['group_index'])
                del feats
                G, L = mask.shape
                x = packed.view(G, L * H * W, C)
                m = mask[:, :, None].expand(G, L, H * W).reshape(G, -1)
                if args.backend == 'torch':
                    km = BatchedKMeans(K, max_iter=args.max_iter, seed=0,
                                       max_points_per_centroid=args.max_points_per_centroid)
                    _, lab = km.fit(x, m, seeds=chunk['group_ids'])
                    self.iterations.append(km.n_iter_)
                else:
                    km = FaissKMeans(K, max_iter=args.max_iter, seed=0,
                                     max_points_per_centroid=args.max_points_per_centroid)
                    lab = torch.full((G, L * H * W), -1, dtype=torch.int64)
                    for g in range(G):
                        _, lab[g, m[g]] = km.fit(x[g, m[g]])
                    self.iterations.append(args.max_iter)
                self.kmeans_time += time.perf_counter() - tic
                self.kmeans_cpu += time.process_time() - cpu
                lab = unpack_groups(lab.view(G, L, H * W), chunk['group_index']).view(n, H, W)
                self.write_labels(chunk['sample_idx'], lab)

    work_dir = tempfile.mkdtemp(prefix='bench_clustering_')
    hook = Synthetic(chunk_size=args.chunk_size, show_progress=False)
    batches = [dict(data_samples=[SimpleNamespace(metainfo=dict(sample_idx=i))
                                  for i in range(s, min(s + args.batch_size, N))])
               for s in range(0, N, args.batch_size)]
    hook.num_samples = N
    hook.group_values, hook.group_index = index_groups(group_of)
    hook._model = torch.nn.Identity()
    hook.feature_stream = FeatureStream(batches, hook.extract, hook._model, N, show_progress=False)
    hook.kmeans_time = hook.kmeans_cpu = 0.0
    hook._base_id = None
    logger = MMLogger.get_instance('bench_clustering', log_level='WARNING')
    runner = SimpleNamespace(work_dir=work_dir, logger=logger, iter=0,
                             message_hub=MessageHub.get_instance('bench_clustering'),
                             visualizer=SimpleNamespace(add_scalars=lambda *a, **k: None))
    rss0 = rss_bytes()
    tic, cpu = time.perf_counter(), time.process_time()
    with PeakMemoryMeter() as meter:
        hook._run(runner, 0)
    total, total_cpu = time.perf_counter() - tic, time.process_time() - cpu
    with open('/proc/self/status') as f:
        hwm = [int(line.split()[1]) * 1024 for line in f if line.startswith('VmHWM')][0]
    print(json.dumps(dict(
        backend=args.backend, images=N, identities=len(sizes), chunk_size=args.chunk_size,
        max_points_per_centroid=args.max_points_per_centroid,
        kmeans_s=round(hook.kmeans_time, 3), kmeans_cpu_s=round(hook.kmeans_cpu, 3),
        extract_s=round(hook.stats['clustering/extract_time'], 3),  # generation + streaming
        hook_s=round(total, 3), hook_cpu_s=round(total_cpu, 3), peak_mb=round((hwm - rss0) / 2**20, 1),
        hook_peak_mb=round(meter.peak_mb, 1),
        mean_iters=round(float(np.mean(hook.iterations)), 1),
        features_gb=round(N * C * H * W * 4 / 2**30, 2))))


def _run_subprocess(args, root, extra):
    """This script with ``--single`` in a fresh process whose ``hp_mm`` is the one in
    ``root``; returns its JSON row with the load average after it."""
    cmd = [sys.executable, osp.abspath(__file__), '--single'] + extra
    for k in ('channels', 'height', 'width', 'num_clusters', 'images_per_id', 'noise',
              'max_iter', 'chunk_size', 'batch_size', 'threads', 'max_points_per_centroid',
              'true_parts', 'chunk_ids', 'n_local_trials'):
        v = getattr(args, k)
        if v is not None:
            cmd += ['--' + k.replace('_', '-'), str(v)]
    for flag in ('market_sizes', 'fit_only'):
        if getattr(args, flag):
            cmd.append('--' + flag.replace('_', '-'))
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads),
               PYTHONPATH=osp.abspath(root) + os.pathsep + os.environ.get('PYTHONPATH', ''))
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=osp.abspath(root))
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    row = json.loads(out.stdout.strip().splitlines()[-1])
    row['load_avg'] = round(os.getloadavg()[0], 2)
    print(json.dumps(row), flush=True)
    return row


def _print_tables(rows, fit_only):
    if fit_only:
        print('\n| code | images | identities | K (true parts) | k-means++ trials | fit wall s | '
              'fit CPU s | mean Lloyd iters | mean squared distance | load |')
        print('|---|---|---|---|---|---|---|---|---|---|')
        for r in rows:
            print(f"| {r['code']} | {r['images']} | {r['identities']} | {r['num_clusters']} "
                  f"({r['true_parts']}) | {r['n_local_trials'] or 'default'} | {r['fit_s']} | "
                  f"{r['fit_cpu_s']} | {r['mean_iters']} | {r['mean_sq_dist']} | {r['load_avg']} |")
        return
    print('\n| backend | images | identities | k-means wall s | k-means CPU s | CPU s / 1k images | '
          'hook wall s | hook CPU s | peak MB | mean iters | load |')
    print('|---|---|---|---|---|---|---|---|---|---|---|')
    for r in rows:
        print(f"| {r['backend']} | {r['images']} | {r['identities']} | {r['kmeans_s']} | "
              f"{r['kmeans_cpu_s']} | {1000 * r['kmeans_cpu_s'] / r['images']:.2f} | {r['hook_s']} | "
              f"{r['hook_cpu_s']} | {r['peak_mb']} | {r['mean_iters']} | {r['load_avg']} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--images', type=int, nargs='+', default=[100, 300, 1000, 3000, 10000])
    parser.add_argument('--backends', nargs='+', default=['torch', 'faiss'],
                        choices=['torch', 'faiss'])
    parser.add_argument('--channels', type=int, default=256)
    parser.add_argument('--height', type=int, default=64)
    parser.add_argument('--width', type=int, default=32)
    parser.add_argument('--num-clusters', type=int, default=7)
    parser.add_argument('--images-per-id', type=int, default=16)
    parser.add_argument('--market-sizes', action='store_true',
                        help='Market-1501-like identity sizes instead of --images-per-id')
    parser.add_argument('--noise', type=float, default=0.6)
    parser.add_argument('--max-iter', type=int, default=20)
    parser.add_argument('--max-points-per-centroid', type=int, default=None)
    parser.add_argument('--chunk-size', type=int, default=64)
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--threads', type=int, default=int(os.environ.get('OMP_NUM_THREADS', 2)))
    parser.add_argument('--fit-only', action='store_true',
                        help='time BatchedKMeans.fit alone over chunks of --chunk-ids identities')
    parser.add_argument('--true-parts', type=int, default=None,
                        help='parts of the synthetic maps (default: --num-clusters)')
    parser.add_argument('--chunk-ids', type=int, default=50,
                        help='identities per chunk (--fit-only)')
    parser.add_argument('--n-local-trials', type=int, default=None,
                        help='BatchedKMeans n_local_trials (1: plain k-means++; --fit-only)')
    parser.add_argument('--roots', nargs='+', default=None,
                        help='checkouts whose hp_mm to run, side by side (--fit-only; default '
                        'this one)')
    parser.add_argument('--out', help='also write the JSON lines here')
    parser.add_argument('--single', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--backend', default='torch', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.single:
        args.images = args.images[0]
        return run_single(args)
    if args.roots and not args.fit_only:
        parser.error('--roots needs --fit-only (other checkouts may lack the hook API)')

    here = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    print(f'load average before: {os.getloadavg()}, threads {args.threads}', flush=True)
    rows = []
    for n in args.images:
        if args.fit_only:
            rows += [_run_subprocess(args, root, ['--images', str(n)])
                     for root in (args.roots or [here])]
        else:
            rows += [_run_subprocess(args, here, ['--backend', backend, '--images', str(n)])
                     for backend in args.backends]
    if args.out:
        with open(args.out, 'w') as f:
            f.writelines(json.dumps(r) + '\n' for r in rows)
    _print_tables(rows, args.fit_only)


if __name__ == '__main__':
    main()
