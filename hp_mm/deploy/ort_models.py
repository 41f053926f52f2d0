"""hp_mm models whose network runs in ONNX Runtime: same ``test_step`` / ``predict``.

    model = build_ort_model('configs/lip/fpn_r18_minihumans.py', 'fpn_r18.onnx')
    results = model.test_step(dict(inputs=[img_chw_uint8], data_samples=[sample]))

Each class is the PyTorch model class with the method its graph was exported
from (:mod:`hp_mm.deploy.graphs`) answered by an :class:`OrtGraphSession`;
everything else is the PyTorch model's own code, run on the same config: the
data preprocessor, the flip test (two graph runs, the mirrored one flipped
back with left/right channels swapped), sliding windows, QANet's crops,
paste-back and scores, ISP's part maps at the image size. The layers are
built from the config (the inference code reads ``num_classes``,
``align_corners``...) but hold no weights.

The ``.onnx`` file must come from ``tools/deployment/pytorch2onnx.py`` (or
:func:`~hp_mm.deploy.export_onnx`): its metadata names the model type, the
input normalisation and the dataset meta (classes, palette, flip pairs),
which are checked against the config.
"""
import copy
from pathlib import Path
from typing import Dict, Optional, Union

import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import DefaultScope
from torch import Tensor

from hp_mm.models import GlobalReID, ISPReID, ParsingEncoderDecoder, TopDownParser
from .export import preprocess_info
from .graphs import graph_for_config
from .runtime import OrtGraphSession


class OrtGraphMixin:
    """The ONNX Runtime part shared by the model classes below.

    ``extract_feat`` and ``loss`` raise: the PyTorch layers hold no weights.
    """

    ort_session: OrtGraphSession

    def attach_session(self, session: OrtGraphSession) -> None:
        """Use ``session`` as the network and free the PyTorch layers' weights."""
        self.ort_session = session
        for name, child in self.named_children():
            if name != 'data_preprocessor':
                release_weights(child)

    def run_graph(self, inputs: Tensor) -> Dict[str, Tensor]:
        """The graph's outputs, ``{name: tensor}`` on the inputs' device."""
        return self.ort_session.run_named(inputs)

    def extract_feat(self, inputs: Tensor):
        raise RuntimeError(f'{type(self).__name__} runs its network in ONNX Runtime '
                           f'({self.ort_session.onnx_file}): it has no PyTorch features')

    def loss(self, *args, **kwargs):
        raise RuntimeError(f'{type(self).__name__} (ONNX Runtime) cannot be trained')


def release_weights(module: nn.Module) -> None:
    """Replace every parameter and buffer of ``module`` by an empty tensor (in place)."""
    for m in module.modules():
        for name, p in list(m.named_parameters(recurse=False)):
            setattr(m, name, nn.Parameter(p.new_empty(0), requires_grad=False))
        for name, b in list(m.named_buffers(recurse=False)):
            m.register_buffer(name, b.new_empty(0))


class OrtParsingEncoderDecoder(OrtGraphMixin, ParsingEncoderDecoder):
    """:class:`ParsingEncoderDecoder` whose ``encode_decode`` is the ONNX graph.

    The graph gives the logits at the input size, which is what mmseg's
    ``encode_decode`` gives for the metas of a whole-image or sliding-window
    batch (``img_shape`` / ``pad_shape`` equal to the input's).
    """

    def encode_decode(self, inputs: Tensor, batch_img_metas) -> Tensor:
        """Logits (N, C, H, W) of normalised inputs (N, 3, H, W)."""
        return self.run_graph(inputs)['seg_logits']


class OrtTopDownParser(OrtGraphMixin, TopDownParser):
    """QANet's :class:`TopDownParser` whose per-person forward is the ONNX graph.

    The person crops, the flip test, the paste-back, the scores and the
    post-processing are :class:`TopDownParser`'s.
    """

    def _crop_logits(self, crops: Tensor):
        """Logits at the crop size (P, C, h, w) and raw IoU scores (P,)."""
        out = self.run_graph(crops)
        return out['parsing_logits'], out['iou_scores']

    def encode_decode(self, inputs: Tensor, batch_img_metas) -> Tensor:
        """Crop mode: the logits of crops (N, C, h, w)."""
        return self._crop_logits(inputs)[0]


class OrtGlobalReID(OrtGraphMixin, GlobalReID):
    """:class:`GlobalReID` whose retrieval feature comes from the ONNX graph."""

    def predict_features(self, inputs: Tensor) -> Tensor:
        return self.run_graph(inputs)['feature']

    def _forward(self, inputs: Tensor, data_samples=None):
        return dict(feature=self.predict_features(inputs))


class OrtISPReID(OrtGraphMixin, ISPReID):
    """:class:`ISPReID` whose features, part maps and visibilities come from the graph."""

    def predict_features(self, inputs: Tensor) -> Dict[str, Tensor]:
        return {f'pred_{name}': value for name, value in self.run_graph(inputs).items()}

    def _forward(self, inputs: Tensor, data_samples=None):
        return self.run_graph(inputs)


#: The ONNX Runtime class of each exportable model type.
ORT_MODELS = dict(ParsingEncoderDecoder=OrtParsingEncoderDecoder, TopDownParser=OrtTopDownParser,
                  GlobalReID=OrtGlobalReID, ISPReID=OrtISPReID)


def _expected_channels(model: nn.Module) -> Dict[str, int]:
    """Axis-1 size of the graph outputs that the config fixes (classes, feature widths)."""
    if isinstance(model, ISPReID):
        return dict(part_logits=model.num_classes,
                    global_feature=model.global_head.in_channels,
                    foreground_feature=model.foreground_head.in_channels)
    if isinstance(model, GlobalReID):
        return dict(feature=model.head.in_channels)
    name = 'parsing_logits' if isinstance(model, TopDownParser) else 'seg_logits'
    return {name: model.decode_head.out_channels}


def check_session(session: OrtGraphSession, cfg: Config, model: nn.Module) -> None:
    """Raise a ValueError where the ONNX file does not fit the config's model.

    Checked: hp_mm metadata present, model type, input normalisation, the
    graph's output names and class / feature counts, and (graphs on crops)
    the crop size.
    """
    src = session.onnx_file
    meta = session.metadata
    if 'model_type' not in meta:
        raise ValueError(f'{src} has no hp_mm metadata: export it with '
                         'tools/deployment/pytorch2onnx.py')
    graph = graph_for_config(cfg)
    model_type = graph.model_class.__name__
    if meta['model_type'] != model_type:
        raise ValueError(f'{src} holds a {meta["model_type"]} graph, but the config '
                         f'{getattr(cfg, "filename", "")} builds a {model_type}')
    want = preprocess_info(cfg)
    if meta.get('preprocess') != want:
        raise ValueError(f'{src} was exported for inputs normalised as {meta.get("preprocess")}, '
                         f'but the config normalises as {want}')
    if session.output_names != list(graph.output_names):
        raise ValueError(f'{src}: outputs {session.output_names}, expected '
                         f'{list(graph.output_names)} for a {model_type}')
    shapes = dict(zip(session.output_names, session.output_shapes))
    for name, channels in _expected_channels(model).items():
        got = shapes[name][1]
        if isinstance(got, int) and got != channels:
            raise ValueError(f'{src}: output {name} has {got} channels, the config\'s '
                             f'{model_type} expects {channels} (another num_classes / width)')
    fixed, static = graph.fixed_shape(cfg), session.static_hw()
    if fixed is not None and static is not None and tuple(static) != tuple(fixed):
        raise ValueError(f'{src} takes {static[0]} x {static[1]} inputs, but the config runs '
                         f'its graph on {graph.description}, {fixed[0]} x {fixed[1]} (H x W)')


def build_ort_model(cfg: Union[str, Path, Config], onnx_file: str, device: str = 'cpu',
                    num_threads: Optional[int] = None) -> nn.Module:
    """The config's model with its network in ONNX Runtime (see the module doc).

    Args:
        cfg (str | Path | Config): The config the file was exported from.
        onnx_file (str): ``.onnx`` file from ``tools/deployment/pytorch2onnx.py``.
        device (str): ``'cpu'`` or ``'cuda[:i]'`` (with ``onnxruntime-gpu``);
            the data preprocessor and the outputs are on it.
        num_threads (int, optional): ONNX Runtime's intra-op threads.

    Returns:
        nn.Module: In eval mode, with ``cfg``, ``dataset_meta`` (from the
        file) and ``ort_session``; ``test_step`` / ``predict`` give what the
        PyTorch model gives.

    Raises:
        NotImplementedError: The config's model type is not exportable.
        ValueError: The file does not fit the config (:func:`check_session`).
        FileNotFoundError: No such file.
    """
    cfg = Config.fromfile(str(cfg)) if isinstance(cfg, (str, Path)) else copy.deepcopy(cfg)
    graph = graph_for_config(cfg)
    session = OrtGraphSession(str(onnx_file), device or 'cpu', num_threads=num_threads)
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.pop('type')
    model_cfg['pretrained'] = None
    if isinstance(model_cfg.get('backbone'), dict):
        model_cfg['backbone']['init_cfg'] = None
    if 'train_cfg' in model_cfg:
        model_cfg['train_cfg'] = None
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'hp_mm')):
        model = ORT_MODELS[graph.model_class.__name__](**model_cfg)
    check_session(session, cfg, model)
    model.attach_session(session)
    dataset_meta = dict(session.metadata.get('dataset_meta') or {})
    # JSON has lists where mmseg's METAINFO has tuples
    if dataset_meta.get('classes') is not None:
        dataset_meta['classes'] = tuple(dataset_meta['classes'])
    if dataset_meta.get('flip_pairs') is not None:
        dataset_meta['flip_pairs'] = [tuple(p) for p in dataset_meta['flip_pairs']]
    model.dataset_meta = dataset_meta
    if hasattr(model, 'set_dataset_meta'):
        model.set_dataset_meta(dataset_meta)
    model.cfg = cfg
    return model.to(device or 'cpu').eval()
