"""tools/slurm_train.sh and tools/slurm_test.sh hand srun the job layout and the training / test
command with --launcher=slurm (a stand-in srun records what it is given)."""
import importlib.util
import os
import os.path as osp
import subprocess
import sys

import pytest

from conftest import ROOT

FAKE_SRUN = """#!/usr/bin/env bash
printf '%s\\n' "$@" > "$SRUN_LOG"
echo "MASTER_PORT=$MASTER_PORT" >> "$SRUN_LOG"
echo "PYTHONPATH=$PYTHONPATH" >> "$SRUN_LOG"
"""


@pytest.fixture
def fake_srun(tmp_path):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    (bin_dir / 'srun').write_text(FAKE_SRUN)
    (bin_dir / 'srun').chmod(0o755)
    log = tmp_path / 'srun.log'

    def run(script, *args, **env):
        full_env = {k: v for k, v in os.environ.items()
                    if k not in ('PORT', 'MASTER_PORT', 'GPUS', 'GPUS_PER_NODE', 'CPUS_PER_TASK',
                                 'SRUN_ARGS', 'HP_MM_SLURM_SCRIPT')}
        full_env.update(PATH=f'{bin_dir}:{os.environ["PATH"]}', SRUN_LOG=str(log), PYTHONPATH='')
        full_env.update({k: str(v) for k, v in env.items()})
        proc = subprocess.run(['bash', script, *args], cwd=ROOT, env=full_env,
                              capture_output=True, text=True, timeout=60)
        return proc, (log.read_text().splitlines() if log.exists() else [])
    return run


def _parse_with(tool, argv, monkeypatch):
    spec = importlib.util.spec_from_file_location(osp.basename(tool)[:-3], osp.join(ROOT, tool))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(sys, 'argv', [tool] + argv)
    return module.parse_args()


def test_slurm_train(fake_srun, monkeypatch):
    proc, argv = fake_srun('tools/slurm_train.sh', 'gpu', 'lip', 'my_configs/a b.py',
                           '--work-dir', 'work_dirs/x', '--cfg-options', 'a=1',
                           GPUS=16, GPUS_PER_NODE=8, CPUS_PER_TASK=3, PORT=29777,
                           SRUN_ARGS='--quotatype=auto --time=1:00:00')
    assert proc.returncode == 0, proc.stderr
    assert argv == [
        '-p', 'gpu', '--job-name=lip', '--gres=gpu:8', '--ntasks=16', '--ntasks-per-node=8',
        '--cpus-per-task=3', '--kill-on-bad-exit=1', '--quotatype=auto', '--time=1:00:00',
        'python', '-u', 'tools/train.py', 'my_configs/a b.py', '--work-dir', 'work_dirs/x',
        '--cfg-options', 'a=1', '--launcher=slurm',
        'MASTER_PORT=29777', 'PYTHONPATH=tools/..']
    # what srun runs parses as intended: --launcher after the nargs='+' --cfg-options
    args = _parse_with('tools/train.py', argv[13:-2], monkeypatch)
    assert (args.config, args.work_dir, args.launcher) == ('my_configs/a b.py', 'work_dirs/x',
                                                           'slurm')
    assert dict(args.cfg_options) == {'a': 1}


def test_slurm_test_defaults(fake_srun, monkeypatch):
    proc, argv = fake_srun('tools/slurm_test.sh', 'gpu', 'lip_test', 'cfg.py', 'iter_10.pth',
                           '--work-dir', 'w')
    assert proc.returncode == 0, proc.stderr
    assert argv == [
        '-p', 'gpu', '--job-name=lip_test', '--gres=gpu:4', '--ntasks=4', '--ntasks-per-node=4',
        '--cpus-per-task=5', '--kill-on-bad-exit=1', 'python', '-u', 'tools/test.py', 'cfg.py',
        'iter_10.pth', '--work-dir', 'w', '--launcher=slurm', 'MASTER_PORT=29500',
        'PYTHONPATH=tools/..']
    args = _parse_with('tools/test.py', argv[11:-2], monkeypatch)
    assert (args.config, args.checkpoint, args.launcher) == ('cfg.py', 'iter_10.pth', 'slurm')


def test_missing_arguments(fake_srun):
    proc, argv = fake_srun('tools/slurm_test.sh', 'gpu', 'job', 'cfg.py')
    assert proc.returncode == 2 and 'usage:' in proc.stderr and argv == []
