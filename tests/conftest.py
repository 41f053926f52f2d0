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
    from hp_mm.datasets.minihumans import generate_dataset
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
