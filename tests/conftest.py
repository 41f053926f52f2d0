"""Shared fixtures: small MiniHumans sets generated on the fly in the real on-disk formats."""
import os
import os.path as osp
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
os.environ.setdefault('OMP_NUM_THREADS', '2')


@pytest.fixture(scope='session')
def lip_root(tmp_path_factory):
    """A 24-train / 8-val MiniHumans set in LIP's official layout (small images)."""
    from hp_mm.minihumans import generate_dataset
    root = str(tmp_path_factory.mktemp('minihumans') / 'LIP')
    generate_dataset('lip', root, num_train=24, num_val=8, seed=3, workers=1, max_size=96)
    return root


def run_tool(args, cwd=ROOT, env=None, timeout=600):
    """Run a tools/ script in a fresh interpreter; return the CompletedProcess (checked)."""
    import subprocess
    full_env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    full_env.update(env or {})
    proc = subprocess.run([sys.executable] + args, cwd=cwd, env=full_env, capture_output=True,
                          text=True, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f'{args} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n'
                             f'{proc.stderr[-6000:]}')
    return proc


def free_port():
    """A TCP port free on 127.0.0.1 now (for gloo ``init_method`` / ``PORT``)."""
    import socket
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def two_person_scene():
    """The hand-built multi-person scene of the QANet metric tests (4 rows x 10 columns,
    classes 0 background, 1 head, 2 left-arm, 3 right-arm)::

        col:   0 1 2 3 | 4 5 | 6 7 8 9
        row 0: 1 1 1 1 | 0 0 | 1 1 1 1      person A = instance 1 (cols 0-3, 16 px)
        row 1: 1 1 1 1 | 0 0 | 1 1 1 1      person B = instance 2 (cols 6-9, 16 px)
        row 2: 2 2 3 3 | 0 0 | 2 2 3 3      each: head 8 px, left-arm 4 px, right-arm 4 px
        row 3: 2 2 3 3 | 0 0 | 2 2 3 3      background: cols 4-5, 8 px

    Returns:
        tuple: (category map, instance map), int64 arrays of shape (4, 10).
    """
    import numpy as np
    cat = np.zeros((4, 10), dtype=np.int64)
    inst = np.zeros((4, 10), dtype=np.int64)
    for x0, pid in ((0, 1), (6, 2)):
        cat[0:2, x0:x0 + 4] = 1
        cat[2:4, x0:x0 + 2] = 2
        cat[2:4, x0 + 2:x0 + 4] = 3
        inst[:, x0:x0 + 4] = pid
    return cat, inst


def shard_indices(num_samples, rank, world_size):
    """The indices that mmengine's DefaultSampler(shuffle=False, round_up=True) gives a rank."""
    total = -(-num_samples // world_size) * world_size
    indices = (list(range(num_samples)) * world_size)[:total]
    return indices[rank:total:world_size]


def evaluate_on_rank(rank, world_size, port, metric_cfg, meta, samples, out_dir):
    """A gloo rank: evaluate its shard of ``samples`` (batches of 2) with an mmengine
    ``Evaluator`` of ``METRICS.build(metric_cfg)``, pickle the result to ``rank{rank}.pkl``."""
    import pickle

    import torch.distributed as dist
    from mmengine.evaluator import Evaluator

    from hp_mm.registry import METRICS
    os.environ['MASTER_ADDR'] = '127.0.0.1'
    os.environ['MASTER_PORT'] = str(port)
    dist.init_process_group('gloo', rank=rank, world_size=world_size)
    try:
        evaluator = Evaluator(METRICS.build(metric_cfg))
        evaluator.dataset_meta = meta
        indices = shard_indices(len(samples), rank, world_size)
        for start in range(0, len(indices), 2):
            evaluator.process([samples[i] for i in indices[start:start + 2]])
        res = evaluator.evaluate(len(samples))
        with open(os.path.join(out_dir, f'rank{rank}.pkl'), 'wb') as f:
            pickle.dump(res, f)
    finally:
        dist.destroy_process_group()


def _spawn_ranks(fn, args=(), nprocs=2, timeout=240):
    """``torch.multiprocessing.spawn`` with a deadline: a rank that hangs (seen once in a loaded full run)
    fails the test after ``timeout`` seconds instead of stalling the whole suite."""
    import time

    import torch.multiprocessing as mp
    ctx = mp.start_processes(fn, args=args, nprocs=nprocs, join=False, start_method='spawn')
    deadline = time.monotonic() + timeout
    while not ctx.join(timeout=5):
        if time.monotonic() > deadline:
            for p in ctx.processes:
                if p.is_alive():
                    p.terminate()
            pytest.fail(f'{nprocs} ranks of {fn.__name__} did not finish in {timeout} s')


@pytest.fixture
def spawn_ranks():
    """Run ``fn(rank, *args)`` on ``nprocs`` processes; fail (not hang) past the deadline."""
    return _spawn_ranks
