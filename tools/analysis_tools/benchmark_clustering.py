"""Benchmark the per-epoch clustering engine on synthetic feature maps.

Per-identity clustering (ISP's workload) streamed through the real
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

Example::

    OMP_NUM_THREADS=2 python tools/analysis_tools/benchmark_clustering.py \\
        --images 100 1000 10000 --backends torch faiss
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


def run_single(args):
    """One configuration in this process; prints one JSON line."""
    torch.set_num_threads(args.threads)
    import faiss
    faiss.omp_set_num_threads(args.threads)
    from mmengine.logging import MessageHub, MMLogger

    from hp_mm.engine.hooks.per_epoch_clustering_hook import (PeakMemoryMeter,
                                                               PerEpochClusteringHook, _rss_bytes)
    from hp_mm.models.task_modules import BatchedKMeans, FaissKMeans, pack_groups, unpack_groups

    C, H, W, K = args.channels, args.height, args.width, args.num_clusters
    sizes = _identity_sizes(args.images, args.images_per_id, args.market_sizes)
    group_of = np.repeat(np.arange(len(sizes)), sizes)
    N = len(group_of)
    gen = torch.Generator().manual_seed(0)
    prototypes = torch.randn(len(sizes), C, K, generator=gen)            # per identity, per part
    pool = torch.randn(4, C, H * W + 997, generator=gen) * args.noise    # noise pool
    part_of_row = torch.arange(H) * K // H                                 # K horizontal bands
    part_of_pos = part_of_row[:, None].expand(H, W).reshape(-1)

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
            for chunk in self.iter_groups(args.chunk_size, shard=True):
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
    hook.dataloader, hook.num_samples = batches, N
    uniq, inv = np.unique(group_of, return_inverse=True)
    hook.group_values, hook.group_index = torch.from_numpy(uniq), torch.from_numpy(inv)
    hook._model = torch.nn.Identity()
    hook.kmeans_time = hook.kmeans_cpu = 0.0
    hook._base_id = None
    logger = MMLogger.get_instance('bench_clustering', log_level='WARNING')
    runner = SimpleNamespace(work_dir=work_dir, logger=logger, iter=0,
                             message_hub=MessageHub.get_instance('bench_clustering'),
                             visualizer=SimpleNamespace(add_scalars=lambda *a, **k: None))
    rss0 = _rss_bytes()
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
        extract_s=round(hook._timers['extract'], 3),   # synthetic generation + streaming
        hook_s=round(total, 3), hook_cpu_s=round(total_cpu, 3), peak_mb=round((hwm - rss0) / 2**20, 1),
        hook_peak_mb=round(meter.peak_mb, 1),
        mean_iters=round(float(np.mean(hook.iterations)), 1),
        features_gb=round(N * C * H * W * 4 / 2**30, 2))))


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
    parser.add_argument('--out', help='also write the JSON lines here')
    parser.add_argument('--single', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--backend', default='torch', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.single:
        args.images = args.images[0]
        return run_single(args)

    rows = []
    root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads),
               PYTHONPATH=root + os.pathsep + os.environ.get('PYTHONPATH', ''))
    print(f'load average before: {os.getloadavg()}, threads {args.threads}', flush=True)
    for n in args.images:
        for backend in args.backends:
            cmd = [sys.executable, osp.abspath(__file__), '--single', '--backend', backend,
                   '--images', str(n)]
            for k in ('channels', 'height', 'width', 'num_clusters', 'images_per_id', 'noise',
                      'max_iter', 'chunk_size', 'batch_size', 'threads',
                      'max_points_per_centroid'):
                v = getattr(args, k)
                if v is not None:
                    cmd += ['--' + k.replace('_', '-'), str(v)]
            if args.market_sizes:
                cmd.append('--market-sizes')
            out = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if out.returncode:
                raise RuntimeError(out.stderr[-3000:])
            row = json.loads(out.stdout.strip().splitlines()[-1])
            row['load_avg'] = round(os.getloadavg()[0], 2)
            rows.append(row)
            print(json.dumps(row), flush=True)
    if args.out:
        with open(args.out, 'w') as f:
            f.writelines(json.dumps(r) + '\n' for r in rows)
    print('\n| backend | images | identities | k-means wall s | k-means CPU s | CPU s / 1k images | '
          'hook wall s | hook CPU s | peak MB | mean iters | load |')
    print('|---|---|---|---|---|---|---|---|---|---|---|')
    for r in rows:
        print(f"| {r['backend']} | {r['images']} | {r['identities']} | {r['kmeans_s']} | "
              f"{r['kmeans_cpu_s']} | {1000 * r['kmeans_cpu_s'] / r['images']:.2f} | {r['hook_s']} | "
              f"{r['hook_cpu_s']} | {r['peak_mb']} | {r['mean_iters']} | {r['load_avg']} |")


if __name__ == '__main__':
    main()
