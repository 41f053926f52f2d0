"""Deployment: ONNX export of hp_mm's parsers and re-ID models, and an ONNX Runtime backend.

- :func:`export_onnx`: a model's graph (:mod:`hp_mm.deploy.graphs`) to ONNX,
  checked against PyTorch with ONNX Runtime (``tools/deployment/pytorch2onnx.py``);
- :func:`build_ort_model`: the config's model with its network in ONNX
  Runtime, same ``test_step`` / ``predict`` (the Inferencers'
  ``backend='onnxruntime'``);
- :func:`quantize_onnx`: ONNX Runtime's static int8 quantization, calibrated on
  images (``tools/deployment/quantize_onnx.py``).

Needs the ``deploy`` extra (``onnx``, ``onnxruntime``, ``onnxscript``).
"""
from .export import ExportCheckError, export_onnx, format_checks, preprocess_info
from .graphs import GRAPHS, graph_for_config, graph_for_type, output_stride
from .ort_models import ORT_MODELS, build_ort_model
from .quantization import quantize_onnx
from .runtime import OrtGraphSession

__all__ = [
    'export_onnx', 'ExportCheckError', 'format_checks', 'preprocess_info', 'GRAPHS',
    'graph_for_config', 'graph_for_type', 'output_stride', 'build_ort_model', 'ORT_MODELS',
    'OrtGraphSession', 'quantize_onnx'
]
