"""Classes and colours of re-ID part maps (ISP's learned parts), for ``ParsingLocalVisualizer``.

ISP's part maps have no class names: label 0 is the background and 1 .. K - 1
the parts from top to bottom (ordered by the cascaded clustering).
"""
from typing import List, Tuple

import numpy as np

#: Part colours (RGB): background black, then parts 1, 2, ... top to bottom.
PART_PALETTE: Tuple[Tuple[int, int, int], ...] = (
    (0, 0, 0), (230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48),
    (145, 30, 180), (70, 240, 240), (240, 50, 230), (210, 245, 60))


def part_map_meta(num_classes: int) -> dict:
    """``classes`` (``'background'``, ``'part 1'``, ...) and ``palette`` of a K-class part map.

    Colours beyond :data:`PART_PALETTE` are drawn from a fixed random sequence.

    Args:
        num_classes (int): K, background included.

    Returns:
        dict: ``classes`` (K names) and ``palette`` (K RGB tuples).
    """
    palette: List[Tuple[int, int, int]] = list(PART_PALETTE[:num_classes])
    rng = np.random.default_rng(len(PART_PALETTE))
    while len(palette) < num_classes:
        palette.append(tuple(int(v) for v in rng.integers(0, 256, 3)))
    classes = ['background'] + [f'part {k}' for k in range(1, num_classes)]
    return dict(classes=classes, palette=palette)
