"""ISP's ResNet variant: last stage at stride 1, outputs bilinearly upsampled to the 1/4 map."""
import pytest
import torch
import torch.nn.functional as F
from mmseg.models.backbones import ResNet

import hp_mm  # noqa: F401
from hp_mm.registry import MODELS


def test_upsample_resnet_shapes_and_values():
    torch.manual_seed(0)
    cfg = dict(depth=18, stem_channels=8, base_channels=8)
    net = MODELS.build(dict(type='UpsampleResNet', out_indices=(1, 3), **cfg))
    net.eval()  # mmseg's ResNet.train() returns None: no chaining
    x = torch.randn(2, 3, 64, 32)
    outs = net(x)
    # 1/4 map of a 64 x 32 input: 16 x 8; ResNet-18 stage widths 8, 16, 32, 64
    assert [tuple(o.shape) for o in outs] == [(2, 16, 16, 8), (2, 64, 16, 8)]
    # the same weights in a plain mmseg ResNet with the last stride 1: stage 4 at 1/16
    ref = ResNet(strides=(1, 2, 2, 1), out_indices=(0, 1, 2, 3), **cfg)
    ref.eval()
    ref.load_state_dict(net.state_dict())
    r = ref(x)
    assert r[3].shape[2:] == (4, 2) and r[2].shape[2:] == (4, 2)  # stride 1: no 1/32 map
    expected = F.interpolate(r[3], size=(16, 8), mode='bilinear', align_corners=True)
    assert torch.allclose(outs[1], expected, atol=1e-5)
    assert torch.allclose(outs[0], F.interpolate(r[1], size=(16, 8), mode='bilinear',
                                                 align_corners=True), atol=1e-5)
    # default: the final map only, 2048 channels for ResNet-50 (checked on the width rule)
    assert len(MODELS.build(dict(type='UpsampleResNet', **cfg))(x)) == 1
    with pytest.raises(ValueError, match='out_indices'):
        MODELS.build(dict(type='UpsampleResNet', out_indices=(4, ), **cfg))
