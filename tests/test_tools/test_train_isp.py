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
        'default_hooks.clustering.dataloader.batch_size=16',
        'default_hooks.clustering.show_progress=False',
        'default_hooks.clustering.chunk_size=4',  # several chunks: both ranks cluster some
        'train_cfg.max_epochs=1', 'train_cfg.val_interval=1', 'param_scheduler.0.end=1',
        'default_hooks.checkpoint.interval=1', 'default_hooks.logger.interval=2',
    ]
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader',
                   'default_hooks.clustering.dataloader'):
        opts += [f'{loader}.num_workers=0', f'{loader}.persistent_workers=False']
    return ['--work-dir', work_dir, '--cfg-options'] + opts


def _clustering_stats(work_dir):
    """The statistics of the run's one clustering, from the visualizer's scalars (a fresh
    process: no logger or visualizer shared with another run)."""
    [scalars] = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    [stats] = [s for s in map(json.loads, open(scalars)) if 'clustering/images' in s]
    return stats


def _check_run(work_dir, log):
    assert 'ISPClusteringHook:' in log and 'clustering/share' in log, log[-3000:]
    assert 'clustering/iou_foreground' in log  # the GT part masks of the clustering pass
    assert 'loss_parsing' in log and 'loss_part_triplet' in log
    assert 'reid/mAP' in log and 'reid/Rank-1' in log
    store = np.load(osp.join(work_dir, 'pseudo_labels', 'default.npy'), mmap_mode='r')
    assert store.shape[1:] == (32, 16) and store.max() <= 3
    ckpt = torch.load(osp.join(work_dir, 'epoch_1.pth'), map_location='cpu', weights_only=True)
    assert np.array_equal(ckpt['pseudo_labels']['default']['labels'].numpy(), store)
    assert ckpt['pseudo_labels']['default']['epoch'] == 0
    # the clustering's own statistics (visualizer scalars of this fresh process): every
    # training image clustered once over all ranks, shares of the stored labels
    stats = _clustering_stats(work_dir)
    assert stats['clustering/images'] == len(store)
    assert stats['clustering/foreground_ratio'] == pytest.approx(float((store > 0).mean()),
                                                                 abs=1e-4)


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
    q_names = sorted(os.listdir(query))
    g_names = sorted(os.listdir(gallery))
    assert (f'ranked {len(g_names)} gallery images for {len(q_names)} queries'
            in capsys.readouterr().out)
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
    for q in q_names:
        ranked = ranking['ranking'][q]
        dists = [r['distance'] for r in ranked]
        assert len(dists) == 5 and dists == sorted(dists) and np.isfinite(dists).all()
        names = {r['gallery'] for r in ranked}
        assert len(names) == 5 and names <= set(g_names)
    assert osp.isfile(osp.join(out, 'ranking.jpg'))  # Market names carry the pids
    iou = json.load(open(osp.join(out, 'part_iou.json')))
    assert {'foreground', 'head', 'upper_body', 'legs', 'shoes'} <= set(iou)
    # the foreground IoU recomputed from the written part maps and the true masks
    inter = union = 0
    for split, folder, names in (('query', query, q_names), ('gallery', gallery, g_names)):
        for name in names:
            stem = osp.splitext(name)[0]
            pred = cv2.imread(osp.join(out, 'parts', split, f'{stem}_parts.png'),
                              cv2.IMREAD_UNCHANGED) > 0
            gt = cv2.imread(osp.join(market_root, 'hp_mm_part_masks', osp.basename(folder),
                                     f'{stem}.png'), cv2.IMREAD_UNCHANGED)
            counted = gt != 255
            inter += int((pred & (gt > 0) & counted).sum())
            union += int(((pred | (gt > 0)) & counted).sum())
    assert iou['foreground'] == pytest.approx(100 * inter / union, abs=1e-6)
    assert {iou[f'assign/{k}'] for k in (1, 2, 3)} <= {1, 2, 3, 4}  # each part to a group


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
    # mmengine's environment report of this run: 2 processes
    assert 'Distributed training: True' in log and 'GPU number: 2' in log, log[:3000]
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
    if config == CONFIG:  # the random neck of a 'none' checkpoint is seeded: same seed, same figures
        again, other = str(tmp_path / 'again.json'), str(tmp_path / 'other.json')
        run_tool(['tools/analysis_tools/probe_reid_parts.py', config, 'none', '--out', again,
                  '--cfg-options'] + opts)
        run_tool(['tools/analysis_tools/probe_reid_parts.py', config, 'none', '--out', other,
                  '--seed', '1', '--cfg-options'] + opts)
        res_again, res_other = json.load(open(again)), json.load(open(other))
        assert res_again['activation'] == res['activation'] and res_again['part_head'] == res['part_head']
        assert res_other['seed'] == 1 and res_other['part_head'] != res['part_head']


HRNET_CONFIG = 'configs/isp/isp_hrnet-w32_market1501.py'


def _hrnet_options(root, work_dir):
    """The paper's HRNet-W32 config as it is (256 x 128, K = 4), only without the ImageNet
    download, on the tiny MiniHumans Market set: 2 x 2 batches, one epoch."""
    opts = [f'{k}.dataset.data_root={root}'
            for k in ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    opts += ['model.pretrained=None', 'model.reid_head.num_classes=4',
             'train_dataloader.batch_size=4', 'train_dataloader.sampler.num_identities=2',
             'train_dataloader.sampler.num_instances=2', 'train_cfg.max_epochs=1',
             'train_cfg.val_interval=1', 'default_hooks.clustering.interval=1',
             'default_hooks.clustering.show_progress=False',
             'default_hooks.clustering.dataloader.batch_size=16',
             'default_hooks.logger.interval=2']
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader',
                   'default_hooks.clustering.dataloader'):
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
    assert 'ISPClusteringHook:' in log and 'loss_parsing' in log and 'reid/mAP' in log
    store = np.load(osp.join(work_dir, 'pseudo_labels', 'default.npy'), mmap_mode='r')
    assert store.shape[1:] == (64, 32)  # M_g at 1/4 of 256 x 128
    # K = 4: background and the three parts, every image clustered once over all ranks
    stats = _clustering_stats(work_dir)
    assert set(np.unique(store).tolist()) == {0, 1, 2, 3}
    assert stats['clustering/images'] == len(store)
    assert 'clustering/part3_ratio' in stats and 'clustering/part4_ratio' not in stats
    assert stats['clustering/foreground_ratio'] == pytest.approx(float((store > 0).mean()),
                                                                 abs=1e-4)
