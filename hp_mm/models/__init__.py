import mmseg.models  # noqa: F401  (parent registry content; see hp_mm/registry.py)

from .backbones import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .necks import *  # noqa: F401,F403
from .reid import *  # noqa: F401,F403
from .segmentors import *  # noqa: F401,F403
from .task_modules import *  # noqa: F401,F403
