"""Distributed launch on machines without a GPU (gloo), which mmengine 0.10.7 lacks.

mmengine's ``init_dist('pytorch')`` calls ``torch.cuda.set_device`` and its default
DDP wrapper passes ``device_ids=[LOCAL_RANK]``; both fail on a CPU-only machine.
"""
import gc
import os

import torch
import torch.distributed as dist


def prepare_cpu_distributed(cfg, launcher: str) -> bool:
    """Make ``cfg`` launchable with ``launcher`` when CUDA is unavailable.

    On a CPU-only machine with ``launcher='pytorch'``: initialise the default
    process group with the gloo backend (the Runner then skips ``init_dist``) and
    set a DDP wrapper without ``device_ids``. Nothing changes when CUDA exists
    or the launcher is ``'none'``.

    Returns:
        bool: True if the CPU/gloo set-up was applied.
    """
    if launcher == 'none' or torch.cuda.is_available():
        return False
    if launcher != 'pytorch':
        raise ValueError(f'launcher {launcher!r} needs GPUs; on a CPU-only machine use '
                         "--launcher pytorch (tools/dist_train.sh), which runs on gloo")
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo', rank=int(os.environ['RANK']),
                                world_size=int(os.environ['WORLD_SIZE']))
    wrapper = dict(cfg.get('model_wrapper_cfg') or {})
    wrapper.setdefault('type', 'MMDistributedDataParallel')
    wrapper['device_ids'] = None
    wrapper.setdefault('broadcast_buffers', False)
    wrapper.setdefault('find_unused_parameters', cfg.get('find_unused_parameters', False))
    cfg.model_wrapper_cfg = wrapper
    env_cfg = cfg.setdefault('env_cfg', {})
    env_cfg.setdefault('dist_cfg', {})['backend'] = 'gloo'
    return True


def finish_distributed(runner) -> None:
    """Tear a distributed run down in order: model first, then the process group.

    Leaving it to interpreter exit lets a rank destroy its DDP reducer (and its
    gloo threads) while the peer is still running or already gone; with torch
    2.13 that aborted rank 0 now and then after a finished ``dist_train.sh`` run
    ("terminate called without an active exception", exit code -6). Here every
    rank drops the wrapped model, waits for the others, then destroys the group.
    No-op when no process group is initialised.

    Args:
        runner: The finished mmengine ``Runner`` (its ``model`` is released).
    """
    if not (dist.is_available() and dist.is_initialized()):
        return
    runner.model = None  # the DDP wrapper and its reducer go now, while every peer is alive
    gc.collect()
    dist.barrier()
    dist.destroy_process_group()
