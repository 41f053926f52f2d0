"""The C²L analysis tools on a hand-made ATR-layout set: the RGB k-means baseline (a set
whose classes have one colour each is parsed perfectly) and the matched-cluster pictures."""
import json
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import hp_mm  # noqa: F401
from hp_mm.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs', 'c2l', 'picie_fpn-r18_minihumans-atr-3class.py')
BGR = {0: (200, 40, 30), 4: (30, 30, 220), 6: (40, 200, 40)}  # background, upper-clothes, pants


def write_atr(root, n=4, size=(64, 48)):
    """ATR layout (humanparsing/{JPEGImages,SegmentationClassAug,list}); in every image the
    background is blue, a block of upper-clothes red and a block of pants green, on
    16-pixel boundaries (JPEG keeps flat 16 x 16 blocks exact)."""
    base = osp.join(root, 'humanparsing')
    for d in ('JPEGImages', 'SegmentationClassAug', 'list'):
        os.makedirs(osp.join(base, d), exist_ok=True)
    ids = []
    for i in range(n):
        lab = np.zeros(size, np.uint8)
        lab[16:32, 16:32 + 16 * (i % 2)] = 4
        lab[32:64, 16:32] = 6
        img = np.zeros(size + (3, ), np.uint8)
        for c, col in BGR.items():
            img[lab == c] = col
        sid = f'img_{i:03d}'
        cv2.imwrite(osp.join(base, 'JPEGImages', sid + '.jpg'), img,
                    [cv2.IMWRITE_JPEG_QUALITY, 100])
        cv2.imwrite(osp.join(base, 'SegmentationClassAug', sid + '.png'), lab)
        ids.append(sid)
    for split in ('train', 'val'):
        with open(osp.join(base, 'list', f'{split}_id.txt'), 'w') as f:
            f.write('\n'.join(ids) + '\n')
    return base


def run_tool(args):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    proc = subprocess.run([sys.executable] + args, cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_rgb_kmeans_baseline_parses_one_colour_per_class_perfectly(tmp_path):
    base = write_atr(str(tmp_path / 'atr'))
    out = str(tmp_path / 'rgb.json')
    stdout = run_tool(['tools/analysis_tools/rgb_kmeans_baseline.py', CONFIG, '--seeds', '0', '1',
                       '--out', out, '--cfg-options', f'val_dataloader.dataset.data_root={base}'])
    res = json.load(open(out))
    assert res['num_clusters'] == 3 and res['images'] == 4
    for run in res['runs']:
        assert run['mIoU'] > 99.9 and run['acc'] > 99.9, run
        assert min(run['iou']) > 99.9
    assert 'mIoU 100.00 ± 0.00' in stdout


def test_matched_cluster_pictures(tmp_path):
    base = write_atr(str(tmp_path / 'atr'), n=3)
    init_default_scope('hp_mm')
    cfg = Config.fromfile(CONFIG)
    model = MODELS.build(cfg.model)
    g = torch.Generator().manual_seed(0)
    for view in (1, 2):  # as after a clustering: some centroids in the feature space
        model.decode_head.set_centroids(view, torch.randn(3, 128, generator=g))
    ckpt = str(tmp_path / 'model.pth')
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), ckpt)
    out_dir = str(tmp_path / 'pics')
    stdout = run_tool(['tools/analysis_tools/visualize_unsupervised_parsing.py', CONFIG, ckpt,
                       '--out-dir', out_dir, '--num-images', '2', '--scale', '1',
                       '--cfg-options', f'val_dataloader.dataset.data_root={base}',
                       'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False'])
    assert 'cluster -> class' in stdout and 'wrote 2 pictures' in stdout
    assert sorted(os.listdir(out_dir)) == ['grid.png', 'img_000.png', 'img_001.png']
    palette = cfg_palette()
    allowed = {tuple(p[::-1]) for p in palette} | {(128, 128, 128)}
    for i in range(2):
        panel = cv2.imread(osp.join(out_dir, f'img_{i:03d}.png'))
        img = cv2.imread(osp.join(base, 'JPEGImages', f'img_{i:03d}.jpg'))
        lab = cv2.imread(osp.join(base, 'SegmentationClassAug', f'img_{i:03d}.png'), -1)
        h, w = img.shape[:2]
        assert panel.shape == (h, 3 * w, 3)
        np.testing.assert_array_equal(panel[:, :w], img)
        merged = np.choose(np.searchsorted([0, 4, 6], lab), [0, 1, 2])  # ATR -> 3 classes
        want = np.array([palette[c][::-1] for c in merged.flatten()], np.uint8).reshape(h, w, 3)
        np.testing.assert_array_equal(panel[:, w:2 * w], want)  # the merged ground truth
        assert {tuple(c) for c in panel[:, 2 * w:].reshape(-1, 3)} <= allowed


def cfg_palette():
    from hp_mm.datasets import ATRMergedDataset
    return ATRMergedDataset.METAINFO['palette']


def test_linear_probe_tool(tmp_path):
    """The mean-RGB probe of one-colour classes is perfect; the feature probe of the
    untrained network is scored on the same pixels (all val images, none dropped)."""
    base = write_atr(str(tmp_path / 'atr'), n=4, size=(64, 64))  # = the 64 x 64 input
    out = str(tmp_path / 'probe.json')
    stdout = run_tool(['tools/analysis_tools/probe_unsupervised_parsing.py', CONFIG, 'none',
                       '--rgb', '--train-images', '3', '--out', out, '--cfg-options',
                       f'train_dataloader.dataset.data_root={base}',
                       f'val_dataloader.dataset.data_root={base}',
                       'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False'])
    res = json.load(open(out))
    assert res['train_images'] == 3 and res['val_images'] == 4
    assert res['rgb']['mIoU'] == 100 and res['rgb']['acc'] == 100
    assert len(res['features']['iou']) == 3 and 0 <= res['features']['mIoU'] <= 100
    assert 'rgb probe: mIoU 100.00' in stdout and 'features probe' in stdout
