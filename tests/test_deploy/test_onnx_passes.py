"""hp_mm.deploy.onnx_passes.fold_zero_pads: the pads move into the Conv, the result is the same."""
import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from hp_mm.deploy.onnx_passes import fold_zero_pads


def _pad_conv_model(pads, fill=0.0, conv_pads=(1, 1, 1, 1)):
    """x (1, 2, 7, 6) -> Pad(pads, fill) -> Conv(3x3, stride 2, conv_pads) -> y."""
    rng = np.random.default_rng(0)
    weight = rng.standard_normal((4, 2, 3, 3)).astype(np.float32)
    inits = [numpy_helper.from_array(np.array(pads, np.int64), 'pads'),
             numpy_helper.from_array(np.array(fill, np.float32), 'fill'),
             numpy_helper.from_array(weight, 'w')]
    nodes = [helper.make_node('Pad', ['x', 'pads', 'fill'], ['p'], mode='constant'),
             helper.make_node('Conv', ['p', 'w'], ['y'], kernel_shape=[3, 3], strides=[2, 2],
                              pads=list(conv_pads))]
    graph = helper.make_graph(nodes, 'g', [helper.make_tensor_value_info(
        'x', TensorProto.FLOAT, [1, 2, 7, 6])], [helper.make_tensor_value_info(
            'y', TensorProto.FLOAT, ['n', 'c', 'h', 'w'])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid('', 17)])


def _run(model, x):
    sess = ort.InferenceSession(model.SerializeToString(), providers=['CPUExecutionProvider'])
    return sess.run(None, {'x': x})[0]


@pytest.mark.parametrize('pads', [[0, 0, 1, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 1, 1]])
def test_zero_pad_folds_into_conv_pads(pads):
    model = _pad_conv_model(pads)
    x = np.random.default_rng(1).standard_normal((1, 2, 7, 6)).astype(np.float32)
    expected = _run(model, x)
    assert fold_zero_pads(model) == 1
    assert [n.op_type for n in model.graph.node] == ['Conv']
    conv = model.graph.node[0]
    # ONNX Pad: (n, c, top, left, n, c, bottom, right); Conv pads: (top, left, bottom, right)
    want = [1 + pads[2], 1 + pads[3], 1 + pads[6], 1 + pads[7]]
    assert list(next(a.ints for a in conv.attribute if a.name == 'pads')) == want
    assert conv.input[0] == 'x'
    onnx.checker.check_model(model)
    np.testing.assert_allclose(_run(model, x), expected, rtol=1e-5, atol=1e-5)


def test_other_pads_stay():
    for model in (_pad_conv_model([0, 0, 1, 1, 0, 0, 1, 1], fill=1.0),  # not a zero pad
                  _pad_conv_model([0, 1, 0, 0, 0, 0, 0, 0])):  # pads a channel
        assert fold_zero_pads(model) == 0
        assert [n.op_type for n in model.graph.node] == ['Pad', 'Conv']
