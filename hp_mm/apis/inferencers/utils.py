"""Helpers of the hp_mm Inferencers: config names and video inputs."""
import glob
import mimetypes
import os.path as osp
from typing import Iterator, List, Optional, Tuple, Union

from mmengine.config import Config
from mmengine.fileio import load

VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.mpg', '.mpeg', '.m4v')


def hp_mm_root() -> str:
    """The folder that holds hp_mm's ``configs/`` (the repository, or ``hp_mm/.mim``)."""
    import hp_mm
    package = osp.dirname(osp.abspath(hp_mm.__file__))
    for root in (osp.dirname(package), osp.join(package, '.mim')):
        if osp.isdir(osp.join(root, 'configs')):
            return root
    raise FileNotFoundError(f'no configs/ folder next to {package} (nor in {package}/.mim)')


def _metafile_models(root: str) -> Iterator[dict]:
    for path in sorted(glob.glob(osp.join(root, 'configs', '*', 'metafile.y*ml'))):
        yield from (load(path) or {}).get('Models', []) or []


def _mim_models(scope: str) -> Iterator[dict]:
    """Models of an installed OpenMMLab package's metafiles (mmdet: ``model-index.yml``)."""
    from mmengine.infer import BaseInferencer
    try:
        root = BaseInferencer._get_repo_or_mim_dir(scope)
    except (ImportError, KeyError, FileNotFoundError):
        return
    for model in BaseInferencer._get_models_from_metafile(root):
        model = dict(model)
        model['Config'] = osp.join(root, model['Config'])
        yield model


def resolve_config(model: Union[str, Config], scope: str = 'hp_mm') -> Tuple[Config, Optional[str]]:
    """A config from a path, a model name or a config stem; plus the metafile's weights.

    Resolution order for a string:

    1. an existing file;
    2. ``'pkg::path/to/config.py'`` (e.g. ``'mmdet::rtmdet/rtmdet_tiny_8xb32-300e_coco.py'``),
       through ``mmengine.hub.get_config``;
    3. a ``Name`` (or ``Alias``) of ``configs/*/metafile.yaml`` (hp_mm), or,
       for ``scope='mmdet'``, of mmdet's own metafiles (``model-index.yml``);
    4. the stem of a config file under hp_mm's ``configs/`` (``_base_`` left
       out), e.g. ``'qanet_r18_minihumans'``.

    Args:
        model (str | Config): Path, name or config.
        scope (str): ``'hp_mm'`` or ``'mmdet'`` (also searches mmdet's
            metafiles).

    Returns:
        tuple[Config, str | None]: The config and the metafile's ``Weights``
        (None when the metafile has none, or for paths).

    Raises:
        FileNotFoundError: Nothing matches; the message lists the names known.
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
    root = hp_mm_root()
    models = list(_metafile_models(root))
    if scope == 'mmdet':
        models += list(_mim_models('mmdet'))
    name = model.lower()
    for entry in models:
        aliases = entry.get('Alias') or []
        aliases = [aliases] if isinstance(aliases, str) else aliases
        if name == str(entry.get('Name', '')).lower() or name in [a.lower() for a in aliases]:
            path = entry['Config'] if osp.isabs(entry['Config']) else \
                osp.join(root, entry['Config'])
            weights = entry.get('Weights')
            weights = weights[0] if isinstance(weights, list) else weights
            return Config.fromfile(path), weights
    stems = {}
    for path in sorted(glob.glob(osp.join(root, 'configs', '**', '*.py'), recursive=True)):
        if '_base_' not in path.split(osp.sep):
            stems.setdefault(osp.splitext(osp.basename(path))[0], path)
    if model in stems:
        return Config.fromfile(stems[model]), None
    known = sorted(set(_hp_names(root)) | set(stems))
    raise FileNotFoundError(
        f'{model!r} is neither a config file, a "pkg::path.py" config, a metafile model name '
        f'nor a config name under {osp.join(root, "configs")}; hp_mm names: {", ".join(known)}')


def _hp_names(root: str) -> List[str]:
    return [str(m.get('Name')) for m in _metafile_models(root)]


def is_video(path: str) -> bool:
    """Whether a path names a video file (by its MIME type or extension)."""
    if not isinstance(path, str) or osp.isdir(path):
        return False
    kind = mimetypes.guess_type(path)[0] or ''
    return kind.startswith('video/') or path.lower().endswith(VIDEO_EXTENSIONS)

