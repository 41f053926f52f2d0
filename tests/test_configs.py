"""Every config under configs/ parses and its model builds (SyncBN -> BN, no pretrained download);
every `_base_` file parses and names registered types; names say what the configs build; methods'
hooks live under `default_hooks` keys, so configs change them by merging."""
import ast
import copy
import glob
import os.path as osp
import re
from unittest import mock

import pytest
import torch.nn as nn
from mmengine.config import Config
from mmengine.model import BaseModel, revert_sync_batchnorm
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

import hp_mm  # noqa: F401
from hp_mm.registry import DATASETS, HOOKS, MODELS, TRANSFORMS

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(p for p in glob.glob(osp.join(ROOT, 'configs', '*', '*.py'))
                 if '_base_' not in p)
BASES = sorted(glob.glob(osp.join(ROOT, 'configs', '_base_', '**', '*.py'), recursive=True))
ALL = sorted(glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True))
CLUSTERING_HOOKS = ('ISPClusteringHook', 'C2LClusteringHook')


def _ids(paths):
    return [osp.relpath(p, ROOT) for p in paths]


def _config(rel):
    return Config.fromfile(osp.join(ROOT, rel))


@pytest.mark.parametrize('path', CONFIGS, ids=_ids(CONFIGS))
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
    classes = dataset_cls.METAINFO.get('classes')
    if classes is None:  # read from the data's class file (CustomParsingDataset checks the
        assert cfg.train_dataloader.dataset.num_classes == num_classes  # count the config gives)
    else:
        assert len(classes) == num_classes
    multi_person = cfg.train_dataloader.dataset.get('data_mode') is not None
    expected = 'MultiHumanParsingMetric' if multi_person else 'HumanParsingMetric'
    assert metric == expected
    if multi_person:  # QANet's PARSING.SEMSEG_SCORE_THRESH: 0.05 on MHP-v2, 0.3 (default) else;
        # the model's post-processing owns it, the metric scores the model's semantic map
        thr = 0.05 if cfg.train_dataloader.dataset.type == 'MHPv2InstanceDataset' else 0.3
        assert cfg.model.test_cfg.get('semseg_score_thr', 0.3) == thr
        assert 'miou_score_thr' not in cfg.val_evaluator
        assert 'miou_score_thr' not in cfg.test_evaluator


# --------------------------------------------------------------------------- _base_ files
@pytest.mark.parametrize('path', BASES, ids=_ids(BASES))
def test_base_parses_and_names_registered_types(path):
    """A base is never built by itself: check that what it names exists (model, backbone,
    dataset, transforms, hooks), so a typo fails here and not in the first config using it."""
    cfg = Config.fromfile(path)
    assert len(cfg) > 0
    if 'model' in cfg:
        assert MODELS.get(cfg.model.type) is not None, cfg.model.type
        assert MODELS.get(cfg.model.backbone.type) is not None, cfg.model.backbone.type
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if key in cfg:
            dataset = cfg[key].dataset
            assert DATASETS.get(dataset.type) is not None, dataset.type
            for step in dataset.pipeline:
                assert TRANSFORMS.get(step.type) is not None, step.type
    hooks = list((cfg.get('default_hooks') or {}).values()) + list(cfg.get('custom_hooks', []))
    for hook in hooks:
        assert HOOKS.get(hook.type) is not None, hook.type


def test_every_dataset_base_is_inherited():
    """A dataset base that no config inherits is dead text (its layout then gets pasted)."""
    inherited = {osp.normpath(osp.join(osp.dirname(p), b)) for p in ALL for b in _base_files(p)
                 if '::' not in b}
    unused = {osp.basename(p) for p in glob.glob(osp.join(ROOT, 'configs/_base_/datasets/*.py'))
              if p not in inherited}
    # cihp.py, CIHP's semantic view (CIHPDataset), has no config yet and is pasted nowhere
    assert unused <= {'cihp.py'}, unused


# --------------------------------------------------------------------------- names
BACKBONE_TOKEN = re.compile(r'(?:^|[_-])(r|hrnet-w|lite)(\d+)(?=$|[_-])')


def _backbone_token(path):
    """('r', 18), ('hrnet-w', 32), ('lite', 0) or None, from a config's file name."""
    found = BACKBONE_TOKEN.findall(osp.splitext(osp.basename(path))[0])
    assert len(found) <= 1, (path, found)
    return (found[0][0], int(found[0][1])) if found else None


def _base_files(path):
    """The `_base_` entries of a config file, as written (parsed, not executed)."""
    for node in ast.parse(open(path).read()).body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == '_base_' for t in node.targets):
            value = ast.literal_eval(node.value)
            return [value] if isinstance(value, str) else list(value)
    return []


def test_backbone_token_parser():
    assert _backbone_token('isp_hrnet-w32_market1501.py') == ('hrnet-w', 32)
    assert _backbone_token('deeplabv3_r50-d8.py') == ('r', 50)
    assert _backbone_token('c2l-pacm_fpn-r18_atr-3class.py') == ('r', 18)
    assert _backbone_token('fpn_lite0_minihumans.py') == ('lite', 0)
    assert _backbone_token('market1501.py') is None and _backbone_token('atr_3class.py') is None


NAMED = [p for p in ALL if _backbone_token(p)]


@pytest.mark.parametrize('path', NAMED, ids=_ids(NAMED))
def test_names_say_the_backbone(path):
    """`<method>_<backbone>_...`: the merged config builds the backbone its name says."""
    kind, number = _backbone_token(path)
    cfg = Config.fromfile(path)
    # a model base builds it as model.backbone; a backbone-only base holds it as `<name>_backbone`
    backbone = cfg.model.backbone if 'model' in cfg else cfg[f'{kind}{number}_backbone']
    if kind == 'r':
        assert backbone.depth == number, (backbone.type, backbone.depth)
    elif kind == 'hrnet-w':
        assert backbone.extra.stage2.num_channels[0] == number
    else:
        assert backbone.arch == f'lite{number}'
    if '_base_' not in osp.relpath(path, ROOT):  # a config's model base names its backbone
        for base in _base_files(path):
            if '_base_/models/' in base:
                assert _backbone_token(base) == (kind, number), (base, path)


# --------------------------------------------------------------------------- hooks
@pytest.mark.parametrize('path', CONFIGS, ids=_ids(CONFIGS))
def test_hooks_are_registered_once_and_custom_hooks_are_not_restated(path):
    cfg = Config.fromfile(path)
    assert cfg.custom_hooks == [dict(type='DatasetMetaHook')]  # default_runtime's, as it is
    types = [h.type for h in cfg.default_hooks.values() if h is not None]
    types += [h.type for h in cfg.custom_hooks]
    assert len(types) == len(set(types)), types
    for name, hook in cfg.default_hooks.items():
        if hook.type in CLUSTERING_HOOKS:
            assert name == 'clustering'
            # the extraction sees whole, un-augmented images (without `pipeline` the hook
            # would use the training pipeline)
            steps = [t.type for t in hook.pipeline]
            assert 'LoadPseudoLabels' not in steps and not any('Random' in t for t in steps)


def _isp_hooks(rel):
    return _config(rel).default_hooks.clustering


def test_isp_clustering_hook_merges_per_config():
    """Occluded-Duke turns the sharpening off and keeps every other argument of the ISP
    schedule's hook; the extraction pipeline is each dataset's test pipeline."""
    market = _isp_hooks('configs/isp/isp_hrnet-w32_market1501.py')
    assert market == dict(type='ISPClusteringHook', interval=2, stop_epoch=101, sharpen=True,
                          dataloader=dict(batch_size=128), chunk_size=256,
                          pipeline=_config('configs/_base_/datasets/market1501.py').test_pipeline)
    occluded = _isp_hooks('configs/isp/isp_hrnet-w32_occluded-duke.py')
    assert occluded == dict(market, sharpen=False)
    for rel in ('configs/isp/isp_hrnet-w32_dukemtmc.py', 'configs/isp/isp_r50_market1501.py',
                'configs/isp/isp_hrnet-w32_cuhk03-np-labeled.py',
                'configs/isp/isp_hrnet-w32_cuhk03-np-detected.py'):
        assert _isp_hooks(rel) == market, rel
    minihumans = _isp_hooks('configs/isp/isp_r18_minihumans.py')  # the CPU run clusters every
    assert (minihumans.interval, minihumans.sharpen) == (1, True)  # epoch, with GT masks loaded
    assert [t.type for t in minihumans.pipeline][:2] == ['LoadImageFromFile', 'LoadReIDPartMask']


def test_isp_configs_train_on_their_dataset_with_pseudo_labels():
    """Each ISP config inherits its dataset base (type, root, subset) and trains on ISP's
    pseudo-label pipeline of that base."""
    cases = {
        'isp_hrnet-w32_market1501.py': 'market1501.py',
        'isp_r50_market1501.py': 'market1501.py',
        'isp_hrnet-w32_dukemtmc.py': 'dukemtmc-reid.py',
        'isp_hrnet-w32_occluded-duke.py': 'occluded-duke.py',
        'isp_hrnet-w32_cuhk03-np-labeled.py': 'cuhk03-np-labeled.py',
        'isp_hrnet-w32_cuhk03-np-detected.py': 'cuhk03-np-detected.py',
        'isp_r18_minihumans.py': 'minihumans_market1501.py',
    }
    for config, dataset in cases.items():
        cfg = _config(f'configs/isp/{config}')
        data = _config(f'configs/_base_/datasets/{dataset}')
        train = cfg.train_dataloader.dataset
        assert train.pipeline == data.pseudo_label_train_pipeline, config
        assert [t.type for t in train.pipeline][:2] == ['LoadImageFromFile', 'LoadPseudoLabels']
        for key in ('type', 'data_root', 'subset'):
            assert train.get(key) == data.train_dataloader.dataset.get(key), (config, key)
            assert cfg.test_dataloader.dataset.get(key) == data.test_dataloader.dataset.get(key)
    assert _config('configs/isp/isp_hrnet-w32_cuhk03-np-detected.py') \
        .train_dataloader.dataset.subset == 'detected'


def test_c2l_adds_the_projection_hook_by_key():
    picie = _config('configs/c2l/picie_fpn-r18_minihumans-atr-3class.py').default_hooks
    c2l = _config('configs/c2l/c2l_fpn-r18_minihumans-atr-3class.py').default_hooks
    assert 'dictionary_projection' not in picie
    assert c2l.dictionary_projection == dict(type='DictionaryProjectionHook')
    assert c2l.clustering == picie.clustering and c2l.clustering.type == 'C2LClusteringHook'


class _ToyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.layer = nn.Linear(1, 1)

    def forward(self, *args, **kwargs):
        return {}


@pytest.mark.parametrize('rel,expected', [
    ('configs/isp/isp_hrnet-w32_occluded-duke.py', ['DatasetMetaHook', 'ISPClusteringHook']),
    ('configs/c2l/c2l_fpn-r18_minihumans-atr-3class.py',
     ['C2LClusteringHook', 'DatasetMetaHook', 'DictionaryProjectionHook']),
])
def test_runner_registers_default_hooks_under_any_key(tmp_path, rel, expected):
    """mmengine 0.10.7's Runner.register_default_hooks updates its six defaults with the config's
    default_hooks dict and registers every value: `clustering` and `dictionary_projection` are
    registered once each, from the merged configs, next to custom_hooks' DatasetMetaHook."""
    cfg = _config(rel)
    built = []
    build = MMENGINE_HOOKS.build

    def record(hook_cfg, *args, **kwargs):
        built.append(copy.deepcopy(dict(hook_cfg)))
        return build(hook_cfg, *args, **kwargs)

    with mock.patch.object(MMENGINE_HOOKS, 'build', side_effect=record):
        runner = Runner(model=_ToyModel(), work_dir=str(tmp_path),
                        default_hooks=copy.deepcopy(cfg.default_hooks),
                        custom_hooks=copy.deepcopy(cfg.custom_hooks), default_scope='hp_mm',
                        experiment_name=f'test_configs_{len(expected)}_{tmp_path.name}')
    names = [type(h).__name__ for h in runner.hooks]
    for name in expected:
        assert names.count(name) == 1, names
    ours = sorted((h for h in built if h['type'] in expected), key=lambda h: h['type'])
    assert [h['type'] for h in ours] == expected
    clustering = next(h for h in ours if h['type'] in CLUSTERING_HOOKS)
    assert clustering == cfg.default_hooks.clustering.to_dict()
