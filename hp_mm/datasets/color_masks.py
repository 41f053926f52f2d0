"""Colour masks (one RGB colour per class, as CVAT exports them) to label maps."""
from typing import Sequence, Tuple

import numpy as np


def _rgb_codes(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) uint8 RGB -> (...) int32 code ``r << 16 | g << 8 | b``."""
    rgb = rgb.astype(np.int32, copy=False)
    return (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]


def color_mask_to_labels(mask: np.ndarray, palette: Sequence[Tuple[int, int, int]],
                         path: str = '<mask>') -> np.ndarray:
    """Map a colour mask to class labels through the palette.

    Args:
        mask (np.ndarray): (H, W, 3) uint8, RGB order.
        palette (Sequence[tuple[int, int, int]]): C distinct RGB colours; the
            colour ``palette[c]`` is class ``c``.
        path (str): The mask's file, named in errors.

    Returns:
        np.ndarray: (H, W) uint8 labels in ``[0, C)``.

    Raises:
        ValueError: the mask is not (H, W, 3), or it holds colours that are not
            in the palette; the message names the file and each such colour
            with its pixel count (most frequent first).
    """
    if mask.ndim != 3 or mask.shape[2] != 3:
        raise ValueError(f'colour mask {path}: expected an RGB image (H, W, 3), got an array '
                         f'of shape {mask.shape}')
    colors = _rgb_codes(np.asarray(palette, dtype=np.int32).reshape(-1, 3))
    order = np.argsort(colors, kind='stable')
    sorted_colors = colors[order]
    codes = _rgb_codes(mask)
    pos = np.searchsorted(sorted_colors, codes).clip(max=len(sorted_colors) - 1)
    known = sorted_colors[pos] == codes
    if not known.all():
        unknown, counts = np.unique(codes[~known], return_counts=True)
        rank = np.argsort(-counts, kind='stable')
        listed = ', '.join(f'({c >> 16}, {(c >> 8) & 255}, {c & 255}) x {n} px'
                           for c, n in zip(unknown[rank][:8], counts[rank][:8]))
        more = f' and {len(unknown) - 8} more colours' if len(unknown) > 8 else ''
        raise ValueError(f'colour mask {path}: {len(unknown)} colour(s) not in the palette '
                         f'(RGB x pixel count): {listed}{more}; add them to labelmap.txt or '
                         'repaint them')
    return order[pos].astype(np.uint8)
