"""Config look-up of the Inferencers: paths, ``pkg::`` configs, model names, config stems.

Model names are those of OpenMMLab's model index, as mmengine's ``BaseInferencer``
reads it: the ``model-index.yml`` at the root of hp_mm (which imports every
``configs/*/metafile.yaml``) or of an installed OpenMMLab package (mmdet). The
Inferencers' ``_load_model_from_metafile`` (``BaseInferencer``'s own lookup of a name)
calls :func:`resolve_config`.
"""
import glob
import importlib
import os.path as osp
from typing import Dict, Iterator, Optional, Tuple, Union

from mmengine.config import Config
from mmengine.fileio import load


def repo_root(scope: str = 'hp_mm') -> str:
    """The folder that holds a package's ``configs/`` and ``model-index.yml``.

    The repository of an editable install (the package folder's parent), else the
    package's ``.mim`` folder (a pip install), as OpenMMLab packages lay them out.

    Raises:
        ImportError: The package cannot be imported.
        FileNotFoundError: Neither folder has ``configs/``.
    """
    package_dir = osp.dirname(osp.abspath(importlib.import_module(scope).__file__))
    candidates = (osp.dirname(package_dir), osp.join(package_dir, '.mim'))
    for root in candidates:
        if osp.isdir(osp.join(root, 'configs')):
            return root
    raise FileNotFoundError(f'{scope} has no configs/ folder in {" or ".join(candidates)}')


def metafile_models(scope: str = 'hp_mm') -> Iterator[dict]:
    """The models of a package's ``model-index.yml`` (each ``Import``-ed metafile's
    ``Models``), ``Config`` as an absolute path."""
    root = repo_root(scope)
    for metafile in load(osp.join(root, 'model-index.yml'))['Import']:
        for entry in load(osp.join(root, metafile))['Models']:
            yield dict(entry, Config=osp.join(root, entry['Config']))


def config_stems() -> Dict[str, str]:
    """Config file stem -> path, for every config under hp_mm's ``configs/`` (not ``_base_``)."""
    stems = {}
    for path in sorted(glob.glob(osp.join(repo_root(), 'configs', '**', '*.py'),
                                 recursive=True)):
        if '_base_' not in path.split(osp.sep):
            stems.setdefault(osp.splitext(osp.basename(path))[0], path)
    return stems


def _find_model(name: str, scope: str) -> Optional[dict]:
    scopes = ('hp_mm', ) if scope == 'hp_mm' else ('hp_mm', scope)
    for package in scopes:
        try:
            models = list(metafile_models(package))
        except (ImportError, KeyError, FileNotFoundError):
            continue
        for entry in models:
            aliases = entry.get('Alias') or []
            aliases = [aliases] if isinstance(aliases, str) else aliases
            if name == str(entry.get('Name', '')).lower() or name in [a.lower() for a in aliases]:
                return entry
    return None


def resolve_config(model: Union[str, Config], scope: str = 'hp_mm') -> Tuple[Config, Optional[str]]:
    """A config from a path, a model name or a config stem; plus the metafile's weights.

    Resolution order for a string:

    1. an existing file;
    2. ``'pkg::path/to/config.py'`` (e.g. ``'mmdet::rtmdet/rtmdet_tiny_8xb32-300e_coco.py'``),
       through ``mmengine.hub.get_config``;
    3. a ``Name`` (or ``Alias``) of hp_mm's ``model-index.yml`` or, for
       ``scope='mmdet'``, of mmdet's;
    4. the stem of a config file under hp_mm's ``configs/`` (``_base_`` left
       out), e.g. ``'qanet_r18_minihumans'``.

    Args:
        model (str | Config): Path, name or config.
        scope (str): ``'hp_mm'`` or an OpenMMLab package whose metafiles are
            searched too (``'mmdet'``).

    Returns:
        tuple[Config, str | None]: The config and the metafile's ``Weights``
        (None when the entry has none, or for paths).

    Raises:
        FileNotFoundError: Nothing matches; the message lists hp_mm's names.
    """
    if isinstance(model, Config):
        return model, None
    if not isinstance(model, str):
        raise TypeError(f'model must be a config path, a model name or a Config, got '
                        f'{type(model).__name__}')
    if osp.isfile(model):
        return Config.fromfile(model), None
    if '::' in model:
        from mmengine.hub import get_config
        cfg = get_config(model, pretrained=False)
        return cfg, cfg.get('model_path')
    entry = _find_model(model.lower(), scope)
    if entry is not None:
        weights = entry.get('Weights')
        return Config.fromfile(entry['Config']), weights[0] if isinstance(weights, list) else \
            weights
    stems = config_stems()
    if model in stems:
        return Config.fromfile(stems[model]), None
    names = sorted({str(m.get('Name')) for m in metafile_models()} | set(stems))
    raise FileNotFoundError(
        f'{model!r} is neither a config file, a "pkg::path.py" config, a model name of '
        f'model-index.yml nor a config name under {osp.join(repo_root(), "configs")}; '
        f'hp_mm names: {", ".join(names)}')
