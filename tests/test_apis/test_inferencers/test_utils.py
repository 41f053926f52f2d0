"""Config names of the Inferencers: model-index.yml (mmengine's metafile reader), config stems,
mmdet names; video paths."""
import glob
import os.path as osp

import pytest
import yaml

from conftest import ROOT
from hp_mm.apis import HumanParsingInferencer
from hp_mm.apis.inferencers import is_video, resolve_config
from hp_mm.apis.inferencers.utils import metafile_models, repo_root


def test_model_index_imports_every_metafile():
    index = yaml.safe_load(open(osp.join(ROOT, 'model-index.yml')))
    metafiles = sorted(osp.relpath(p, ROOT) for p in glob.glob(
        osp.join(ROOT, 'configs', '*', 'metafile.y*ml')))
    assert sorted(index['Import']) == metafiles
    assert repo_root() == ROOT
    models = list(metafile_models())
    names = [m['Name'] for m in models]
    assert len(names) == len(set(names)) and 'fpn_r18_minihumans' in names
    for model in models:  # every name resolves to its config file
        assert osp.isfile(model['Config']), model['Name']


def test_hp_mm_names_and_paths():
    cfg, weights = resolve_config('qanet_r18_minihumans')  # a configs/qanet/metafile.yaml Name
    assert cfg.filename == osp.join(ROOT, 'configs/qanet/qanet_r18_minihumans.py')
    assert weights is None and cfg.model.type == 'TopDownParser'
    cfg, _ = resolve_config('fcos_r18_fpn_minihumans-cihp')  # a config stem, no metafile entry
    assert cfg.filename == osp.join(ROOT, 'configs/qanet/detectors/fcos_r18_fpn_minihumans-cihp.py')
    path = osp.join(ROOT, 'configs/lip/fpn_r18_minihumans.py')
    assert resolve_config(path)[0].filename == path
    with pytest.raises(FileNotFoundError, match='hp_mm names: .*qanet_r18_minihumans'):
        resolve_config('no_such_model')


def test_inferencer_resolves_a_model_name():
    """BaseInferencer's own flow: a string that is not a file goes to _load_model_from_metafile."""
    inferencer = HumanParsingInferencer('fpn_r18_minihumans', device='cpu')
    assert inferencer.cfg.filename == osp.join(ROOT, 'configs/lip/fpn_r18_minihumans.py')
    assert inferencer.model.decode_head.num_classes == 20


def test_mmdet_names():
    cfg, weights = resolve_config('rtmdet_tiny_8xb32-300e_coco', scope='mmdet')  # mmdet metafile
    assert cfg.model.type == 'RTMDet' and weights.startswith('https://download.openmmlab.com/')
    cfg, _ = resolve_config('mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py')
    assert cfg.model.type == 'FasterRCNN'
    with pytest.raises(FileNotFoundError):
        resolve_config('rtmdet_tiny_8xb32-300e_coco')  # hp_mm scope: mmdet's names not searched


def test_is_video(tmp_path):
    assert is_video('a/walk.mp4') and is_video('b.AVI') and not is_video('c.jpg')
    assert not is_video(str(tmp_path))
