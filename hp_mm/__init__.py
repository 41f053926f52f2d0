"""hp_mm: human parsing for OpenMMLab 2.x (mmseg / mmdet plugin).

Importing ``hp_mm`` (directly or through ``custom_imports=dict(imports=['hp_mm'])``)
registers every hp_mm module in the ``hp_mm`` scope and allow-lists the safe types
that mmengine checkpoints contain for torch's ``weights_only`` loading.
"""
from .utils.checkpoint import register_checkpoint_safe_globals
from .version import __version__

register_checkpoint_safe_globals()

from . import datasets, engine, evaluation, models  # noqa: E402,F401  (registration)
from .utils import register_all_modules  # noqa: E402

__all__ = ['__version__', 'register_all_modules']
