"""Building an hp_mm model for inference and loading its checkpoint (public mmengine API).

Shared by :func:`hp_mm.apis.init_model` and the Inferencers'
``_init_model`` / ``_load_weights_to_model``:

- :func:`build_model`: the config's model in hp_mm's scope, without
  pretrained or initial weights (a checkpoint follows);
- :func:`read_checkpoint`: mmengine's ``CheckpointLoader`` (any scheme it
  knows: a path, ``https://``, ...), on the CPU;
- :func:`load_weights`: the class-count check, a strict
  ``mmengine.runner.load_state_dict`` and the model's ``dataset_meta``;
- :func:`build_backend_model`: an ONNX Runtime model instead
  (``hp_mm.deploy.build_ort_model``).
"""
import copy
import re
import warnings
from collections import OrderedDict
from pathlib import Path
from typing import Optional, Union

import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import CheckpointLoader, load_state_dict

from hp_mm.registry import DATASETS, MODELS

#: Inference backends: the PyTorch model, or its ONNX export run by ONNX Runtime.
BACKENDS = ('pytorch', 'onnxruntime')


def load_config(config: Union[str, Path, Config], cfg_options: Optional[dict] = None) -> Config:
    """A copy of ``config`` (a file, a model name, a config stem or a Config) with overrides.

    Names resolve as the Inferencers' (:func:`hp_mm.apis.inferencers.utils.resolve_config`).
    """
    from .inferencers.utils import resolve_config
    cfg = copy.deepcopy(resolve_config(str(config) if isinstance(config, Path) else config)[0])
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def build_model(cfg: Config) -> nn.Module:
    """The config's model, built in hp_mm's scope, with no pretrained / initial weights.

    Args:
        cfg (Config): The config (``cfg.model`` is changed: ``pretrained`` and
            the backbone's ``init_cfg`` are dropped, ``train_cfg`` set to None
            where the model takes one).

    Returns:
        nn.Module: The model (random weights), with ``cfg``.
    """
    cfg.model.pretrained = None
    if 'train_cfg' in cfg.model:
        cfg.model.train_cfg = None
    if isinstance(cfg.model.get('backbone'), dict):
        cfg.model.backbone.init_cfg = None
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'hp_mm')):
        model = MODELS.build(cfg.model)
    model.cfg = cfg
    return model


def read_checkpoint(filename: str) -> dict:
    """A checkpoint file (or URL) loaded on the CPU with mmengine's ``CheckpointLoader``."""
    return CheckpointLoader.load_checkpoint(filename, map_location='cpu')


def config_dataset_meta(cfg: Config) -> dict:
    """``METAINFO`` (classes, palette, flip_pairs, ...) of the config's test dataset class."""
    try:
        dataset_cls = DATASETS.get(cfg.test_dataloader.dataset.type)
    except (AttributeError, KeyError):
        return {}
    return dict(getattr(dataset_cls, 'METAINFO', None) or {}) if dataset_cls else {}


def _num_classes(model: nn.Module) -> Optional[int]:
    head = getattr(model, 'decode_head', None)
    return None if head is None else int(head.num_classes)


def check_num_classes(model: nn.Module, state_dict: dict, checkpoint_meta: dict,
                      source: str) -> None:
    """Raise if the checkpoint's classes differ from the parser's ``decode_head.num_classes``.

    Both the classes named in the checkpoint's ``dataset_meta`` and the output
    channels of its classifier (``decode_head.conv_seg.weight``) are checked.
    Models without a ``decode_head`` (re-ID) are not checked.

    Raises:
        ValueError: Names ``source``, the two counts and what differs.
    """
    num_classes = _num_classes(model)
    if num_classes is None:
        return
    classes = checkpoint_meta.get('classes')
    weight = state_dict.get('decode_head.conv_seg.weight',
                            state_dict.get('module.decode_head.conv_seg.weight'))
    for what, n in (('dataset_meta classes', None if classes is None else len(classes)),
                    ('classifier output channels', None if weight is None else
                     int(weight.shape[0]))):
        if n is not None and n != num_classes:
            raise ValueError(f'checkpoint {source} has {n} classes ({what}) but the config '
                             f'builds a {num_classes}-class model: use the config the '
                             'checkpoint was trained with')


def set_dataset_meta(model, dataset_meta: dict) -> None:
    """Set ``model.dataset_meta``, and call the model's own ``set_dataset_meta`` (flip pairs)."""
    model.dataset_meta = dataset_meta
    if callable(getattr(model, 'set_dataset_meta', None)):
        model.set_dataset_meta(dataset_meta)


def load_weights(model: nn.Module, checkpoint: Optional[dict], cfg: Config,
                 source: Optional[str] = None) -> None:
    """Load a checkpoint strictly and set the model's ``dataset_meta``.

    ``dataset_meta`` is the config's test dataset ``METAINFO`` updated by the
    checkpoint's ``meta['dataset_meta']`` (its classes, palette, flip pairs).

    Args:
        model (nn.Module): From :func:`build_model`.
        checkpoint (dict, optional): From :func:`read_checkpoint` (its
            ``state_dict``, or the dict itself; a ``module.`` prefix is
            removed). None keeps the random weights (with a warning).
        cfg (Config): The model's config.
        source (str, optional): The checkpoint's name, for the messages.

    Raises:
        ValueError: :func:`check_num_classes`.
        RuntimeError: Missing or unexpected keys (strict loading).
    """
    dataset_meta = config_dataset_meta(cfg)
    if checkpoint is None:
        warnings.warn('no checkpoint: the model keeps its random weights')
    else:
        state_dict = checkpoint.get('state_dict', checkpoint)
        meta = (checkpoint.get('meta') or {}).get('dataset_meta') or {}
        check_num_classes(model, state_dict, meta, source or 'checkpoint')
        metadata = getattr(state_dict, '_metadata', OrderedDict())
        state_dict = OrderedDict((re.sub(r'^module\.', '', k), v) for k, v in state_dict.items())
        state_dict._metadata = metadata
        load_state_dict(model, state_dict, strict=True)
        dataset_meta.update(meta)
    set_dataset_meta(model, dataset_meta)


def build_backend_model(cfg: Config, model_file: str, device: str):
    """The model run by ONNX Runtime: ``hp_mm.deploy.build_ort_model(cfg, model_file, device)``.

    It stands in for the PyTorch model at inference (``test_step`` and the
    data samples it fills); ``cfg`` and, if it has none, the config's
    ``dataset_meta`` are set on it.
    """
    if not model_file:
        raise ValueError("backend='onnxruntime' needs the .onnx file as the weights")
    from hp_mm.deploy import build_ort_model  # optional dependency (onnxruntime)
    model = build_ort_model(cfg, model_file, device)
    model.cfg = cfg
    if not getattr(model, 'dataset_meta', None):
        set_dataset_meta(model, config_dataset_meta(cfg))
    return model
