"""tools/model_converters/{qanet2hpmm,schp2hpmm}.py on synthetic official-layout checkpoints.

The official key / shape lists below are written from the official model definitions
(soeaver/QANet ``lib/backbone/{resnet,hrnet}.py``, ``lib/layers/{fpn,wrappers}.py``,
``qanet/modeling/fpn/PFPN.py``, ``qanet/modeling/parsing_head/``; GoGoDuck912/
Self-Correction-Human-Parsing ``networks/AugmentCE2P.py``, ``modules/bn.py``), at full width
(the official heads hard-code their widths), with random values.
"""
import importlib.util
import math
import os.path as osp
import pickle
import sys
import types
from collections import OrderedDict

import numpy as np
import pytest
import torch
import torch.nn.functional as F

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONVERTERS = osp.join(ROOT, 'tools', 'model_converters')


def _load_tool(name):
    spec = importlib.util.spec_from_file_location(name, osp.join(CONVERTERS, f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


qanet2hpmm = _load_tool('qanet2hpmm')
schp2hpmm = _load_tool('schp2hpmm')


# ----------------------------------------------------------- official layouts
class _Layout:
    """Ordered key -> tensor builder (random values, seeded)."""

    def __init__(self, seed=0, bn_counter=True):
        self.state = OrderedDict()
        self.gen = torch.Generator().manual_seed(seed)
        self.bn_counter = bn_counter  # torch BN has num_batches_tracked, InPlaceABN has not

    def t(self, key, *shape):
        self.state[key] = torch.randn(*shape, generator=self.gen)

    def conv(self, key, cout, cin, k, bias=False):
        self.t(f'{key}.weight', cout, cin, k, k)
        if bias:
            self.t(f'{key}.bias', cout)

    def bn(self, key, c):
        self.t(f'{key}.weight', c)
        self.t(f'{key}.bias', c)
        self.t(f'{key}.running_mean', c)
        self.state[f'{key}.running_var'] = torch.rand(c, generator=self.gen) + 0.5
        if self.bn_counter:
            self.state[f'{key}.num_batches_tracked'] = torch.tensor(7)

    def conv_bn(self, key, cout, cin, k):  # make_conv(norm=BN): Sequential(conv, bn)
        self.conv(f'{key}.0', cout, cin, k)
        self.bn(f'{key}.1', cout)

    def bottleneck(self, key, cin, planes, downsample):
        self.conv(f'{key}.conv1', planes, cin, 1)
        self.bn(f'{key}.bn1', planes)
        self.conv(f'{key}.conv2', planes, planes, 3)
        self.bn(f'{key}.bn2', planes)
        self.conv(f'{key}.conv3', planes * 4, planes, 1)
        self.bn(f'{key}.bn3', planes * 4)
        if downsample:
            self.conv(f'{key}.downsample.0', planes * 4, cin, 1)
            self.bn(f'{key}.downsample.1', planes * 4)

    def resnet_layers(self, prefix, blocks, inplanes):
        for n, (num, planes) in enumerate(zip(blocks, (64, 128, 256, 512)), 1):
            for b in range(num):
                self.bottleneck(f'{prefix}layer{n}.{b}', inplanes if b == 0 else planes * 4,
                                planes, downsample=b == 0)
            inplanes = planes * 4


def _qanet_pfpn_and_parsing(lay, dims, num_classes=20):
    """PFPN scale blocks (conv3x3+BN+ReLU (+up)) and the parsing / IoU heads."""
    for k, dim in zip((1, 2, 3, 4), dims[::-1]):  # scale1 = 1/32 (3 convs) ... scale4 = 1/4
        for m in range(max(1, 4 - k)):
            lay.conv_bn(f'Conv_Body_FPN.scale{k}_block.{2 * m}', 256, dim if m == 0 else 256, 3)
    lay.conv('Parsing.Output.classify', num_classes, 256, 1, bias=True)
    lay.conv('Parsing.ParsingIoU.Head.conv1x1.0', 256, 256, 1, bias=True)
    lay.conv('Parsing.ParsingIoU.Head.conv_layers.0.0', 512, 256, 1, bias=True)
    lay.conv('Parsing.ParsingIoU.Head.conv_layers.1.0', 512, 512, 1, bias=True)
    lay.t('Parsing.ParsingIoU.Output.parsing_iou.weight', 1, 512)
    lay.t('Parsing.ParsingIoU.Output.parsing_iou.bias', 1)


def qanet_r50c_state():
    """QANet R-50c (USE_3x3x3HEAD, stem 32/32/64) + FPN (BN) + PFPN + parsing/IoU heads."""
    lay = _Layout(seed=1)
    for i, (cout, cin) in enumerate(((32, 3), (32, 32), (64, 32)), 1):
        lay.conv(f'Conv_Body.conv{i}', cout, cin, 3)
        lay.bn(f'Conv_Body.bn{i}', cout)
    lay.resnet_layers('Conv_Body.', (3, 4, 6, 3), 64)
    lay.conv_bn('Conv_Body_FPN.fpn.p5_in', 256, 2048, 1)
    lay.conv_bn('Conv_Body_FPN.fpn.p5_out', 256, 256, 3)
    for i, cin in enumerate((1024, 512, 256)):
        lay.conv_bn(f'Conv_Body_FPN.fpn.fpn_in.{i}', 256, cin, 1)
        lay.conv_bn(f'Conv_Body_FPN.fpn.fpn_out.{i}', 256, 256, 3)
    _qanet_pfpn_and_parsing(lay, (256, 256, 256, 256))
    return lay.state


def qanet_hrnet_state(width=48):
    """QANet HRNet (lib/backbone/hrnet.py without the classification head) + PFPN on it."""
    lay = _Layout(seed=2)
    w = [width * 2**i for i in range(4)]
    lay.conv('Conv_Body.conv1', 64, 3, 3)
    lay.bn('Conv_Body.bn1', 64)
    lay.conv('Conv_Body.conv2', 64, 64, 3)
    lay.bn('Conv_Body.bn2', 64)
    for b in range(4):
        lay.bottleneck(f'Conv_Body.layer1.{b}', 64 if b == 0 else 256, 64, downsample=b == 0)
    lay.conv_bn('Conv_Body.transition1.0', w[0], 256, 3)
    lay.conv_bn('Conv_Body.transition1.1.0', w[1], 256, 3)
    for stage, modules in ((2, 1), (3, 4), (4, 3)):
        for mod in range(modules):
            pre = f'Conv_Body.stage{stage}.{mod}'
            for br in range(stage):
                for n in range(4):
                    key = f'{pre}.branches.{br}.{n}'
                    lay.conv(f'{key}.conv1', w[br], w[br], 3)
                    lay.bn(f'{key}.bn1', w[br])
                    lay.conv(f'{key}.conv2', w[br], w[br], 3)
                    lay.bn(f'{key}.bn2', w[br])
            for i in range(stage):
                for j in range(stage):
                    key = f'{pre}.fuse_layers.{i}.{j}'
                    if i < j:
                        lay.conv_bn(key, w[i], w[j], 1)
                    for k in range(i - j):
                        last = k == i - j - 1
                        lay.conv_bn(f'{key}.{k}', w[i] if last else w[j], w[j], 3)
        if stage < 4:
            lay.conv_bn(f'Conv_Body.transition{stage}.{stage}.0', w[stage], w[stage - 1], 3)
    _qanet_pfpn_and_parsing(lay, w)
    return lay.state


def schp_state(num_classes=20):
    """SCHP AugmentCE2P ResNet-101 (InPlaceABNSync norms: no num_batches_tracked)."""
    lay = _Layout(seed=3, bn_counter=False)
    for i, (cout, cin) in enumerate(((64, 3), (64, 64), (128, 64)), 1):
        lay.conv(f'conv{i}', cout, cin, 3)
        lay.bn(f'bn{i}', cout)
    lay.resnet_layers('', (3, 4, 23, 3), 128)
    for s in range(4):
        lay.conv(f'context_encoding.stages.{s}.1', 512, 2048, 1)
        lay.bn(f'context_encoding.stages.{s}.2', 512)
    lay.conv_bn('context_encoding.bottleneck', 512, 2048 + 4 * 512, 3)
    for i, cin in enumerate((256, 512, 1024), 1):
        lay.conv_bn(f'edge.conv{i}', 256, cin, 1)
    lay.conv('edge.conv4', 2, 256, 3, bias=True)
    lay.conv('edge.conv5', 2, 6, 1, bias=True)
    lay.conv_bn('decoder.conv1', 256, 512, 1)
    lay.conv_bn('decoder.conv2', 48, 256, 1)
    lay.conv('decoder.conv3.0', 256, 304, 1)
    lay.bn('decoder.conv3.1', 256)
    lay.conv('decoder.conv3.2', 256, 256, 1)
    lay.bn('decoder.conv3.3', 256)
    lay.conv('decoder.conv4', num_classes, 256, 1, bias=True)
    lay.conv_bn('fushion', 256, 1024, 1)
    lay.conv('fushion.3', num_classes, 256, 1, bias=True)
    return OrderedDict((f'module.{k}', v) for k, v in lay.state.items())  # DataParallel


def _build(config):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from hp_mm.registry import MODELS
    from hp_mm.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(osp.join(ROOT, config))
    cfg.model.pretrained = None
    init_default_scope('hp_mm')
    return MODELS.build(cfg.model)


def _load_strict(model, state):
    result = model.load_state_dict(state, strict=True)
    assert not result.missing_keys and not result.unexpected_keys


@pytest.fixture(scope='module')
def r50_state():
    return qanet_r50c_state()


# --------------------------------------------------------------------- QANet
def test_qanet_r50c_maps_every_key_and_loads_strictly(r50_state):
    assert len(r50_state) == 430  # the count for QANet R-50c CIHP
    converted = qanet2hpmm.convert_qanet(r50_state)
    assert len(converted) == len(r50_state)  # one hp_mm key per official key
    # spot checks of the renaming (same tensor objects: no copy, no change)
    pairs = {
        'Conv_Body.conv2.weight': 'backbone.stem.3.weight',
        'Conv_Body.bn3.running_var': 'backbone.stem.7.running_var',
        'Conv_Body.layer3.5.bn2.bias': 'backbone.layer3.5.bn2.bias',
        'Conv_Body_FPN.fpn.p5_in.0.weight': 'neck.lateral_convs.3.conv.weight',
        'Conv_Body_FPN.fpn.fpn_in.0.1.weight': 'neck.lateral_convs.2.bn.weight',
        'Conv_Body_FPN.fpn.fpn_out.2.0.weight': 'neck.fpn_convs.0.conv.weight',
        'Conv_Body_FPN.scale1_block.4.0.weight': 'decode_head.scale_heads.3.4.conv.weight',
        'Conv_Body_FPN.scale4_block.0.1.running_mean':
        'decode_head.scale_heads.0.0.bn.running_mean',
        'Parsing.Output.classify.bias': 'decode_head.conv_seg.bias',
        'Parsing.ParsingIoU.Head.conv_layers.1.0.weight': 'decode_head.iou_convs.1.conv.weight',
        'Parsing.ParsingIoU.Output.parsing_iou.weight': 'decode_head.iou_fc.weight',
    }
    for old, new in pairs.items():
        assert converted[new] is r50_state[old]
    _load_strict(_build('configs/qanet/qanet_r50_cihp.py'), converted)


def test_qanet_hrnet_w48_loads_strictly_into_the_official_model():
    state = qanet_hrnet_state(48)
    converted = qanet2hpmm.convert_qanet(OrderedDict((f'module.{k}', v) for k, v in state.items()))
    assert len(converted) == len(state)
    assert converted['backbone.stage4.2.fuse_layers.3.0.2.0.weight'].shape == (384, 48, 3, 3)
    assert converted['decode_head.scale_heads.3.0.conv.weight'].shape == (256, 384, 3, 3)
    model = _build('configs/qanet/qanet_hrnet-w48_cihp.py')
    assert not getattr(model, 'neck', None)  # PFPN on the HRNet branches, no FPN
    modes = {m.mode for m in model.backbone.modules() if type(m).__name__ == 'Upsample'}
    assert modes == {'nearest'}
    _load_strict(model, converted)


def test_qanet_module_prefix_is_stripped(r50_state):
    plain = qanet2hpmm.convert_qanet(r50_state)
    wrapped = qanet2hpmm.convert_qanet(
        OrderedDict((f'module.{k}', v) for k, v in r50_state.items()))
    assert list(plain) == list(wrapped)


def test_qanet_unknown_keys_are_listed(r50_state):
    state = OrderedDict(r50_state)
    state['Keypoint.Output.classify.weight'] = torch.zeros(1)
    with pytest.raises(KeyError, match='Keypoint.Output.classify.weight'):
        qanet2hpmm.convert_qanet(state)


def _fake_yacs(monkeypatch):
    """A module ``yacs.config`` whose ``CfgNode`` pickles as yacs' does (dict + __dict__ flags)."""

    class CfgNode(dict):

        def __init__(self, init=None):
            super().__init__(init or {})
            self.__dict__['__immutable__'] = False
            self.__dict__['__deprecated_keys__'] = set()
            self.__dict__['__renamed_keys__'] = {'OLD': ('NEW', 'renamed')}
            self.__dict__['__new_allowed__'] = False

        def __getattr__(self, name):
            if name in self:
                return self[name]
            raise AttributeError(name)

    CfgNode.__module__, CfgNode.__qualname__ = 'yacs.config', 'CfgNode'
    yacs, config = types.ModuleType('yacs'), types.ModuleType('yacs.config')
    config.CfgNode, yacs.config = CfgNode, config
    monkeypatch.setitem(sys.modules, 'yacs', yacs)
    monkeypatch.setitem(sys.modules, 'yacs.config', config)
    return CfgNode


def _qanet_checkpoint_file(path, model_state):
    """{'model', 'optimizer', 'scheduler'} as QANet's CheckPointer.save writes it."""
    with pytest.MonkeyPatch.context() as mp:
        cfg_node = _fake_yacs(mp)
        solver = cfg_node({'BASE_LR': 0.00075, 'STEPS': [90, 120], 'LR_POLICY': 'STEP',
                           'SNAPSHOT': cfg_node({'EPOCHS': 10})})
        scheduler = {'solver': solver, 'iteration': 1000, 'milestones': [90, 120],
                     'base_lrs': [0.00075], 'last_epoch': 999,
                     'info': {'best_acc': np.float64(62.9), 'cur_epoch': 140}}
        optimizer = {'state': {0: {'step': torch.tensor(3.0), 'exp_avg': torch.zeros(2)}},
                     'param_groups': [{'lr': 0.00075, 'params': [0]}]}
        torch.save({'model': model_state, 'optimizer': optimizer, 'scheduler': scheduler}, path)


def test_qanet_checkpoint_with_yacs_cfgnode_reads_safely(tmp_path):
    model_state = OrderedDict([('module.Conv_Body.conv1.weight', torch.ones(2, 3, 3, 3))])
    path = str(tmp_path / 'model_latest.pth')
    _qanet_checkpoint_file(path, model_state)
    # torch's default (weights_only) loader refuses the pickled CfgNode
    with pytest.raises(pickle.UnpicklingError, match='yacs.config.CfgNode'):
        torch.load(path, map_location='cpu')
    state = qanet2hpmm.load_qanet_checkpoint(path)
    assert list(state) == ['module.Conv_Body.conv1.weight']
    assert torch.equal(state['module.Conv_Body.conv1.weight'], torch.ones(2, 3, 3, 3))


def test_qanet_checkpoint_written_with_numpy_1_reads(tmp_path):
    """QANet wrote its files with numpy 1.x: scalars pickle as numpy.core.multiarray.scalar."""
    import io
    import zipfile
    path = str(tmp_path / 'numpy2.pth')
    torch.save({'model': {'Conv_Body.conv1.weight': torch.ones(1)},
                'scheduler': {'info': {'best_acc': np.float64(62.9)}}}, path)
    old = str(tmp_path / 'numpy1.pth')
    buf = io.BytesIO()
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(buf, 'w', zipfile.ZIP_STORED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.endswith('data.pkl'):
                assert b'numpy._core.multiarray' in data
                data = data.replace(b'numpy._core.multiarray', b'numpy.core.multiarray')
            zout.writestr(item, data)
    with open(old, 'wb') as f:
        f.write(buf.getvalue())
    assert list(qanet2hpmm.load_qanet_checkpoint(old)) == ['Conv_Body.conv1.weight']


class Payload:
    """A class no checkpoint may carry (stands for arbitrary code)."""

    def __reduce__(self):
        return (print, ('unpickled!', ))


def test_qanet_loader_refuses_other_classes_and_names_the_file(tmp_path):
    path = str(tmp_path / 'evil.pth')
    torch.save({'model': {'Conv_Body.conv1.weight': torch.ones(1)}, 'scheduler': Payload()}, path)
    with pytest.raises(ValueError, match='evil.pth.*restricted'):
        qanet2hpmm.load_qanet_checkpoint(path)


def test_qanet_loader_rejects_an_schp_checkpoint(tmp_path):
    path = str(tmp_path / 'exp-schp-lip.pth')
    torch.save({'state_dict': {'module.conv1.weight': torch.ones(1)}, 'cycle_n': 3}, path)
    with pytest.raises(ValueError, match=r'exp-schp-lip.pth is not a QANet checkpoint.*schp2hpmm'):
        qanet2hpmm.load_qanet_checkpoint(path)


def test_qanet_cli_writes_a_checkpoint_init_parser_loads(tmp_path, r50_state, monkeypatch):
    src, dst = str(tmp_path / 'qanet.pth'), str(tmp_path / 'out' / 'qanet_r50_cihp.pth')
    _qanet_checkpoint_file(src, OrderedDict((f'module.{k}', v) for k, v in r50_state.items()))
    monkeypatch.setattr(sys, 'argv', ['qanet2hpmm.py', src, dst])
    qanet2hpmm.main()
    out = torch.load(dst, map_location='cpu')
    meta = out['meta']['dataset_meta']
    from hp_mm.datasets import CIHPInstanceDataset
    assert tuple(meta['classes']) == tuple(CIHPInstanceDataset.METAINFO['classes'])
    assert meta['classes'][10] == 'Torso-skin' and len(meta['palette']) == 20
    assert [tuple(p) for p in meta['flip_pairs']] == [(14, 15), (16, 17), (18, 19)]
    assert torch.equal(out['state_dict']['decode_head.conv_seg.weight'],
                       r50_state['Parsing.Output.classify.weight'])
    assert tuple(qanet2hpmm.dataset_meta('LIPDataset')['classes'])[10] == 'Jumpsuits'


# ---------------------------------------------------------------------- SCHP
@pytest.fixture(scope='module')
def schp_lip():
    return schp_state(20)


def test_schp_maps_every_key_folds_abn_and_loads_strictly(schp_lip):
    converted = schp2hpmm.convert_schp(schp_lip)
    norms = [k[:-len('.running_mean')] for k in schp_lip if k.endswith('.running_mean')]
    # every official key, plus one num_batches_tracked per norm layer
    assert len(converted) == len(schp_lip) + len(norms)
    w = schp_lip['module.bn1.weight']
    assert (w < 0).any()  # the fold must handle negative scales
    assert torch.equal(converted['backbone.stem.1.weight'], w.abs() + 1e-5)
    assert converted['backbone.stem.1.num_batches_tracked'].item() == 0
    assert torch.equal(converted['decode_head.psp_modules.3.1.bn.weight'],
                       schp_lip['module.context_encoding.stages.3.2.weight'].abs() + 1e-5)
    assert (converted['decode_head.decoder_fuse.1.bn.bias']
            is schp_lip['module.decoder.conv3.3.bias'])
    assert converted['decode_head.edge_seg.weight'] is schp_lip['module.edge.conv4.weight']
    assert converted['decode_head.conv_seg.weight'] is schp_lip['module.fushion.3.weight']
    assert converted['backbone.layer4.0.downsample.0.weight'].shape == (2048, 1024, 1, 1)
    _load_strict(_build('configs/schp/schp_r101_lip.py'), converted)


def test_schp_fold_reproduces_inplace_abn():
    """BN with the folded weight == InPlaceABN's (x - mean) / sqrt(var + eps) * (|w| + eps) + b."""
    lay = _Layout(seed=5, bn_counter=False)
    lay.bn('bn1', 6)
    state = OrderedDict(lay.state)
    state['bn1.weight'] = torch.tensor([-2.0, -0.5, 0.0, 0.3, 1.0, -1e-6])
    folded = schp2hpmm.convert_schp(state)
    x = torch.randn(2, 6, 4, 4, generator=torch.Generator().manual_seed(0))
    def c(name):  # per-channel, broadcast over (N, C, H, W)
        return state[f'bn1.{name}'].view(1, -1, 1, 1)

    scale = c('weight').abs() + 1e-5
    abn = (x - c('running_mean')) / torch.sqrt(c('running_var') + 1e-5) * scale + c('bias')
    bn = F.batch_norm(x, folded['backbone.stem.1.running_mean'],
                      folded['backbone.stem.1.running_var'], folded['backbone.stem.1.weight'],
                      folded['backbone.stem.1.bias'], training=False, eps=1e-5)
    torch.testing.assert_close(bn, abn, rtol=0, atol=1e-6)
    assert folded['backbone.stem.1.weight'][2].item() == pytest.approx(1e-5)


def test_schp_module_prefix_is_stripped():
    lay = _Layout(seed=6, bn_counter=False)
    lay.conv('conv1', 4, 3, 3)
    lay.bn('bn1', 4)
    plain = schp2hpmm.convert_schp(lay.state)
    wrapped = schp2hpmm.convert_schp(OrderedDict((f'module.{k}', v) for k, v in lay.state.items()))
    assert list(plain) == list(wrapped) == [
        'backbone.stem.0.weight', 'backbone.stem.1.weight', 'backbone.stem.1.bias',
        'backbone.stem.1.running_mean', 'backbone.stem.1.running_var',
        'backbone.stem.1.num_batches_tracked']


def test_schp_loader_rejects_a_qanet_checkpoint(tmp_path):
    path = str(tmp_path / 'QANet_R-50c.pth')
    torch.save({'model': {'Conv_Body.conv1.weight': torch.ones(1)}}, path)
    with pytest.raises(ValueError, match=r'QANet_R-50c.pth is not an SCHP.*qanet2hpmm'):
        schp2hpmm.load_schp_checkpoint(path)
    with pytest.raises(KeyError, match='head.extra.weight'):
        schp2hpmm.convert_schp({'module.head.extra.weight': torch.ones(1)})


def test_schp_cli_checks_classes_and_writes_dataset_meta(tmp_path, monkeypatch):
    src = str(tmp_path / 'exp-schp-201908270938-pascal-person-part.pth')
    torch.save({'state_dict': schp_state(7), 'cycle_n': 3}, src)
    dst = str(tmp_path / 'schp_r101_pascal-person-part.pth')
    monkeypatch.setattr(sys, 'argv', ['schp2hpmm.py', src, dst, '--dataset', 'lip'])
    with pytest.raises(ValueError, match=r'has 7 classes but --dataset lip has 20.*pascal-person'):
        schp2hpmm.main()
    assert not osp.exists(dst)
    monkeypatch.setattr(sys, 'argv', ['schp2hpmm.py', src, dst, '--dataset', 'pascal-person-part'])
    schp2hpmm.main()
    meta = torch.load(dst, map_location='cpu')['meta']['dataset_meta']
    assert tuple(meta['classes']) == ('Background', 'Head', 'Torso', 'Upper Arms', 'Lower Arms',
                                      'Upper Legs', 'Lower Legs')
    assert list(meta['flip_pairs']) == [] and len(meta['palette']) == 7
    atr = qanet2hpmm.dataset_meta(schp2hpmm.SCHP_DATASETS['atr'])
    assert [tuple(p) for p in atr['flip_pairs']] == [(9, 10), (12, 13), (14, 15)]
    assert math.isclose(schp2hpmm.ABN_EPS, 1e-5)
