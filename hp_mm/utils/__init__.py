from .checkpoint import register_checkpoint_safe_globals
from .dist_env import finish_distributed, prepare_cpu_distributed
from .set_env import register_all_modules

__all__ = ['register_all_modules', 'register_checkpoint_safe_globals', 'prepare_cpu_distributed',
           'finish_distributed']
