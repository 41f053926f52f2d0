"""tools/test.py on the MiniHumans re-ID config prints Rank-1/5/10, mAP and mINP; the
rank-list tool draws from the metric's dump."""
import glob
import importlib.util
import os.path as osp
import re
import sys

import cv2
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from conftest import ROOT, run_tool
from hp_mm.registry import MODELS

CONFIG = 'configs/isp/baseline_r18_minihumans.py'


def test_reid_test_tool_and_rank_lists(tmp_path, monkeypatch, capsys):
    from hp_mm.minihumans import generate_dataset
    card = generate_dataset('market1501', str(tmp_path / 'mh'), 3, 3, seed=4, progress=False)
    root = str(tmp_path / 'mh' / 'Market-1501-v15.09.15')
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('hp_mm'):
        model = MODELS.build(Config.fromfile(osp.join(ROOT, CONFIG)).model)
    ckpt = str(tmp_path / 'reid.pth')
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), ckpt)
    ranks = str(tmp_path / 'ranks.pkl')
    options = [f'test_dataloader.dataset.data_root={root}', 'test_dataloader.num_workers=0',
               'test_dataloader.persistent_workers=False', 'test_dataloader.batch_size=16',
               f'test_evaluator.out_file={ranks}']
    proc = run_tool(['tools/test.py', CONFIG, ckpt, '--work-dir', str(tmp_path / 'work'),
                     '--cfg-options'] + options)
    log = proc.stdout + proc.stderr
    n_q = card['reid']['query_images']
    n_g = card['reid']['gallery_images'] - card['reid']['junk_images']
    assert f're-ID ({n_q} queries x {n_g} gallery, distance cosine)' in log
    values = {}
    for key in ('Rank-1', 'Rank-5', 'Rank-10', 'mAP', 'mINP'):
        m = re.search(rf'reid/{key}: ([\d.]+)', log)
        assert m, (key, log[-2000:])
        values[key] = float(m.group(1))
    assert 0 < values['Rank-1'] <= values['Rank-5'] <= values['Rank-10'] <= 100
    assert 0 < values['mINP'] <= values['mAP'] <= 100

    out = str(tmp_path / 'lists')  # the rank-list tool, in this process (fast)
    spec = importlib.util.spec_from_file_location(
        'visualize_reid_ranks', osp.join(ROOT, 'tools/analysis_tools/visualize_reid_ranks.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    monkeypatch.setattr(sys, 'argv', ['visualize_reid_ranks.py', '--ranks', ranks, '--out-dir',
                                      out, '--num-queries', '3', '--per-image', '2'])
    tool.main()
    pics = sorted(glob.glob(osp.join(out, 'rank_list_*.png')))
    assert len(pics) == 2 and '3 queries drawn in 2 picture(s)' in capsys.readouterr().out
    img = cv2.imread(pics[0])
    assert img.shape[0] == 2 * (128 + 8 + 14 + 6)  # two rows: tile + frame + caption + gap
