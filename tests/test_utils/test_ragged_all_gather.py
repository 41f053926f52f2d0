"""all_gather_ragged on 2 gloo processes: rank order, an empty rank, bool tensors, and the
error for ranks that disagree on a tensor's trailing shape; identity on one process."""
import os
import pickle

import torch
import torch.distributed as dist

from conftest import free_port
from hp_mm.utils.ragged_all_gather import all_gather_ragged


def _worker(rank, world_size, port, out_dir):
    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank,
                            world_size=world_size)
    try:
        res = {}
        # rank 0: 3 rows, rank 1: 1 row
        n = 3 if rank == 0 else 1
        res['mixed'] = all_gather_ragged(dict(
            idx=torch.arange(n) + 10 * rank,
            maps=torch.full((n, 2, 3), rank + 1, dtype=torch.uint8),
            flag=torch.tensor([rank == 0] * n)))
        # rank 1 has nothing; its placeholder's trailing shape does not matter
        empty = dict(v=torch.ones(2, 4) * 5) if rank == 0 else dict(v=torch.zeros(0, 0))
        res['one_empty'] = all_gather_ragged(empty)
        res['all_empty'] = all_gather_ragged(dict(v=torch.zeros(0, 7)))
        try:
            all_gather_ragged(dict(v=torch.zeros(1, 2 + rank)), name='store x')
        except ValueError as e:
            res['error'] = str(e)
        with open(os.path.join(out_dir, f'rank{rank}.pkl'), 'wb') as f:
            pickle.dump(res, f)
    finally:
        dist.destroy_process_group()


def test_two_gloo_ranks(tmp_path, spawn_ranks):
    spawn_ranks(_worker, args=(2, free_port(), str(tmp_path)))
    for rank in range(2):
        with open(tmp_path / f'rank{rank}.pkl', 'rb') as f:
            res = pickle.load(f)
        mixed = res['mixed']
        assert mixed['idx'].tolist() == [0, 1, 2, 10]               # rank 0's rows, then rank 1's
        assert mixed['maps'].dtype == torch.uint8 and mixed['maps'].shape == (4, 2, 3)
        assert mixed['maps'][:, 0, 0].tolist() == [1, 1, 1, 2]
        assert mixed['flag'].dtype == torch.bool and mixed['flag'].tolist() == [True] * 3 + [False]
        assert torch.equal(res['one_empty']['v'], torch.full((2, 4), 5.))
        assert res['all_empty']['v'].shape == (0, 7)
        assert res['error'] == ("store x: ranks hold 'v' with different trailing shapes "
                                '[(2,), (3,)]')


def test_one_process_returns_the_input():
    t = torch.arange(3)
    assert all_gather_ragged(dict(a=t))['a'] is t
