import torch
from mmengine.registry import init_default_scope

from hp_mm.registry import MODELS


def test_aspp_v2_head_shapes_and_branch_sum():
    init_default_scope('hp_mm')
    head = MODELS.build(dict(type='ASPPV2Head', in_channels=16, channels=8, num_classes=5,
                             dilations=(1, 2), dropout_ratio=0.0, norm_cfg=None))
    head.eval()
    x = torch.randn(2, 16, 12, 10)
    out = head([x])
    assert out.shape == (2, 5, 12, 10)
    expected = head.conv_seg(head.branches[0](x) + head.branches[1](x))
    torch.testing.assert_close(out, expected)
    # the dilated branch sees further: a change far from a pixel reaches it only via dilation 2
    x2 = x.clone()
    x2[:, :, 6, 7] += 10.0
    diff = (head([x2]) - out).abs().sum(1)[0]
    assert diff[6, 5] > 0 and diff[6, 4] == 0
