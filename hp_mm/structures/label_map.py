"""Label maps as (H, W) integer arrays, whatever container they come in."""
import numpy as np

from .array_like import to_numpy


def as_label_map(x, name: str = 'label map') -> np.ndarray:
    """A (1, H, W) or (H, W) integer tensor / array as an (H, W) integer ndarray.

    Args:
        x (Tensor | ndarray): The map (a ``PixelData.data`` is (1, H, W)).
        name (str): What the map is, for the error messages.

    Returns:
        ndarray: (H, W), the input's integer dtype.

    Raises:
        ValueError: not a single (H, W) map. TypeError: not integers.
    """
    x = to_numpy(x, name)
    if x.ndim == 3 and x.shape[0] == 1:
        x = x[0]
    if x.ndim != 2:
        raise ValueError(f'{name} must be an (H, W) or (1, H, W) map, got shape {x.shape}')
    if not np.issubdtype(x.dtype, np.integer):
        raise TypeError(f'{name} must hold integers, got dtype {x.dtype}')
    return x
