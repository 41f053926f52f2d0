import mmseg.visualization  # noqa: F401  (parent registry content)
from .parsing_local_visualizer import ParsingLocalVisualizer  # noqa: E402
from .part_maps import PART_PALETTE, part_map_meta  # noqa: E402
from .reid_rank_list import draw_rank_list, draw_rank_lists, stack_rank_lists  # noqa: E402

__all__ = [
    'ParsingLocalVisualizer', 'PART_PALETTE', 'part_map_meta', 'draw_rank_list',
    'draw_rank_lists', 'stack_rank_lists'
]
