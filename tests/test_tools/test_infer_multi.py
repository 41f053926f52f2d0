"""tools/infer_multi.py end to end: random-weight detector and parser, CIHP layout out."""
import glob
import json
import os.path as osp

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from conftest import ROOT, run_tool
from hp_mm.datasets.multi_human_parsing_datasets import CIHPInstanceDataset
from hp_mm.registry import MODELS

DET_CONFIG = 'configs/qanet/detectors/fcos_r18_fpn_minihumans-cihp.py'
PARSER_CONFIG = 'configs/_base_/models/qanet_r18_fpn.py'


def _checkpoints(tmp_path):
    from mmdet.registry import MODELS as DET_MODELS
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmdet'):
        det = DET_MODELS.build(Config.fromfile(osp.join(ROOT, DET_CONFIG)).model)
    det_ckpt = str(tmp_path / 'det.pth')
    torch.save(dict(state_dict=det.state_dict(),
                    meta=dict(dataset_meta=dict(classes=('person', )))), det_ckpt)
    with DefaultScope.overwrite_default_scope('hp_mm'):
        parser = MODELS.build(Config.fromfile(osp.join(ROOT, PARSER_CONFIG)).model)
    meta = {k: CIHPInstanceDataset.METAINFO[k] for k in ('classes', 'palette', 'flip_pairs')}
    parser_ckpt = str(tmp_path / 'parser.pth')
    torch.save(dict(state_dict=parser.state_dict(), meta=dict(dataset_meta=meta)), parser_ckpt)
    return det_ckpt, parser_ckpt


def test_infer_multi_writes_cihp_layout(tmp_path):
    from hp_mm.datasets.minihumans import generate_dataset
    root = str(tmp_path / 'CIHP')
    generate_dataset('cihp', root, num_train=1, num_val=1, seed=7, workers=1, max_size=64,
                     progress=False)
    images = osp.join(root, 'instance-level_human_parsing/Validation/Images')
    det_ckpt, parser_ckpt = _checkpoints(tmp_path)
    out = str(tmp_path / 'out')
    proc = run_tool([
        'tools/infer_multi.py', DET_CONFIG, det_ckpt, PARSER_CONFIG, parser_ckpt, images,
        '--out-dir', out, '--det-score-thr', '0', '--score-thr', '0',
        '--det-cfg-options', 'model.test_cfg.score_thr=0', 'model.test_cfg.max_per_img=2',
        '--parser-cfg-options', 'model.test_cfg.input_size=(24,32)'
    ])
    assert '1 images, 2 persons' in proc.stdout
    (image, ) = glob.glob(osp.join(images, '*.jpg'))
    stem = osp.splitext(osp.basename(image))[0]
    h, w = cv2.imread(image).shape[:2]
    for sub in ('Category_ids', 'Human_ids', 'Instance_ids'):
        png = cv2.imread(osp.join(out, sub, f'{stem}.png'), cv2.IMREAD_UNCHANGED)
        assert png.shape == (h, w) and png.dtype == np.uint8
    assert cv2.imread(osp.join(out, 'vis', f'{stem}.jpg')).shape == (h, 2 * w, 3)
    info = json.load(open(osp.join(out, 'json', f'{stem}.json')))
    assert len(info['persons']) == 2
    assert set(info['persons'][0]['parts']) == set(CIHPInstanceDataset.METAINFO['classes'][1:])
    lines = open(osp.join(out, 'Instance_ids', f'{stem}.txt')).read().split('\n')[:-1]
    assert all(len(line.split()) == 3 for line in lines)
