"""Non-network model parts (TASK_UTILS), as mmdet keeps assigners and samplers."""
from .clustering import *  # noqa: F401,F403
