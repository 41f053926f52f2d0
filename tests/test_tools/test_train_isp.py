"""tools/train.py and tools/dist_train.sh (2 gloo processes) train the ISP MiniHumans config on
MiniHumans' Market-1501 layout: clustering before the epoch, ISP losses, re-ID evaluation; then
tools/infer_reid.py ranks a gallery folder against a query folder with the checkpoint."""
import glob
import json
import os
import os.path as osp
import runpy
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch

from conftest import ROOT, free_port, run_tool

CONFIG = 'configs/isp/isp_r18_minihumans.py'


@pytest.fixture(scope='module')
def market_root(tmp_path_factory):
    from hp_mm.minihumans import generate_dataset
    root = str(tmp_path_factory.mktemp('minihumans_market'))
    generate_dataset('market1501', root, num_train=4, num_val=2, seed=1, workers=1,
                     progress=False)
    return osp.join(root, 'Market-1501-v15.09.15')


def _options(root, work_dir):
    opts = [
        f'train_dataloader.dataset.data_root={root}', f'val_dataloader.dataset.data_root={root}',
        f'test_dataloader.dataset.data_root={root}',
        'model.backbone.stem_channels=8', 'model.backbone.base_channels=8',
        'model.neck.in_channels=[64]', 'model.neck.out_channels=16',
        'model.part_head.num_classes=4', 'model.reid_head.num_classes=4',
        'train_dataloader.batch_size=4', 'train_dataloader.sampler.num_identities=2',
        'train_dataloader.sampler.num_instances=2',
        'custom_hooks.1.dataloader.batch_size=16', 'custom_hooks.1.show_progress=False',
        'train_cfg.max_epochs=1', 'train_cfg.val_interval=1', 'param_scheduler.0.end=1',
        'default_hooks.checkpoint.interval=1', 'default_hooks.logger.interval=2',
    ]
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader',
                   'custom_hooks.1.dataloader'):
        opts += [f'{loader}.num_workers=0', f'{loader}.persistent_workers=False']
    return ['--work-dir', work_dir, '--cfg-options'] + opts


def _check_run(work_dir, log):
    assert 'ISPClusteringHook:' in log and 'clustering/share' in log, log[-3000:]
    assert 'clustering/iou_foreground' in log  # the GT part masks of the clustering pass
    assert 'loss_parsing' in log and 'loss_part_triplet' in log
    assert 'reid/mAP' in log and 'reid/Rank-1' in log
    store = np.load(osp.join(work_dir, 'pseudo_labels', 'default.npy'), mmap_mode='r')
    assert store.shape[1:] == (32, 16) and store.max() <= 3
    ckpt = torch.load(osp.join(work_dir, 'epoch_1.pth'), map_location='cpu', weights_only=True)
    assert ckpt['pseudo_labels']['default']['labels'].shape == store.shape


def test_train_and_infer_isp_minihumans(market_root, tmp_path, monkeypatch, capsys):
    work_dir = str(tmp_path / 'isp')
    run_tool(['tools/train.py', CONFIG] + _options(market_root, work_dir),
                    env=dict(OMP_NUM_THREADS='1'))
    [log_file] = glob.glob(osp.join(work_dir, '*', '*.log'))
    _check_run(work_dir, open(log_file).read())

    out = str(tmp_path / 'infer')
    query = osp.join(market_root, 'query')
    gallery = osp.join(market_root, 'bounding_box_test')
    opts = _options(market_root, work_dir)[3:]  # the same tiny model
    argv = ['tools/infer_reid.py', CONFIG, osp.join(work_dir, 'epoch_1.pth'), '--query', query,
            '--gallery', gallery, '--out-dir', out, '--topk', '5', '--distance', 'aligned',
            '--part-masks', osp.join(market_root, 'hp_mm_part_masks'), '--cfg-options'] + opts
    monkeypatch.setattr(sys, 'argv', argv)
    monkeypatch.chdir(ROOT)
    runpy.run_path(osp.join(ROOT, 'tools', 'infer_reid.py'), run_name='__main__')  # in-process
    assert 'ranked' in capsys.readouterr().out
    q_names = sorted(os.listdir(query))
    feats = np.load(osp.join(out, 'features_query.npz'))
    assert sorted(feats['names'].tolist()) == q_names
    assert feats['pred_feature'].shape == (len(q_names), 16 * 5)  # [3 parts, global, fore]
    assert feats['pred_part_visibility'].shape == (len(q_names), 3)
    stem = osp.splitext(q_names[0])[0]
    assert osp.isfile(osp.join(out, 'parts', 'query', f'{stem}_parts.jpg'))
    label = cv2.imread(osp.join(out, 'parts', 'query', f'{stem}_parts.png'), cv2.IMREAD_UNCHANGED)
    assert label.shape == (128, 64) and label.max() <= 3
    ranking = json.load(open(osp.join(out, 'ranking.json')))
    assert ranking['distance'] == 'aligned' and len(ranking['ranking']) == len(q_names)
    dists = [r['distance'] for r in ranking['ranking'][q_names[0]]]
    assert len(dists) == 5 and dists == sorted(dists)
    assert osp.isfile(osp.join(out, 'ranking.jpg'))  # Market names carry the pids
    iou = json.load(open(osp.join(out, 'part_iou.json')))
    assert {'foreground', 'head', 'upper_body', 'legs', 'shoes'} <= set(iou)
    assert all(0 <= iou[k] <= 100 for k in ('foreground', 'head', 'legs'))


def test_dist_train_isp_two_processes(market_root, tmp_path):
    work_dir = str(tmp_path / 'dist')
    env = dict(os.environ, PORT=str(free_port()), OMP_NUM_THREADS='1',
               PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    proc = subprocess.run(['bash', 'tools/dist_train.sh', CONFIG, '2'] +
                          _options(market_root, work_dir), cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-5000:]
    [log_file] = glob.glob(osp.join(work_dir, '*', '*.log'))
    log = open(log_file).read()
    assert 'World size: 2' in log or 'world_size: 2' in log or 'GPU number: 2' in log, log[:3000]
    _check_run(work_dir, log)


@pytest.mark.parametrize('config', [CONFIG, 'configs/isp/baseline_r18_minihumans.py'])
def test_probe_reid_parts_tool(market_root, tmp_path, config):
    """Foreground diagnostics of an (untrained) ISP model and of a global baseline: every
    training image is used, the references equal a recomputation from the mask files."""
    import torch.nn.functional as F

    from hp_mm.evaluation.functional import best_fixed_box_iou
    out = str(tmp_path / 'probe.json')
    opts = [f'train_dataloader.dataset.data_root={market_root}',
            f'test_dataloader.dataset.data_root={market_root}']
    if config == CONFIG:  # the tiny ISP model of the training tests
        opts += [o for o in _options(market_root, str(tmp_path / 'w'))
                 if o.startswith(('model.backbone.', 'model.neck.', 'model.part_head.'))]
    proc = run_tool(['tools/analysis_tools/probe_reid_parts.py', config, 'none', '--out', out,
                     '--cfg-options'] + opts)
    res = json.load(open(out))
    names = sorted(os.listdir(osp.join(market_root, 'bounding_box_train')))
    assert res['images'] == len(names) and res['feature_shape'][1:] == [32, 16]
    masks = torch.stack([torch.from_numpy(cv2.imread(osp.join(
        market_root, 'hp_mm_part_masks', 'bounding_box_train', n.replace('.jpg', '.png')),
        cv2.IMREAD_UNCHANGED)) for n in names]).float()
    fg = F.interpolate(masks[:, None], size=(32, 16), mode='nearest')[:, 0] > 0
    # order-free quantities (the dataset's order need not be the sorted file names)
    assert res['all_foreground_iou'] == pytest.approx(100 * float(fg.float().mean()))
    assert res['best_fixed_box']['foreground_iou'] == pytest.approx(best_fixed_box_iou(fg)[0])
    assert 0 <= res['activation']['auc'] <= 1 and 0 <= res['linear_probe']['foreground_iou'] <= 100
    assert ('part_head' in res) == (config == CONFIG)
    assert 'activation AUC' in proc.stdout


HRNET_CONFIG = 'configs/isp/isp_hrnet-w32_market1501.py'


def _hrnet_options(root, work_dir):
    """The paper's HRNet-W32 config as it is (256 x 128, K = 4), only without the ImageNet
    download, on the tiny MiniHumans Market set: 2 x 2 batches, one epoch."""
    opts = [f'{k}.dataset.data_root={root}'
            for k in ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    opts += ['model.pretrained=None', 'model.reid_head.num_classes=4',
             'train_dataloader.batch_size=4', 'train_dataloader.sampler.num_identities=2',
             'train_dataloader.sampler.num_instances=2', 'train_cfg.max_epochs=1',
             'train_cfg.val_interval=1', 'custom_hooks.1.interval=1',
             'custom_hooks.1.show_progress=False', 'custom_hooks.1.dataloader.batch_size=16',
             'default_hooks.logger.interval=2']
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader',
                   'custom_hooks.1.dataloader'):
        opts += [f'{loader}.num_workers=0', f'{loader}.persistent_workers=False']
    return ['--work-dir', work_dir, '--cfg-options'] + opts


@pytest.mark.parametrize('launcher', ['none', 'dist'])
def test_hrnet_w32_market_config_starts(market_root, tmp_path, launcher):
    """tools/train.py and tools/dist_train.sh ... 2 start the paper's configuration
    (isp_hrnet-w32_market1501.py) on Market's layout and run an epoch with its clustering."""
    work_dir = str(tmp_path / launcher)
    env = dict(os.environ, OMP_NUM_THREADS='1',
               PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    if launcher == 'none':
        cmd = [sys.executable, 'tools/train.py', HRNET_CONFIG]
    else:
        env['PORT'] = str(free_port())
        cmd = ['bash', 'tools/dist_train.sh', HRNET_CONFIG, '2']
    proc = subprocess.run(cmd + _hrnet_options(market_root, work_dir), cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-5000:]
    [log_file] = glob.glob(osp.join(work_dir, '*', '*.log'))
    log = open(log_file).read()
    assert 'ISPClusteringHook:' in log and 'K=4' in log and 'loss_parsing' in log
    assert 'reid/mAP' in log
    store = np.load(osp.join(work_dir, 'pseudo_labels', 'default.npy'), mmap_mode='r')
    assert store.shape[1:] == (64, 32) and store.max() <= 3  # M_g at 1/4 of 256 x 128
