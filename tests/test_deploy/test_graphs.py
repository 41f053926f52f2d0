"""hp_mm.deploy.graphs (what each family exports, shapes, strides) and the export-time rewrites."""
import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmcv.cnn.bricks.conv2d_adaptive_padding import Conv2dAdaptivePadding
from mmengine.config import Config
from mmseg.models.segmentors import EncoderDecoder
from mmseg.models.utils import Upsample

from conftest import ROOT
from hp_mm.deploy.graphs import (GlobalReIDGraph, ISPReIDGraph, ParserGraph, TopDownGraph,
                                 graph_for_config, graph_for_type, output_stride,
                                 static_only_layers)
from hp_mm.deploy.rewrites import (_same_pad, adaptive_padding_forward, traceable_sizes,
                                   upsample_forward)
from hp_mm.models import C2L, ParsingEncoderDecoder, TopDownParser


def _cfg(path):
    return Config.fromfile(osp.join(ROOT, path))


def test_graph_for_type_exact_classes():
    assert isinstance(graph_for_type('ParsingEncoderDecoder'), ParserGraph)
    assert isinstance(graph_for_type(TopDownParser), TopDownGraph)
    assert isinstance(graph_for_type('GlobalReID'), GlobalReIDGraph)
    assert isinstance(graph_for_type('ISPReID'), ISPReIDGraph)
    for unsupported in (C2L, EncoderDecoder):
        with pytest.raises(NotImplementedError, match=rf'{unsupported.__name__} cannot be '
                           r'exported: hp_mm exports ParsingEncoderDecoder, TopDownParser'):
            graph_for_type(unsupported)

    class MyParser(ParsingEncoderDecoder):  # a subclass may change the network method
        pass

    with pytest.raises(NotImplementedError, match='MyParser'):
        graph_for_type(MyParser)


def test_config_shapes():
    quick = _cfg('configs/lip/fpn_r18_minihumans.py')
    assert graph_for_config(quick).config_shape(quick) == (160, 160)  # the training crop
    assert graph_for_config(quick).fixed_shape(quick) is None  # whole images of any size
    schp = _cfg('configs/schp/schp_r101_lip.py')  # test images padded to 473 x 473
    assert ParserGraph().fixed_shape(schp) == (473, 473)
    slide = _cfg('configs/lip/fpn_r18_minihumans.py')
    slide.model.test_cfg = dict(mode='slide', crop_size=(96, 128), stride=(64, 64))
    assert ParserGraph().fixed_shape(slide) == (96, 128)
    qanet = _cfg('configs/qanet/qanet_r18_minihumans.py')  # input_size (W, H) = (96, 128)
    assert graph_for_config(qanet).fixed_shape(qanet) == (128, 96)
    isp = _cfg('configs/isp/isp_r18_minihumans.py')  # ReIDResize scale (w, h) = (64, 128)
    assert graph_for_config(isp).fixed_shape(isp) == (128, 64)
    c2l = _cfg('configs/c2l/c2l_fpn-r18_minihumans-atr-3class.py')
    with pytest.raises(NotImplementedError, match='C2L cannot be exported'):
        graph_for_config(c2l)


def test_output_stride_and_static_only_layers():
    from mmseg.models.backbones import ResNet

    class Net(nn.Module):

        def __init__(self, strides):
            super().__init__()
            self.backbone = ResNet(depth=18, base_channels=8, strides=strides)
            self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.AdaptiveAvgPool2d((2, 3)))

    assert output_stride(Net((1, 2, 2, 2)).eval()) == 32
    assert output_stride(Net((1, 2, 2, 1)).eval()) == 16  # last stride 1 (re-ID)
    assert static_only_layers(Net((1, 2, 2, 2))) == ['pool.1: (2, 3)']


@pytest.mark.parametrize('size', [(5, 7), (6, 9), (1, 1)])
@pytest.mark.parametrize('scale', [2, 1.5])
def test_upsample_rewrite_equals_mmseg(size, scale):
    up = Upsample(scale_factor=scale, mode='bilinear', align_corners=False)
    x = torch.randn(2, 3, *size)
    torch.testing.assert_close(upsample_forward(up, x), up(x), rtol=0, atol=0)


def test_same_pad_by_hand():
    # ceil(107 / 2) = 54 outputs: (54 - 1) * 2 + 3 - 107 = 2; 108: 53 * 2 + 3 - 108 = 1
    assert _same_pad(107, 3, 2, 1) == 2 and _same_pad(108, 3, 2, 1) == 1
    assert _same_pad(108, 5, 2, 1) == 3 and _same_pad(8, 1, 1, 1) == 0
    assert int(_same_pad(torch.tensor(107), 3, 2, 1)) == 2


@pytest.mark.parametrize('size', [(7, 8), (9, 10), (16, 16)])
@pytest.mark.parametrize('kernel,stride', [(3, 2), (5, 2), (3, 1)])
def test_adaptive_padding_rewrite_equals_mmcv(size, kernel, stride):
    conv = Conv2dAdaptivePadding(3, 4, kernel, stride=stride)
    x = torch.randn(1, 3, *size)
    torch.testing.assert_close(adaptive_padding_forward(conv, x), conv(x), rtol=0, atol=0)


def test_traceable_sizes_restores_the_layers():
    original = (Upsample.forward, Conv2dAdaptivePadding.forward)
    with pytest.raises(RuntimeError, match='inside'):
        with traceable_sizes():
            assert Upsample.forward is upsample_forward
            assert Conv2dAdaptivePadding.forward is adaptive_padding_forward
            raise RuntimeError('inside')
    assert (Upsample.forward, Conv2dAdaptivePadding.forward) == original
