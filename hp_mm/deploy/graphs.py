"""What the ONNX graph of each hp_mm model family computes.

A graph is one method of the PyTorch model, the part that runs once per batch
of same-size inputs; everything around it (data preprocessing, flip test,
sliding windows, person crops and paste-back, post-processing) stays in
PyTorch, shared with the ONNX Runtime backend (:mod:`hp_mm.deploy.ort_models`):

=========================  ==========================  =======================================
model                      graph input                 graph outputs
=========================  ==========================  =======================================
``ParsingEncoderDecoder``  ``inputs`` (N, 3, H, W)     ``seg_logits`` (N, C, H, W) =
                                                       ``encode_decode(inputs, metas)``
``TopDownParser`` (QANet)  ``crops`` (P, 3, h, w)      ``parsing_logits`` (P, C, h, w),
                                                       ``iou_scores`` (P,) (raw IoU branch)
``GlobalReID``             ``crops`` (N, 3, h, w)      ``feature`` (N, C')
``ISPReID``                ``crops`` (N, 3, h, w)      ``feature`` (N, (K+1) C),
                                                       ``global_feature``,
                                                       ``foreground_feature`` (N, C),
                                                       ``part_features`` (N, K-1, C),
                                                       ``part_visibility`` (N, K-1) bool,
                                                       ``part_logits`` (N, K, h/4, w/4)
=========================  ==========================  =======================================

Inputs are float32, already normalised as the config's ``data_preprocessor``
does (mean / std, channel order). A static export takes one image or crop
(N = 1; the runtime loops over a batch), a dynamic one any N, H and W.

Note:
    N: images (P: person crops). C: parsing classes, background included.
    H, W: input height and width. K: ISP part classes, background included.
"""
from typing import Dict, List, Optional, Sequence, Tuple, Type

import torch
import torch.nn as nn
from mmengine.config import Config
from torch import Tensor

from hp_mm.models import GlobalReID, ISPReID, ParsingEncoderDecoder, TopDownParser
from hp_mm.registry import MODELS


class DeployGraph:
    """One model family's exported graph: its inputs, outputs and shape rules.

    Subclasses set ``model_class`` (the exact class they export: a subclass
    that changes the network method is not silently accepted),
    ``input_name``, ``output_names`` and implement :meth:`outputs`.
    """

    model_class: Type[nn.Module]
    input_name: str = 'crops'
    output_names: Tuple[str, ...] = ()
    #: What one input of the graph is, for messages and the tool's summary.
    description: str = ''

    def outputs(self, model: nn.Module, inputs: Tensor) -> Tuple[Tensor, ...]:
        """The graph's outputs: the model's method on normalised inputs (N, 3, H, W)."""
        raise NotImplementedError

    def config_shape(self, cfg: Config) -> Optional[Tuple[int, int]]:
        """(H, W) the config runs the graph at, or None if it does not fix one."""
        return None

    def fixed_shape(self, cfg: Config) -> Optional[Tuple[int, int]]:
        """(H, W) every input of the graph has (crops), or None for any size."""
        return None

    def wrap(self, model: nn.Module) -> nn.Module:
        """An ``nn.Module`` in eval mode whose ``forward(inputs)`` returns :meth:`outputs`.

        (``torch.onnx.export`` restores the traced module's mode afterwards, and so
        its children's: a wrapper left in train mode would put the model in it.)
        """
        return _GraphModule(self, model).eval()


class _GraphModule(nn.Module):
    """``forward(inputs) = graph.outputs(model, inputs)``: what ``torch.onnx.export`` traces."""

    def __init__(self, graph: DeployGraph, model: nn.Module) -> None:
        super().__init__()
        self.graph = graph
        self.model = model

    def forward(self, inputs: Tensor) -> Tuple[Tensor, ...]:
        return self.graph.outputs(self.model, inputs)


def image_metas(inputs: Tensor) -> List[dict]:
    """mmseg image metas of a batch taken as it is (no resize, no padding).

    Args:
        inputs (Tensor): (N, 3, H, W).

    Returns:
        list[dict]: N metas whose shapes are ``inputs.shape[2:]`` (traced, so a
        graph exported with dynamic height / width keeps them dynamic).
    """
    size = inputs.shape[2:]
    return [dict(ori_shape=size, img_shape=size, pad_shape=size)] * inputs.shape[0]


class ParserGraph(DeployGraph):
    """Single-person parser: ``encode_decode(inputs, metas)``, the logits at the input size."""

    model_class = ParsingEncoderDecoder
    input_name = 'inputs'
    output_names = ('seg_logits', )
    description = 'whole images (sliding-window crops, or images padded to a fixed size)'

    def outputs(self, model, inputs):
        return (model.encode_decode(inputs, image_metas(inputs)), )

    def config_shape(self, cfg):
        pre = cfg.model.get('data_preprocessor') or {}
        fixed = self.fixed_shape(cfg)
        return fixed if fixed is not None else \
            (None if pre.get('size') is None else _pair(pre['size']))

    def fixed_shape(self, cfg):
        """Sliding-window crops, or the size the data preprocessor pads test images to."""
        test_cfg = cfg.model.get('test_cfg') or {}
        if test_cfg.get('mode', 'whole') == 'slide':
            return _pair(test_cfg['crop_size'])
        pad_to = ((cfg.model.get('data_preprocessor') or {}).get('test_cfg') or {}).get('size')
        return None if pad_to is None else _pair(pad_to)


class TopDownGraph(DeployGraph):
    """QANet's per-person part: crops -> parsing logits at the crop size and the IoU score."""

    model_class = TopDownParser
    output_names = ('parsing_logits', 'iou_scores')
    description = 'person crops of test_cfg.input_size'

    def outputs(self, model, inputs):
        return model._crop_logits(inputs)

    def config_shape(self, cfg):
        in_w, in_h = (cfg.model.get('test_cfg') or {}).get('input_size', (384, 512))
        return int(in_h), int(in_w)

    fixed_shape = config_shape


class _ReIDGraph(DeployGraph):
    description = 'person crops of the test pipeline size'

    @staticmethod
    def _resize_step(cfg: Config) -> Optional[dict]:
        """The test pipeline's resize (``ReIDResize``, whose ``scale`` is (w, h))."""
        try:
            pipeline = cfg.test_dataloader.dataset.pipeline
        except AttributeError:
            return None
        return next((step for step in pipeline if 'Resize' in str(step.get('type', ''))
                     and step.get('scale') is not None), None)

    def config_shape(self, cfg):
        step = self._resize_step(cfg)
        return None if step is None else _pair(step['scale'])[::-1]

    def fixed_shape(self, cfg):
        step = self._resize_step(cfg)
        return None if step is None or step.get('keep_ratio', False) else \
            _pair(step['scale'])[::-1]


class GlobalReIDGraph(_ReIDGraph):
    """The global re-ID baseline: crops -> the retrieval feature."""

    model_class = GlobalReID
    output_names = ('feature', )

    def outputs(self, model, inputs):
        return (model.predict_features(inputs), )


class ISPReIDGraph(_ReIDGraph):
    """ISP: crops -> the plain-distance feature and what the aligned distance needs."""

    model_class = ISPReID
    output_names = ('feature', 'global_feature', 'foreground_feature', 'part_features',
                    'part_visibility', 'part_logits')

    def outputs(self, model, inputs):
        out = model.predict_features(inputs)
        return tuple(out[f'pred_{name}'] for name in self.output_names)


GRAPHS: Dict[str, DeployGraph] = {
    g.model_class.__name__: g
    for g in (ParserGraph(), TopDownGraph(), GlobalReIDGraph(), ISPReIDGraph())
}


def _unsupported(what: str) -> NotImplementedError:
    return NotImplementedError(
        f'{what} cannot be exported: hp_mm exports {", ".join(GRAPHS)} models '
        '(single-person parsers, QANet, re-ID)')


def graph_for_type(model_type) -> DeployGraph:
    """The graph of a model type (a registered name or class), exact class match.

    Raises:
        NotImplementedError: Another model type (e.g. ``C2L``, an mmseg
            ``EncoderDecoder``): the message lists the supported ones.
    """
    cls = MODELS.get(model_type) if isinstance(model_type, str) else model_type
    if cls is None:
        raise KeyError(f'model type {model_type!r} is not registered in hp_mm')
    graph = GRAPHS.get(cls.__name__)
    if graph is None or graph.model_class is not cls:
        raise _unsupported(f'model type {cls.__name__}')
    return graph


def graph_for_config(cfg: Config) -> DeployGraph:
    """The graph of a config's ``model.type`` (see :func:`graph_for_type`)."""
    model_type = cfg.model.get('type')
    if model_type is None:
        raise ValueError('the config has no model.type')
    return graph_for_type(model_type)


def output_stride(model: nn.Module, probe: int = 256) -> int:
    """The backbone's largest stride (its coarsest map), probed with one zero image.

    Args:
        model (nn.Module): A model with a ``backbone`` (every hp_mm family).
        probe (int): Side of the probe image; a multiple of any usual stride.

    Returns:
        int: e.g. 32 for ResNet / EfficientNet-Lite, 8 for a dilated ResNet-D8.
    """
    param = next(model.backbone.parameters(), None)
    x = torch.zeros((1, 3, probe, probe),
                    device=param.device if param is not None else 'cpu')
    with torch.no_grad():
        feats = model.backbone(x)
    feats = [feats] if isinstance(feats, Tensor) else list(feats)
    return max(max(probe // f.shape[-2], probe // f.shape[-1]) for f in feats)


def static_only_layers(model: nn.Module) -> List[str]:
    """Layers that ONNX can only express for a static input size: adaptive pooling to
    more than one bin (e.g. PSP / CE2P's pyramid pooling), ``'name: bins'`` each."""
    found = []
    for name, m in model.named_modules():
        if isinstance(m, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)) and \
                _pair(m.output_size) != (1, 1):
            found.append(f'{name}: {m.output_size}')
    return found


def _pair(size: Sequence) -> Tuple[int, int]:
    if isinstance(size, int):
        return size, size
    a, b = size
    return int(a), int(b)
