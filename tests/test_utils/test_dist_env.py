"""finish_distributed: model released, peers synchronised, process group destroyed."""
import os
import pickle
from types import SimpleNamespace

import torch
import torch.distributed as dist
import torch.nn as nn

from conftest import free_port
from hp_mm.utils import finish_distributed


def _worker(rank, world_size, port, out_dir):
    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank,
                            world_size=world_size)
    ddp = nn.parallel.DistributedDataParallel(nn.Linear(3, 2))
    ddp(torch.randn(4, 3)).sum().backward()  # the reducer has run
    runner = SimpleNamespace(model=ddp)
    del ddp
    finish_distributed(runner)
    with open(os.path.join(out_dir, f'rank{rank}.pkl'), 'wb') as f:
        pickle.dump(dict(model=runner.model, initialized=dist.is_initialized()), f)


def test_two_gloo_ranks_tear_down(tmp_path, spawn_ranks):
    spawn_ranks(_worker, args=(2, free_port(), str(tmp_path)))
    for rank in range(2):
        with open(tmp_path / f'rank{rank}.pkl', 'rb') as f:
            assert pickle.load(f) == dict(model=None, initialized=False)


def test_no_process_group_is_a_no_op():
    assert not dist.is_initialized()
    runner = SimpleNamespace(model=nn.Linear(2, 2))
    finish_distributed(runner)
    assert isinstance(runner.model, nn.Linear)  # untouched outside a distributed run
