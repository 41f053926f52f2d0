"""hp_mm.deploy.quantize_onnx writes the file it is asked for and nothing else: no temporary
files in the working directory (ONNX Runtime's symbolic shape inference saves
``sym_shape_infer_temp.onnx`` there when it gives up), none next to the input or the output."""
import os

import numpy as np
import onnx
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from deploy_utils import TINY_PARSER, max_rel_diff, random_model
from hp_mm.deploy import OrtGraphSession, export_onnx, quantize_onnx


class PoolUpsampleAdd(nn.Module):
    """conv(x) + upsample(max_pool(conv(x))): at a dynamic size, ONNX Runtime's symbolic shape
    inference cannot equate H with 2 * floor(H / 2) and gives up."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)

    def forward(self, x):
        x = self.conv(x)
        return x + F.interpolate(F.max_pool2d(x, 2), scale_factor=2.0)


@pytest.fixture
def dirs(tmp_path, monkeypatch):
    """Empty folders for the working directory (made current), the input and the output."""
    paths = {name: tmp_path / name for name in ('cwd', 'src', 'out')}
    for path in paths.values():
        path.mkdir()
    monkeypatch.chdir(paths['cwd'])
    return paths


def test_a_graph_symbolic_shape_inference_gives_up_on(dirs):
    from onnxruntime.tools.symbolic_shape_infer import SymbolicShapeInference
    src = str(dirs['src'] / 'fp32.onnx')
    torch.manual_seed(0)
    torch.onnx.export(PoolUpsampleAdd().eval(), (torch.zeros(1, 3, 8, 8), ), src,
                      input_names=['inputs'], output_names=['out'], opset_version=17,
                      dynamic_axes=dict(inputs={0: 'n', 2: 'h', 3: 'w'}), dynamo=False)
    with pytest.raises(Exception, match='Incomplete symbolic shape inference'):
        SymbolicShapeInference.infer_shapes(onnx.load(src))  # (the premise)
    for path in os.listdir('.'):  # what it left behind
        os.remove(path)

    gen = np.random.default_rng(0)
    calib = [gen.standard_normal((1, 3, 8, 12)).astype(np.float32) for _ in range(4)]
    out = str(dirs['out'] / 'int8.onnx')
    report = quantize_onnx(src, out, calib)
    assert os.listdir(dirs['cwd']) == []
    assert os.listdir(dirs['src']) == ['fp32.onnx'] and os.listdir(dirs['out']) == ['int8.onnx']
    assert report['op_types']['QLinearConv'] == 1
    # the int8 graph computes the float one within its quantization steps on the calibration
    # inputs, and runs at another size
    x = torch.from_numpy(np.concatenate(calib))
    assert max_rel_diff(OrtGraphSession(src)(x)[0], OrtGraphSession(out)(x)[0]) < 0.1
    assert OrtGraphSession(out)(torch.zeros(2, 3, 16, 10))[0].shape == (2, 4, 16, 10)

def test_export_and_quantize_a_dynamic_parser(dirs):
    src, out = str(dirs['src'] / 'parser.onnx'), str(dirs['out'] / 'parser_int8.onnx')
    export_onnx(random_model(TINY_PARSER), src, shape=(64, 64), dynamic=True)
    gen = np.random.default_rng(0)
    quantize_onnx(src, out, [gen.standard_normal((2, 3, 64, 64)).astype(np.float32)],
                  per_channel=True)
    assert os.listdir(dirs['cwd']) == []
    assert os.listdir(dirs['src']) == ['parser.onnx']
    assert os.listdir(dirs['out']) == ['parser_int8.onnx']
    session = OrtGraphSession(out)
    assert session.metadata['model_type'] == 'ParsingEncoderDecoder'
    assert session.metadata['quantization']['per_channel']
    assert session(torch.zeros(1, 3, 96, 64))[0].shape == (1, 20, 96, 64)
