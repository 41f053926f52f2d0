"""Shared helpers of the deploy tests: models, a briefly trained parser, real photos."""
import glob
import os.path as osp
import warnings

import numpy as np
import torch

from conftest import ROOT, run_tool

TINY_PARSER = osp.join(ROOT, 'tests/data/fpn_r18_minihumans_tiny.py')
QANET = osp.join(ROOT, 'configs/qanet/qanet_r18_minihumans.py')
GLOBAL_REID = osp.join(ROOT, 'configs/isp/baseline_r18_minihumans.py')
ISP = osp.join(ROOT, 'configs/isp/isp_r18_minihumans.py')


def random_model(config, cfg_options=None):
    """``hp_mm.apis.init_model`` without a checkpoint (random weights, seeded)."""
    from hp_mm.apis import init_model
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        return init_model(config, None, device='cpu', cfg_options=cfg_options)


_TRAINED = {}


def trained_tiny_parser(lip_root, tmp_path_factory, iters=40):
    """A checkpoint of the tiny MiniHumans parser config after ``iters`` iterations of
    ``tools/train.py`` on ``lip_root``: trained once per test session (seconds)."""
    if lip_root not in _TRAINED:
        work_dir = str(tmp_path_factory.mktemp('tiny_parser'))
        _TRAINED[lip_root] = train_tiny_parser(lip_root, work_dir, iters)
    return _TRAINED[lip_root]


def train_tiny_parser(lip_root, work_dir, iters=40):
    """``tools/train.py`` on the tiny MiniHumans parser config; the last checkpoint's path."""
    run_tool(['tools/train.py', TINY_PARSER, '--work-dir', work_dir, '--cfg-options',
              f'train_dataloader.dataset.data_root={lip_root}',
              f'val_dataloader.dataset.data_root={lip_root}',
              f'test_dataloader.dataset.data_root={lip_root}', f'train_cfg.max_iters={iters}',
              f'train_cfg.val_interval={iters}', f'param_scheduler.0.end={iters}',
              f'default_hooks.checkpoint.interval={iters}'])
    return osp.join(work_dir, f'iter_{iters}.pth')


def val_images(lip_root):
    return sorted(glob.glob(osp.join(lip_root, 'TrainVal_images', 'val_images', '*.jpg')))


def photos():
    """scikit-image's astronaut, chelsea and coffee photos as BGR arrays."""
    from skimage import data
    return [np.ascontiguousarray(getattr(data, name)()[..., ::-1])
            for name in ('astronaut', 'chelsea', 'coffee')]


def equal_pixels(preds_a, preds_b):
    """Fraction of equal ``pred_sem_seg`` pixels over two lists of predictions."""
    same = sum(int((a.pred_sem_seg.data == b.pred_sem_seg.data).sum())
               for a, b in zip(preds_a, preds_b))
    return same / sum(a.pred_sem_seg.data.numel() for a in preds_a)


def max_rel_diff(a, b):
    """max |a - b| / max |a| of two tensors."""
    a, b = a.double(), b.double()
    return float((a - b).abs().max() / a.abs().max().clamp_min(1e-12))
