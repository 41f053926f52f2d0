"""Exact clean-ups of an exported ONNX graph (run by :func:`hp_mm.deploy.export_onnx`).

- :func:`fold_zero_pads`: a zero ``Pad`` of the spatial axes in front of a
  ``Conv`` becomes the convolution's own (possibly asymmetric) ``pads``.
  EfficientNet-Lite's TF "same" padding at stride 2 is such a ``Pad``; in ONNX
  Runtime a separate ``Pad`` cannot run in the blocked (NCHWc) layout of the
  convolutions around it, so each one costs a reorder out of and back into it
  (about a fifth of Lite0's time at 512 x 512).
"""
from typing import Dict, Optional

import numpy as np


def _static_shapes(proto) -> Dict[str, list]:
    """Fully known tensor shapes of the graph, from ONNX shape inference."""
    import onnx
    inferred = onnx.shape_inference.infer_shapes(proto)
    shapes = {}
    for info in list(inferred.graph.value_info) + list(inferred.graph.input) + \
            list(inferred.graph.output):
        dims = info.type.tensor_type.shape.dim
        if dims and all(d.HasField('dim_value') for d in dims):
            shapes[info.name] = [d.dim_value for d in dims]
    return shapes


def _constant_values(proto) -> Dict[str, np.ndarray]:
    """The graph's constant tensors, by name: initializers, and the outputs of nodes
    whose inputs are all constant (evaluated with ``onnx.reference``), ``Shape`` of a
    tensor of known shape included. Torch's exporter computes e.g. a TF-"same" Pad's
    ``pads`` from the traced shapes: constant once the input size is fixed."""
    from onnx import numpy_helper
    from onnx.reference import ReferenceEvaluator
    values = {t.name: numpy_helper.to_array(t) for t in proto.graph.initializer}
    shapes = _static_shapes(proto)
    for node in proto.graph.node:
        if node.op_type == 'Shape':
            if node.input[0] in shapes:
                attrs = {a.name: a.i for a in node.attribute}
                dims = shapes[node.input[0]]
                values[node.output[0]] = np.array(
                    dims[attrs.get('start', 0):attrs.get('end', len(dims))], np.int64)
            continue
        inputs = [i for i in node.input if i]
        if node.output and all(i in values for i in inputs):
            try:
                outs = ReferenceEvaluator(node).run(None, {i: values[i] for i in inputs})
            except Exception:  # noqa: BLE001 (an op the reference does not run: not folded)
                continue
            values.update(zip(node.output, (np.asarray(o) for o in outs)))
    return values


def _zero_spatial_pads(node, values) -> Optional[np.ndarray]:
    """(top, left, bottom, right) of a constant zero Pad of (N, C, H, W) on H, W only."""
    mode = next((a.s for a in node.attribute if a.name == 'mode'), b'constant')
    if mode != b'constant' or len(node.input) < 2 or node.input[1] not in values:
        return None
    if len(node.input) > 2 and node.input[2]:
        fill = values.get(node.input[2])
        if fill is None or np.any(fill != 0):
            return None
    if len(node.input) > 3 and node.input[3]:  # axes (opset 18)
        return None
    pads = values[node.input[1]].astype(np.int64).reshape(-1)
    if pads.size != 8 or np.any(pads < 0) or np.any(pads[[0, 1, 4, 5]] != 0):
        return None
    return pads[[2, 3, 6, 7]]


def fold_zero_pads(proto) -> int:
    """Fold constant zero ``Pad`` nodes into the ``Conv`` nodes that read them (in place).

    A Pad is folded when every reader of its output is a 2-d ``Conv``
    without ``auto_pad``; the convolution then pads by its own ``pads`` plus
    the Pad's. The result is the same computation.

    Folding a Pad makes the shapes after it known, hence the next Pad's
    ``pads`` constant: the pass repeats until nothing changes.

    Returns:
        int: The number of Pad nodes removed.
    """
    total = 0
    while True:
        removed = _fold_zero_pads_once(proto)
        total += removed
        if not removed:
            return total


def _fold_zero_pads_once(proto) -> int:
    values = _constant_values(proto)
    readers = {}
    for node in proto.graph.node:
        for name in node.input:
            readers.setdefault(name, []).append(node)
    graph_outputs = {o.name for o in proto.graph.output}
    removed = []
    for node in proto.graph.node:
        if node.op_type != 'Pad' or node.output[0] in graph_outputs:
            continue
        pads = _zero_spatial_pads(node, values)
        convs = readers.get(node.output[0], [])
        if pads is None or not convs or any(
                c.op_type != 'Conv' or c.input[0] != node.output[0] or any(
                    a.name == 'auto_pad' and a.s not in (b'', b'NOTSET') for a in c.attribute)
                for c in convs):
            continue
        for conv in convs:
            own = next((a for a in conv.attribute if a.name == 'pads'), None)
            if own is None:
                own = conv.attribute.add()
                own.name, own.type = 'pads', own.INTS
                own.ints.extend([0, 0, 0, 0])
            total = [int(a + b) for a, b in zip(own.ints, pads)]
            del own.ints[:]
            own.ints.extend(total)
            conv.input[0] = node.input[0]
        removed.append(node)
    for node in removed:
        proto.graph.node.remove(node)
    return len(removed)
