"""Export an hp_mm model's graph to ONNX and check it against PyTorch with ONNX Runtime.

    model = init_model('configs/lip/fpn_r18_minihumans.py', 'iter_3000.pth')
    report = export_onnx(model, 'fpn_r18.onnx', dynamic=True)
    report['max_rel_diff']          # largest |ORT - PyTorch| / max |PyTorch|, per output

The graph of each model family is in :mod:`hp_mm.deploy.graphs`. The file is
written to a temporary folder, checked, and moved to ``out_file`` only when
ONNX Runtime's outputs equal PyTorch's within ``rtol`` (relative to each
output's largest magnitude): nothing is written on failure.

Note:
    N: batch. H, W: the export (trace) height and width.
"""
import json
import os.path as osp
import shutil
import tempfile
from contextlib import nullcontext
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.utils import mkdir_or_exist
from torch import Tensor

from hp_mm.version import __version__
from .graphs import DeployGraph, graph_for_type, output_stride, static_only_layers
from .onnx_passes import fold_zero_pads
from .rewrites import traceable_sizes
from .runtime import OrtGraphSession, import_onnx

#: Opsets the exports are tested with (the TorchScript exporter of torch 2.x, ONNX Runtime 1.32).
MIN_OPSET, MAX_OPSET = 13, 20
#: ``metadata_props`` keys written into every exported file.
META_PREFIX = 'hp_mm.'


class ExportCheckError(RuntimeError):
    """ONNX Runtime's outputs differ from PyTorch's by more than the tolerance."""


def preprocess_info(cfg: Config) -> dict:
    """What the graph's input must already be: the config's ``data_preprocessor``.

    Returns:
        dict: ``mean`` and ``std`` (3 floats each, in the graph's channel
        order, or None when the preprocessor does not normalise) and
        ``channel_order`` (``'RGB'`` when images read as BGR are converted,
        else ``'BGR'``): ``input = (image[..., order] - mean) / std``, (N, 3, H, W).
    """
    pre = cfg.model.get('data_preprocessor') or {}
    rgb = bool(pre.get('bgr_to_rgb', False) or pre.get('rgb_to_bgr', False))
    mean, std = pre.get('mean'), pre.get('std')
    return dict(mean=None if mean is None else [float(m) for m in mean],
                std=None if std is None else [float(s) for s in std],
                channel_order='RGB' if rgb else 'BGR')


def resolve_shape(graph: DeployGraph, model: nn.Module, cfg: Config,
                  shape: Optional[Sequence[int]], dynamic: bool,
                  stride: Optional[int] = None) -> Tuple[int, int]:
    """The (H, W) to export at, checked against the config and the output stride.

    Without ``shape``: the size every input of the graph has in this config
    (crops, images padded to a fixed size), else the config's crop size
    rounded up to a multiple of the stride, else 512 x 512. A shape must be
    a multiple of the output stride, or the config's fixed input size.

    Raises:
        ValueError: ``shape`` is not a multiple of the model's output stride,
            or (static export) differs from the fixed input size.
        NotImplementedError: ``dynamic`` for a model with layers ONNX can
            only express at a static size (:func:`static_only_layers`).
    """
    stride = stride or output_stride(model)
    fixed = graph.fixed_shape(cfg)
    name = graph.model_class.__name__
    if dynamic and static_only_layers(model):
        raise NotImplementedError(
            f'--dynamic: the {name} has adaptive pooling to several bins '
            f'({", ".join(static_only_layers(model))}), which ONNX expresses only for a '
            'static input size; export it without --dynamic'
            + ('' if fixed is None else f' at the size the config runs it, {fixed[0]} x '
               f'{fixed[1]} (the default)'))
    if shape is None:
        shape = fixed or tuple(-(-s // stride) * stride
                               for s in (graph.config_shape(cfg) or (512, 512)))
    h, w = (int(s) for s in shape)
    if fixed is not None and (h, w) != fixed and not dynamic:
        raise ValueError(f'{name} runs its graph on {graph.description}, {fixed[0]} x '
                         f'{fixed[1]} (H x W) in this config: expected --shape {fixed[0]} '
                         f'{fixed[1]} (or --dynamic), got {h} {w}')
    if (h, w) != fixed and (h <= 0 or w <= 0 or h % stride or w % stride):
        near = ' '.join(str(max(stride, round(s / stride) * stride)) for s in (h, w))
        raise ValueError(f'--shape {h} {w}: height and width must be positive multiples of the '
                         f"{name}'s output stride {stride} (e.g. --shape {near})")
    return h, w


def _jsonable(value):
    """``value`` as plain JSON types (tuples, numpy arrays and scalars converted), or None."""
    if isinstance(value, (str, bool, int, float)) or value is None:
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (np.ndarray, Tensor)):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        items = [_jsonable(v) for v in value]
        return None if any(i is None and v is not None for i, v in zip(items, value)) else items
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return None


def export_metadata(model: nn.Module, cfg: Config, graph: DeployGraph, shape: Tuple[int, int],
                    dynamic: bool) -> Dict[str, str]:
    """The ``metadata_props`` of an exported file (JSON strings): what the runtime checks."""
    meta = dict(version=__version__, model_type=graph.model_class.__name__,
                config=getattr(cfg, 'filename', None) or '', shape=list(shape),
                dynamic=bool(dynamic), preprocess=preprocess_info(cfg),
                dataset_meta={k: v for k, v in (getattr(model, 'dataset_meta', None)
                                                or {}).items() if _jsonable(v) is not None})
    return {META_PREFIX + k: json.dumps(_jsonable(v)) for k, v in meta.items()}


def declare_output_shapes(proto, outputs: Sequence[Tensor], dynamic_axes: dict) -> None:
    """Write the traced sizes of the outputs' static axes into the graph (in place).

    The exporter leaves an axis symbolic when a resize computes it at run
    time (``seg_logits`` would read (batch, ?, ?, ?)); the declared shape is
    what a reader of the file (and :func:`~hp_mm.deploy.build_ort_model`'s
    class-count check) sees.
    """
    for value_info, out in zip(proto.graph.output, outputs):
        dynamic = dynamic_axes.get(value_info.name, {})
        dims = value_info.type.tensor_type.shape.dim
        for axis, size in enumerate(out.shape):
            if axis < len(dims) and axis not in dynamic:
                dims[axis].Clear()
                dims[axis].dim_value = int(size)


def compare_outputs(expected: Sequence[Tensor], actual: Sequence[Tensor],
                    names: Sequence[str]) -> Dict[str, dict]:
    """Per output: largest absolute difference and its ratio to the output's scale.

    Boolean outputs count the differing entries (``max_abs_diff``) and have
    ``max_rel_diff`` 0 when there are none, else inf.

    Returns:
        dict: ``name -> dict(shape, max_abs_diff, scale, max_rel_diff)``.
    """
    report = {}
    for name, exp, act in zip(names, expected, actual):
        exp, act = exp.detach().cpu(), act.detach().cpu()
        if exp.shape != act.shape:
            raise ExportCheckError(f'output {name}: ONNX Runtime gives shape {tuple(act.shape)}, '
                                   f'PyTorch {tuple(exp.shape)}')
        if exp.dtype == torch.bool:
            diff = float((exp != act.bool()).sum())
            scale, rel = 1.0, 0.0 if diff == 0 else float('inf')
        else:
            diff = float((exp.double() - act.double()).abs().max()) if exp.numel() else 0.0
            scale = float(exp.double().abs().max()) if exp.numel() else 0.0
            rel = diff / scale if scale > 0 else diff
        report[name] = dict(shape=tuple(exp.shape), max_abs_diff=diff, scale=scale,
                            max_rel_diff=rel)
    return report


def check_opset(opset: int) -> int:
    """``opset`` if it is in the tested range, else a ValueError naming the range."""
    if not MIN_OPSET <= int(opset) <= MAX_OPSET:
        raise ValueError(f'--opset {opset}: hp_mm graphs are exported and tested with opsets '
                         f'{MIN_OPSET}..{MAX_OPSET} (default 17)')
    return int(opset)


@torch.no_grad()
def export_onnx(model: nn.Module,
                out_file: str,
                shape: Optional[Sequence[int]] = None,
                dynamic: bool = False,
                opset: int = 17,
                rtol: float = 1e-4,
                check_batch: int = 2,
                seed: int = 0) -> dict:
    """Export ``model``'s graph to ``out_file`` and check it with ONNX Runtime.

    The model must come from :func:`hp_mm.apis.init_model` (weights loaded,
    ``cfg`` set). SyncBN layers are
    reverted to BN (in place). A static graph takes (1, 3, H, W) (every
    shape is then a constant, which lets ONNX Runtime fold the size
    arithmetic and keep its blocked memory layout between layers;
    :class:`~hp_mm.deploy.OrtGraphSession` runs a batch image by image, and
    zero pads fold into the convolutions, :func:`fold_zero_pads`);
    ``dynamic`` makes the batch, height and width dynamic (whole images of
    any size). The check runs a random normalised batch of ``check_batch``
    images at (H, W) and, for a dynamic graph, one at an odd size (H +
    stride / 2 + 1, W + 1), through both.

    Args:
        model (nn.Module): A supported model (:data:`hp_mm.deploy.graphs.GRAPHS`).
        out_file (str): The ``.onnx`` file to write.
        shape (Sequence[int], optional): (H, W) to trace at; see
            :func:`resolve_shape`.
        dynamic (bool): Dynamic batch, height and width.
        opset (int): ONNX opset, :data:`MIN_OPSET`..:data:`MAX_OPSET`.
        rtol (float): Largest accepted ``max |ORT - PyTorch| / max |PyTorch|``
            of every output.
        check_batch (int): Images per check batch.
        seed (int): Seed of the check inputs.

    Returns:
        dict: ``onnx_file``, ``model_type``, ``input_name``, ``shape``,
        ``dynamic``, ``opset``, ``stride``, ``preprocess``
        (:func:`preprocess_info`), ``checks`` (one
        :func:`compare_outputs` report per checked input shape) and
        ``max_rel_diff`` (the largest over all).

    Raises:
        NotImplementedError: Unsupported model type.
        ValueError: Bad shape or opset.
        ExportCheckError: ONNX Runtime and PyTorch disagree (nothing written).
    """
    cfg = getattr(model, 'cfg', None)
    if cfg is None:
        raise ValueError('export_onnx needs the model from hp_mm.apis.init_model (with its '
                         'config as model.cfg)')
    graph = graph_for_type(type(model))
    opset = check_opset(opset)
    model = revert_sync_batchnorm(model).eval()
    stride = output_stride(model)
    shape = resolve_shape(graph, model, cfg, shape, dynamic, stride)
    device = next(model.parameters()).device
    wrapper = graph.wrap(model)
    gen = torch.Generator().manual_seed(seed)
    example = torch.randn((2 if dynamic else 1, 3) + shape, generator=gen).to(device)
    ref = wrapper(example)
    dynamic_axes = {}
    if dynamic:
        dynamic_axes[graph.input_name] = {0: 'batch', 2: 'height', 3: 'width'}
        for name, out in zip(graph.output_names, ref):
            dynamic_axes[name] = {0: 'batch'}
            if out.dim() == 4:
                dynamic_axes[name].update({2: f'{name}_height', 3: f'{name}_width'})

    tmp_dir = tempfile.mkdtemp(prefix='hp_mm_onnx_')
    try:
        tmp_file = osp.join(tmp_dir, osp.basename(out_file) or 'model.onnx')
        # static graphs keep the layers' own size arithmetic: it is traced as constants
        with traceable_sizes() if dynamic else nullcontext():
            torch.onnx.export(wrapper, (example, ), tmp_file, input_names=[graph.input_name],
                              output_names=list(graph.output_names), dynamic_axes=dynamic_axes,
                              opset_version=opset, do_constant_folding=True, dynamo=False)
        onnx = import_onnx()
        proto = onnx.load(tmp_file)
        declare_output_shapes(proto, ref, dynamic_axes)
        fold_zero_pads(proto)
        for key, value in export_metadata(model, cfg, graph, shape, dynamic).items():
            proto.metadata_props.add(key=key, value=value)
        onnx.checker.check_model(proto)
        onnx.save(proto, tmp_file)

        session = OrtGraphSession(tmp_file)
        check_shapes = [shape]
        if dynamic:
            check_shapes.append((shape[0] + stride // 2 + 1, shape[1] + 1))
        checks = []
        for check_shape in check_shapes:
            x = torch.randn((check_batch, 3) + tuple(check_shape), generator=gen).to(device)
            report = compare_outputs(wrapper(x), session(x), graph.output_names)
            checks.append(dict(shape=tuple(check_shape), outputs=report))
        worst = max(o['max_rel_diff'] for c in checks for o in c['outputs'].values())
        result = dict(onnx_file=out_file, model_type=graph.model_class.__name__,
                      input_name=graph.input_name, shape=shape, dynamic=bool(dynamic),
                      opset=opset, stride=stride, preprocess=preprocess_info(cfg),
                      checks=checks, max_rel_diff=worst)
        if not worst <= rtol:
            raise ExportCheckError(
                f'ONNX Runtime differs from PyTorch by {worst:.3g} of the outputs\' scale '
                f'(> {rtol:g}): {format_checks(checks)}; nothing written to {out_file}')
        mkdir_or_exist(osp.dirname(osp.abspath(out_file)))
        shutil.move(tmp_file, out_file)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
    return result


def format_checks(checks: Sequence[dict]) -> str:
    """One line per checked shape: each output's largest absolute and relative difference."""
    lines = []
    for check in checks:
        h, w = check['shape']
        parts = [f'{name} {tuple(o["shape"])}: max |diff| {o["max_abs_diff"]:.3g} '
                 f'(scale {o["scale"]:.3g}, relative {o["max_rel_diff"]:.3g})'
                 for name, o in check['outputs'].items()]
        lines.append(f'input {h}x{w}: ' + '; '.join(parts))
    return '\n'.join(lines)

