import mmseg.evaluation  # noqa: F401  (parent registry content)

from .metrics import *  # noqa: F401,F403
