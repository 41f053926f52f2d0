"""Tensors and ndarrays in and out: the one converter of every hp_mm layer (pure torch / numpy).

The pure functions of ``structures``, ``evaluation/functional``, the metrics and the
visualizer accept either container (``ArrayLike``); each converts its inputs here, so
that a wrong input raises the same clear error everywhere (``name`` says which
argument it was), and :func:`as_container_of` hands a result back in the container
its input came in.
"""
from typing import Union

import numpy as np
import torch

#: A torch tensor or a numpy array.
ArrayLike = Union[torch.Tensor, np.ndarray]


def to_numpy(x, name: str = 'input') -> np.ndarray:
    """A tensor (any device; detached) or array-like as an ndarray.

    Args:
        x (Tensor | ndarray | Sequence): The values, any shape.
        name (str): What ``x`` is, for the error message.

    Returns:
        ndarray: Same shape; the tensor's dtype, or what ``np.asarray`` makes of
        the rest. A CPU tensor shares its memory.

    Raises:
        TypeError: if the values are not numeric (an object array).
    """
    x = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
    if x.dtype == object:
        raise TypeError(f'{name} must be numeric, got an object array')
    return x


def to_tensor(x: ArrayLike, name: str = 'input', integer: bool = False) -> torch.Tensor:
    """A tensor as it is, or an ndarray as a CPU tensor sharing its memory.

    An array with a negative stride (``a[::-1]``) is copied first, since a tensor
    cannot have one.

    Args:
        x (Tensor | ndarray): The values, any shape.
        name (str): What ``x`` is, for the error messages.
        integer (bool): Require integer (or bool, i.e. 0 / 1) values: class or
            cluster indices. Defaults to False.

    Returns:
        Tensor: Same shape and dtype (device kept for a tensor).

    Raises:
        TypeError: if ``x`` is neither a tensor nor an ndarray, holds objects, or
            holds floating / complex values where ``integer`` is set.
    """
    if isinstance(x, np.ndarray):
        x = to_numpy(x, name)  # checks the dtype
        if any(stride < 0 for stride in x.strides):
            x = x.copy()
        x = torch.from_numpy(x)
    elif not isinstance(x, torch.Tensor):
        raise TypeError(f'{name} must be a torch.Tensor or np.ndarray, got {type(x).__name__}')
    if integer and (x.dtype.is_floating_point or x.dtype.is_complex):
        raise TypeError(f'{name} must hold integers, got dtype {x.dtype}')
    return x


def as_container_of(result: torch.Tensor, like) -> ArrayLike:
    """``result`` as an ndarray if ``like`` is one, else the tensor as it is.

    A function that accepts either container computes in torch and returns its
    result in the container of its (main) input.

    Args:
        result (Tensor): The computed values, any shape.
        like (Tensor | ndarray): The input whose container is kept.

    Returns:
        Tensor | ndarray: ``result`` (same values; an ndarray shares a CPU
        tensor's memory).
    """
    return to_numpy(result) if isinstance(like, np.ndarray) else result
