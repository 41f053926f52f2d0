"""tools/test.py --show-dir on a QANet config: ParsingLocalVisualizer draws GT | prediction with
the persons' boxes (MiniHumans in CIHP's layout, a random parser made confident)."""
import glob
import os.path as osp

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from conftest import ROOT, run_tool
from hp_mm.datasets.multi_human_parsing_datasets import CIHPInstanceDataset
from hp_mm.registry import MODELS
from hp_mm.visualization.parsing_local_visualizer import PERSON_COLORS

CONFIG = 'configs/qanet/qanet_r18_minihumans.py'


def test_show_dir_draws_persons(tmp_path):
    from hp_mm.minihumans import generate_dataset
    root = str(tmp_path / 'CIHP')
    generate_dataset('cihp', root, num_train=1, num_val=2, seed=3, workers=1, max_size=64,
                     progress=False)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('hp_mm'):
        model = MODELS.build(Config.fromfile(osp.join(ROOT, CONFIG)).model)
    with torch.no_grad():  # 'Hair' everywhere in a crop, IoU score 1: every GT person is kept
        model.decode_head.conv_seg.bias.fill_(-10.0)
        model.decode_head.conv_seg.bias[2] = 10.0
        model.decode_head.iou_fc.weight.zero_()
        model.decode_head.iou_fc.bias.fill_(5.0)
    ckpt = str(tmp_path / 'qanet.pth')
    meta = {k: CIHPInstanceDataset.METAINFO[k] for k in ('classes', 'palette', 'flip_pairs')}
    torch.save(dict(state_dict=model.state_dict(), meta=dict(dataset_meta=meta)), ckpt)
    show_dir = str(tmp_path / 'show')
    data_root = osp.join(root, 'instance-level_human_parsing')
    run_tool(['tools/test.py', CONFIG, ckpt, '--show-dir', show_dir, '--work-dir',
              str(tmp_path / 'work'), '--cfg-options',
              f'test_dataloader.dataset.data_root={data_root}',
              f'train_dataloader.dataset.data_root={data_root}',  # DatasetMetaHook reads it
              'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False',
              'model.channels_last=False'])
    drawn = sorted(glob.glob(osp.join(show_dir, '**', '*.png'), recursive=True))
    assert len(drawn) == 2
    colours = np.array(PERSON_COLORS, np.float64)
    found = 0
    for path in drawn:
        # LocalVisBackend's name: '<mode>_<image file name>_<step>.png'
        stem = osp.basename(path)[len('test_'):].split('.jpg')[0]
        vis = cv2.imread(path)[..., ::-1].astype(np.float64)  # RGB
        human = cv2.imread(osp.join(data_root, 'Validation', 'Human_ids', f'{stem}.png'),
                           cv2.IMREAD_UNCHANGED)
        h, w = human.shape
        assert vis.shape == (h, 2 * w, 3)  # GT | prediction
        for pid in np.unique(human[human > 0]):
            ys, xs = np.nonzero(human == pid)
            y, x = (ys.min() + ys.max()) // 2, xs.min()  # the box's left edge, mid-height
            pixel = vis[y, w + x]
            # a box line: 0.8 * a person colour + 0.2 * what lies below (0..255)
            low, high = 0.8 * colours - 10, 0.8 * colours + 0.2 * 255 + 10
            found += bool(((pixel >= low) & (pixel <= high)).all(1).any())
    assert found >= 1
