import mmseg.visualization  # noqa: F401  (parent registry content)
from .parsing_local_visualizer import ParsingLocalVisualizer  # noqa: E402

__all__ = ['ParsingLocalVisualizer']
