"""tools/dist_train.sh really runs 2 processes on a CPU-only machine (gloo) and trains."""
import glob
import os
import os.path as osp
import subprocess

import torch

from conftest import ROOT, free_port
from test_train_resume import CONFIG, _options


def test_dist_train_two_processes(lip_root, tmp_path):
    work_dir = str(tmp_path / 'dist')
    env = dict(os.environ, PORT=str(free_port()), OMP_NUM_THREADS='1')
    proc = subprocess.run(
        ['bash', 'tools/dist_train.sh', CONFIG, '2'] + _options(lip_root, work_dir, max_iters=3),
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-5000:]
    assert 'Distributed launcher: pytorch' in log or 'distributed: True' in log, log[-3000:]
    [log_file] = glob.glob(osp.join(work_dir, '*', '*.log'))
    text = open(log_file).read()
    assert 'GPU number: 2' in text or 'World size: 2' in text or 'world_size: 2' in text, \
        text[:3000]
    ckpt = torch.load(osp.join(work_dir, 'iter_3.pth'), map_location='cpu', weights_only=True)
    assert ckpt['meta']['iter'] == 3
    assert 'mIoU' in text  # the distributed evaluation ran
