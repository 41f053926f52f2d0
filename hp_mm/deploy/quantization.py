"""Static int8 quantization of an exported graph (ONNX Runtime's ``quantize_static``).

    model = build_ort_model(cfg, 'fp32.onnx')
    with model.ort_session.recording() as inputs:       # what the graph really sees
        inference_model(model, calibration_images)
    quantize_onnx('fp32.onnx', 'int8.onnx', inputs, per_channel=True)

The calibration inputs are the graph's own inputs (normalised images, flipped
copies, person crops) recorded while the fp32 model runs on real images. The
file keeps hp_mm's metadata (plus ``hp_mm.quantization``), so
:func:`~hp_mm.deploy.build_ort_model` runs it like the fp32 one.
"""
import json
import os.path as osp
import re
import shutil
import tempfile
from collections import Counter
from typing import Dict, Iterable, List, Optional, Sequence

import numpy as np
from mmengine.utils import mkdir_or_exist

from .runtime import META_PREFIX, OrtGraphSession, import_onnx, import_onnxruntime

#: Option values of :func:`quantize_onnx`, by name.
QUANT_FORMATS = ('qdq', 'qoperator')
QUANT_TYPES = ('uint8', 'int8')
CALIBRATE_METHODS = ('minmax', 'entropy', 'percentile')


def _choice(name: str, value: str, choices: Sequence[str]) -> str:
    value = str(value).lower()
    if value not in choices:
        raise ValueError(f'{name} must be one of {", ".join(choices)}, got {value!r}')
    return value


def matching_nodes(onnx_file: str, patterns: Sequence[str]) -> List[str]:
    """Names of the nodes of a file that match any of the regular expressions ``patterns``.

    Raises:
        ValueError: A pattern matches no node (the message shows some names).
    """
    names = [n.name for n in import_onnx().load(onnx_file, load_external_data=False).graph.node]
    found = []
    for pattern in patterns:
        hits = [n for n in names if re.search(pattern, n)]
        if not hits:
            raise ValueError(f'--exclude {pattern!r} matches no node of {onnx_file} (names '
                             f'look like {", ".join(names[:3])}, ...)')
        found += [h for h in hits if h not in found]
    return found


def quantize_onnx(onnx_file: str,
                  out_file: str,
                  calibration_inputs: Iterable[np.ndarray],
                  per_channel: bool = False,
                  exclude: Sequence[str] = (),
                  op_types: Optional[Sequence[str]] = None,
                  quant_format: str = 'qoperator',
                  activation_type: str = 'uint8',
                  weight_type: str = 'int8',
                  calibrate_method: str = 'minmax',
                  extra_options: Optional[dict] = None) -> dict:
    """Quantize an hp_mm ONNX file to int8, calibrated on ``calibration_inputs``.

    The file is first optimised for quantization (ONNX Runtime's
    ``quant_pre_process``: shape inference, BN folded into convolutions);
    node names in ``exclude`` refer to that optimised graph.

    Args:
        onnx_file (str): fp32 file from :func:`~hp_mm.deploy.export_onnx`.
        out_file (str): The int8 file to write (only on success).
        calibration_inputs (Iterable[np.ndarray]): Graph inputs, float32
            (n, 3, H, W) each (H, W fixed for a static graph).
        per_channel (bool): One weight scale per output channel (else per
            tensor).
        exclude (Sequence[str]): Regular expressions of node names kept in
            float (see :func:`matching_nodes`).
        op_types (Sequence[str], optional): Quantize only these op types
            (default: every one ONNX Runtime can).
        quant_format (str): ``'qoperator'`` (QLinearConv, QLinearAdd...: on a
            CPU the float layers left keep ONNX Runtime's blocked layout, 25 vs
            32 ms for the quick-start parser at 512 x 512) or ``'qdq'``
            (Quantize/DequantizeLinear pairs, fused by ONNX Runtime).
        activation_type, weight_type (str): ``'uint8'`` or ``'int8'``.
        calibrate_method (str): ``'minmax'``, ``'entropy'`` or ``'percentile'``.
        extra_options (dict, optional): ``quantize_static``'s ``extra_options``.

    Returns:
        dict: ``out_file``, ``excluded`` (node names), ``calibration_batches``,
        ``op_types`` (Counter of the int8 file's op types) and the options.
    """
    import_onnxruntime()
    from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod,
                                          QuantFormat, QuantType, quant_pre_process,
                                          quantize_static)
    options = dict(per_channel=bool(per_channel),
                   quant_format=_choice('quant_format', quant_format, QUANT_FORMATS),
                   activation_type=_choice('activation_type', activation_type, QUANT_TYPES),
                   weight_type=_choice('weight_type', weight_type, QUANT_TYPES),
                   calibrate_method=_choice('calibrate_method', calibrate_method,
                                            CALIBRATE_METHODS))
    input_name = OrtGraphSession(onnx_file).input_name
    batches = [np.ascontiguousarray(x, dtype=np.float32) for x in calibration_inputs]
    if not batches:
        raise ValueError('quantize_onnx needs at least one calibration input')

    class Reader(CalibrationDataReader):

        def __init__(self):
            self._it = iter(batches)

        def get_next(self) -> Optional[Dict[str, np.ndarray]]:
            x = next(self._it, None)
            return None if x is None else {input_name: x}

    onnx = import_onnx()
    types = dict(uint8=QuantType.QUInt8, int8=QuantType.QInt8)
    methods = dict(minmax=CalibrationMethod.MinMax, entropy=CalibrationMethod.Entropy,
                   percentile=CalibrationMethod.Percentile)
    # every intermediate file goes to a temporary folder; ONNX Runtime's symbolic shape
    # inference is skipped: when it gives up (dynamic graphs whose resized sizes it cannot
    # equate) it saves sym_shape_infer_temp.onnx (and its tensors) into the working directory,
    # and ONNX's own shape inference, which quant_pre_process runs after it, is what
    # quantization needs of a CNN (the quick-start parser's static and dynamic exports
    # quantize to the same nodes and weights either way)
    with tempfile.TemporaryDirectory(prefix='hp_mm_int8_') as tmp_dir:
        pre_file, int8_file = osp.join(tmp_dir, 'pre.onnx'), osp.join(tmp_dir, 'int8.onnx')
        quant_pre_process(onnx_file, pre_file, skip_symbolic_shape=True)
        excluded = matching_nodes(pre_file, exclude) if exclude else []
        quantize_static(
            pre_file, int8_file, Reader(),
            quant_format=QuantFormat.QDQ if options['quant_format'] == 'qdq'
            else QuantFormat.QOperator,
            op_types_to_quantize=list(op_types) if op_types else None,
            per_channel=options['per_channel'],
            activation_type=types[options['activation_type']],
            weight_type=types[options['weight_type']],
            nodes_to_exclude=excluded or None,
            calibrate_method=methods[options['calibrate_method']],
            extra_options=extra_options)
        proto = onnx.load(int8_file)
        source = onnx.load(onnx_file, load_external_data=False)
        kept = {p.key for p in proto.metadata_props}
        for prop in source.metadata_props:
            if prop.key.startswith(META_PREFIX) and prop.key not in kept:
                proto.metadata_props.add(key=prop.key, value=prop.value)
        proto.metadata_props.add(key=META_PREFIX + 'quantization',
                                 value=json.dumps(dict(options, excluded=excluded)))
        onnx.save(proto, int8_file)
        op_count = Counter(n.op_type for n in proto.graph.node)
        mkdir_or_exist(osp.dirname(osp.abspath(out_file)))
        shutil.move(int8_file, out_file)
    return dict(out_file=out_file, excluded=excluded, calibration_batches=len(batches),
                op_types=op_count, **options)
