"""CE2PHead: the CE2P / SCHP head (PSP order, 1/4 decoder, edge branch, fusion, losses)."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from hp_mm.models.heads import CE2PHead
from hp_mm.models.heads.ce2p_head import balanced_edge_loss

LEAKY = dict(type='LeakyReLU', negative_slope=0.01)


def small_head(**kwargs):
    cfg = dict(in_channels=[8, 12, 16, 20], channels=10, psp_channels=6, skip_channels=4,
               edge_channels=5, num_classes=7, norm_cfg=dict(type='BN'), act_cfg=LEAKY,
               dropout_ratio=0.1, align_corners=True)
    cfg.update(kwargs)
    torch.manual_seed(0)
    head = CE2PHead(**cfg)
    for m in head.modules():  # non-trivial BN statistics
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    return head.eval()


def inputs(n=2):
    g = torch.Generator().manual_seed(1)
    # SCHP's strides 4, 8, 16, 16 (dilated layer 4)
    return [torch.randn(n, c, h, w, generator=g)
            for c, (h, w) in zip([8, 12, 16, 20], [(17, 13), (9, 7), (5, 4), (5, 4)])]


def conv_module(module, x):
    """ConvModule(conv, BN (eval), LeakyReLU(0.01)) by hand."""
    bn = module.bn
    y = F.conv2d(x, module.conv.weight, module.conv.bias, padding=module.conv.padding)
    y = (y - bn.running_mean[None, :, None, None]) / torch.sqrt(
        bn.running_var[None, :, None, None] + bn.eps) * bn.weight[None, :, None, None] + \
        bn.bias[None, :, None, None]
    return F.leaky_relu(y, 0.01)


def test_output_is_the_fusion_branch_at_quarter_resolution():
    head = small_head()
    x = inputs()
    with torch.no_grad():
        out = head(x)
        seg, parsing, edge = head.forward_branches(x)
    assert out.shape == (2, 7, 17, 13)
    assert parsing.shape == (2, 7, 17, 13) and edge.shape == (2, 2, 17, 13)
    torch.testing.assert_close(out, seg)
    assert not torch.allclose(out, parsing)


def test_psp_concatenates_pooled_maps_before_the_input():
    """Bottleneck weights only on its last 20 input channels: its output is then a conv of x4."""
    head = small_head()
    x = inputs()
    c4 = 20
    with torch.no_grad():
        head.psp_bottleneck.conv.weight[:, :-c4] = 0
        captured = {}
        head.psp_bottleneck.register_forward_hook(lambda m, i, o: captured.update(out=o))
        head(x)
    # the bottleneck sees cat([pool1, pool2, pool3, pool6, x4]): with the pooled part zeroed,
    # it is the 3x3 ConvModule applied to x4 with the last c4 input channels of the weight
    sliced = torch.nn.Module()
    sliced.conv = torch.nn.Conv2d(c4, 6, 3, padding=1, bias=False)
    sliced.conv.weight.data = head.psp_bottleneck.conv.weight[:, -c4:].clone()
    sliced.bn = head.psp_bottleneck.bn
    expected = conv_module(sliced, x[3])
    torch.testing.assert_close(captured['out'], expected, rtol=1e-5, atol=1e-5)
    assert head.psp_bottleneck.conv.in_channels == c4 + 4 * 6


def test_decoder_upsamples_with_align_corners_then_concatenates_the_skip():
    head = small_head()
    x = inputs()
    captured = {}
    head.decoder_fuse.register_forward_hook(lambda m, i, o: captured.update(inp=i[0]))
    with torch.no_grad():
        head(x)
        psp = head.psp_bottleneck(torch.cat(head.psp_modules(x[3]) + [x[3]], 1))
        top = F.interpolate(conv_module(head.decoder_top, psp), size=(17, 13), mode='bilinear',
                            align_corners=True)
        skip = conv_module(head.decoder_skip, x[0])
    inp = captured['inp']
    assert inp.shape[1] == 10 + 4  # [top (K), skip (S)]
    torch.testing.assert_close(inp[:, :10], top, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(inp[:, 10:], skip, rtol=1e-5, atol=1e-5)


def test_edge_branch_shares_its_classifier_over_layers_1_to_3():
    head = small_head()
    x = inputs(1)
    with torch.no_grad():
        # edge_fuse keeps the first level's 2 channels only
        head.edge_fuse.weight.zero_()
        head.edge_fuse.bias.zero_()
        head.edge_fuse.weight[0, 0] = 1
        head.edge_fuse.weight[1, 1] = 1
        _, _, edge = head.forward_branches(x)
        e1 = conv_module(head.edge_convs[0], x[0])
        expected = F.conv2d(e1, head.edge_seg.weight, head.edge_seg.bias, padding=1)
        torch.testing.assert_close(edge, expected, rtol=1e-5, atol=1e-5)
        # the same edge_seg on level 2, upsampled with align_corners
        head.edge_fuse.weight.zero_()
        head.edge_fuse.weight[0, 2] = 1
        head.edge_fuse.weight[1, 3] = 1
        _, _, edge = head.forward_branches(x)
        e2 = conv_module(head.edge_convs[1], x[1])
        lvl2 = F.conv2d(e2, head.edge_seg.weight, head.edge_seg.bias, padding=1)
        expected = F.interpolate(lvl2, size=(17, 13), mode='bilinear', align_corners=True)
        torch.testing.assert_close(edge, expected, rtol=1e-5, atol=1e-5)
    assert head.fusion.conv.in_channels == 10 + 3 * 5


def test_full_size_layout_matches_schp():
    head = CE2PHead(in_channels=[256, 512, 1024, 2048], channels=256, num_classes=20,
                    norm_cfg=dict(type='BN'), act_cfg=LEAKY, align_corners=True)
    shapes = {k: tuple(v.shape) for k, v in head.state_dict().items()}
    assert shapes['psp_bottleneck.conv.weight'] == (512, 4096, 3, 3)
    assert shapes['decoder_skip.conv.weight'] == (48, 256, 1, 1)
    assert shapes['decoder_fuse.0.conv.weight'] == (256, 304, 1, 1)
    assert shapes['fusion.conv.weight'] == (256, 1024, 1, 1)
    assert shapes['edge_fuse.weight'] == (2, 6, 1, 1)
    assert shapes['conv_seg.weight'] == (20, 256, 1, 1)
    assert 'psp_bottleneck.conv.bias' not in shapes  # ConvModule with norm: no bias
    assert isinstance(head.psp_bottleneck.activate, torch.nn.LeakyReLU)
    assert head.psp_bottleneck.activate.negative_slope == 0.01


def test_balanced_edge_loss_by_hand():
    # 3 pixels: edge (label 1) with logits [0, ln 3] -> CE a = -ln(3/4);
    # non-edge [0, 0] -> b = ln 2; non-edge [ln 3, 0] -> c = -ln(3/4)
    logits = torch.tensor([[0.0, 0.0, math.log(3)], [math.log(3), 0.0, 0.0]]).view(1, 2, 1, 3)
    label = torch.tensor([[[1, 0, 0]]])
    a, b, c = -math.log(0.75), math.log(2), -math.log(0.75)
    # n_edge = 1, n_bg = 2: w_edge = 2/3, w_bg = 1/3 -> (2/3 a + 1/3 b + 1/3 c) / (4/3)
    expected = (2 * a + b + c) / 4
    assert balanced_edge_loss(logits, label).item() == pytest.approx(expected, rel=1e-6)
    # ignored pixels count nowhere
    label_ignored = torch.tensor([[[1, 0, 255]]])
    expected = (a / 2 + b / 2) / (1 / 2 + 1 / 2)  # n_edge = n_bg = 1: both weights 1/2
    assert balanced_edge_loss(logits, label_ignored).item() == pytest.approx(expected, rel=1e-6)
    # one class only: 0, not NaN
    loss = balanced_edge_loss(logits.requires_grad_(), torch.zeros(1, 1, 3, dtype=torch.long))
    assert loss.item() == 0.0
    loss.backward()


def test_loss_supervises_fusion_parsing_and_edge():
    head = small_head(loss_decode=dict(type='CrossEntropyLoss', loss_weight=1.0,
                                       loss_name='loss_ce'), parsing_branch_weight=0.5)
    head.train()
    x = inputs()
    g = torch.Generator().manual_seed(2)
    samples = []
    for _ in range(2):
        s = SegDataSample()
        s.gt_sem_seg = PixelData(data=torch.randint(0, 7, (1, 34, 26), generator=g))
        samples.append(s)
    losses = head.loss(x, samples, {})
    assert set(losses) == {'loss_ce', 'acc_seg', 'aux_loss_ce'}
    for s in samples:
        s.gt_edge_map = PixelData(data=torch.randint(0, 2, (1, 34, 26), generator=g))
    torch.manual_seed(3)
    losses = head.loss(x, samples, {})
    assert set(losses) == {'loss_ce', 'acc_seg', 'aux_loss_ce', 'loss_edge'}
    # aux = 0.5 x the parsing branch's CE, in the same dropout-free computation
    head.eval()
    with torch.no_grad():
        seg, parsing, edge = head.forward_branches(x)
        losses = head.loss(x, samples, {})
        label = torch.stack([s.gt_sem_seg.data for s in samples]).squeeze(1)
        up = F.interpolate(parsing, size=(34, 26), mode='bilinear', align_corners=True)
        expected = 0.5 * F.cross_entropy(up, label).item()
        assert losses['aux_loss_ce'].item() == pytest.approx(expected, rel=1e-5)
        up = F.interpolate(seg, size=(34, 26), mode='bilinear', align_corners=True)
        expected = F.cross_entropy(up, label).item()
        assert losses['loss_ce'].item() == pytest.approx(expected, rel=1e-5)
        edge_label = torch.stack([s.gt_edge_map.data for s in samples]).squeeze(1)
        up = F.interpolate(edge, size=(34, 26), mode='bilinear', align_corners=True)
        assert losses['loss_edge'].item() == pytest.approx(
            balanced_edge_loss(up, edge_label).item(), rel=1e-5)


def test_needs_four_inputs():
    with pytest.raises(ValueError, match='4 inputs'):
        CE2PHead(in_channels=[8, 16, 32], in_index=[0, 1, 2], channels=8, num_classes=3)
