"""tools/train.py end to end on MiniHumans: checkpoint save -> --resume equals the uninterrupted run."""
import os.path as osp
import shutil

import torch

from conftest import run_tool

CONFIG = 'tests/data/fpn_r18_minihumans_tiny.py'


def _options(root, work_dir, max_iters=6):
    return [
        '--work-dir', work_dir, '--cfg-options',
        f'train_dataloader.dataset.data_root={root}',
        f'val_dataloader.dataset.data_root={root}',
        f'test_dataloader.dataset.data_root={root}',
        f'train_cfg.max_iters={max_iters}', f'train_cfg.val_interval={max_iters}',
        f'param_scheduler.0.end={max_iters}',
    ]


def test_resume_from_checkpoint_matches_uninterrupted_run(lip_root, tmp_path):
    full = str(tmp_path / 'full')
    run_tool(['tools/train.py', CONFIG] + _options(lip_root, full))
    ckpt3, ckpt6 = osp.join(full, 'iter_3.pth'), osp.join(full, 'iter_6.pth')
    assert osp.isfile(ckpt3) and osp.isfile(ckpt6)

    # the checkpoint holds numpy objects (message hub): it must load with weights_only=True
    ckpt = torch.load(ckpt3, map_location='cpu', weights_only=True)
    assert ckpt['meta']['iter'] == 3
    assert ckpt['meta']['dataset_meta']['classes'][14] == 'Left-arm'

    resumed = str(tmp_path / 'resumed')
    shutil.copytree(full, resumed, ignore=shutil.ignore_patterns('iter_6.pth', '2*'))
    with open(osp.join(resumed, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(resumed, 'iter_3.pth'))
    proc = run_tool(['tools/train.py', CONFIG, '--resume'] + _options(lip_root, resumed))
    assert 'resumed' in (proc.stdout + proc.stderr).lower()

    a = torch.load(ckpt6, map_location='cpu', weights_only=True)['state_dict']
    b = torch.load(osp.join(resumed, 'iter_6.pth'), map_location='cpu',
                   weights_only=True)['state_dict']
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], atol=1e-5, rtol=1e-4, msg=k)
    # and training changed the weights between iterations 3 and 6
    w3 = ckpt['state_dict']['decode_head.conv_seg.weight']
    assert not torch.allclose(w3, a['decode_head.conv_seg.weight'])
