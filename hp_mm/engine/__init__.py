import mmseg.engine  # noqa: F401  (parent registry content)

from .hooks import *  # noqa: F401,F403
