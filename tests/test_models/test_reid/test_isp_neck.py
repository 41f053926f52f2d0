"""ISP's M_g fusion (official cls_hrnet.py head) on small inputs."""
import pytest
import torch
import torch.nn.functional as F

import hp_mm  # noqa: F401
from hp_mm.registry import MODELS


def test_isp_neck_hrnet_w32_widths_and_shapes():
    neck = MODELS.build(dict(type='ISPNeck', in_channels=[32, 64, 128, 256],
                             incre_channels=[32, 64, 128, 256], out_channels=256)).eval()
    assert neck.concat_channels == 128 + 256 + 512 + 1024  # 1920, the official "big" width
    maps = [torch.randn(1, c, 8 // 2 ** i, 4 // 2 ** i if i < 2 else 1)
            for i, c in enumerate([32, 64, 128, 256])]
    feat, cat = neck(maps, with_concat=True)
    assert feat.shape == (1, 256, 8, 4) and cat.shape == (1, 1920, 8, 4)
    assert (feat >= 0).all()  # ReLU then a sigmoid mask
    with pytest.raises(ValueError, match='expected 4 maps'):
        neck(maps[:3])


def test_isp_neck_by_hand_without_attention():
    torch.manual_seed(0)
    neck = MODELS.build(dict(type='ISPNeck', in_channels=[2, 3], out_channels=4,
                             spatial_attention=False)).eval()
    a, b = torch.randn(1, 2, 4, 2), torch.randn(1, 3, 2, 1)
    feat, cat = neck([a, b], with_concat=True)
    up = F.interpolate(b, size=(4, 2), mode='bilinear', align_corners=True)
    assert torch.allclose(cat, torch.cat([a, up], 1))
    conv, bn = neck.reduce.conv, neck.reduce.bn
    expected = F.relu(bn(conv(cat)))
    assert torch.allclose(feat, expected, atol=1e-6)
    # with attention: M_g = x * sigmoid(...) in (0, 1) times x
    att = MODELS.build(dict(type='ISPNeck', in_channels=[2, 3], out_channels=4)).eval()
    att.reduce.load_state_dict(neck.reduce.state_dict())
    f2, _ = att([a, b])
    ratio = f2[expected > 0] / expected[expected > 0]
    assert ((ratio > 0) & (ratio < 1)).all()
