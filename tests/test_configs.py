"""Every config under configs/ parses and its model builds (SyncBN -> BN, no pretrained download)."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import init_default_scope

import hp_mm  # noqa: F401
from hp_mm.registry import DATASETS, MODELS

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(p for p in glob.glob(osp.join(ROOT, 'configs', '*', '*.py'))
                 if '_base_' not in p)


@pytest.mark.parametrize('path', CONFIGS, ids=[osp.relpath(p, ROOT) for p in CONFIGS])
def test_config_builds(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'hp_mm'
    init_default_scope('hp_mm')
    cfg.model.pretrained = None
    model = revert_sync_batchnorm(MODELS.build(cfg.model))  # SyncBN needs a process group
    dataset_cls = DATASETS.get(cfg.train_dataloader.dataset.type)
    assert dataset_cls is not None, cfg.train_dataloader.dataset.type
    metric = cfg.val_evaluator.type
    if metric == 'ReIDMetric':  # re-ID (ISP and its baseline): an identity classifier head
        heads = [m for m in model.modules() if hasattr(m, 'num_classes')]
        assert heads and all(isinstance(h.num_classes, int) and h.num_classes > 0 for h in heads)
        assert dataset_cls.__name__ in ('Market1501Dataset', 'DukeMTMCReIDDataset',
                                        'CUHK03NPDataset', 'OccludedDukeDataset')
        return
    if metric == 'UnsupervisedParsingMetric':  # C2L / PiCIE: clusters, no classifier
        assert 'classes' in dataset_cls.METAINFO
        return
    num_classes = model.decode_head.num_classes
    assert len(dataset_cls.METAINFO['classes']) == num_classes
    multi_person = cfg.train_dataloader.dataset.get('data_mode') is not None
    expected = 'MultiHumanParsingMetric' if multi_person else 'HumanParsingMetric'
    assert metric == expected
    if multi_person:  # QANet's PARSING.SEMSEG_SCORE_THRESH: 0.05 on MHP-v2, 0.3 (default) else;
        # the model's post-processing owns it, the metric scores the model's semantic map
        thr = 0.05 if cfg.train_dataloader.dataset.type == 'MHPv2InstanceDataset' else 0.3
        assert cfg.model.test_cfg.get('semseg_score_thr', 0.3) == thr
        assert 'miou_score_thr' not in cfg.val_evaluator
        assert 'miou_score_thr' not in cfg.test_evaluator
