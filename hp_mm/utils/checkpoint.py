"""Checkpoint loading on torch >= 2.6 (``weights_only=True`` by default).

mmengine 0.10.7 saves numpy arrays and scalars (message hub history buffers,
``dataset_meta`` palettes, RNG state) in its checkpoints, and loads them with
``torch.load(...)`` whose default is now ``weights_only=True``: ``--resume`` and
``load_from`` then raise ``UnpicklingError``. Rather than turning
``weights_only`` off (which would unpickle arbitrary code from any file), we
allow-list exactly the types mmengine's own checkpoints contain, under their
numpy 2 names and under the numpy 1.x names (``numpy.core.multiarray.*``) that
checkpoints written with numpy 1.x carry.
"""
import pickle

import numpy as np
import torch


def _numpy_safe_globals():
    """The numpy reconstructors, dtypes and scalar types found in mmengine checkpoints."""
    multiarray = np._core.multiarray if hasattr(np, '_core') else np.core.multiarray
    types = [np.ndarray, np.dtype, multiarray._reconstruct, multiarray.scalar]
    # the same two reconstructors under the module name of the other numpy major version
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        if module != multiarray.__name__:
            types += [(multiarray._reconstruct, f'{module}._reconstruct'),
                      (multiarray.scalar, f'{module}.scalar')]
    # numpy >= 1.25 pickles dtypes as instances of numpy.dtypes.XDType classes.
    dtypes_mod = getattr(np, 'dtypes', None)
    if dtypes_mod is not None:
        types += [getattr(dtypes_mod, n) for n in dir(dtypes_mod) if n.endswith('DType')]
    return types


def history_buffer_getattr(obj, name: str):
    """Stand-in for ``builtins.getattr`` while unpickling a checkpoint.

    mmengine's ``HistoryBuffer.__getstate__`` pickles its statistics methods as
    ``getattr(HistoryBuffer, 'mean')`` etc. Allowing the real ``getattr`` would
    let a crafted file walk ``__globals__`` to ``eval``; this one only returns
    public methods of ``HistoryBuffer`` and refuses everything else.
    """
    from mmengine.logging.history_buffer import HistoryBuffer
    if obj is HistoryBuffer and not name.startswith('_') and callable(
            getattr(HistoryBuffer, name, None)):
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'checkpoint asks for getattr({obj!r}, {name!r}): only public HistoryBuffer methods '
        'are allowed when loading with weights_only=True')


def checkpoint_safe_globals():
    """Return the list of globals to allow for ``weights_only`` loading.

    Returns:
        list: numpy array/scalar/dtype reconstructors, mmengine's
        ``HistoryBuffer`` (a plain container of numpy arrays) and the restricted
        ``getattr`` its pickled state needs, as ``(object, 'builtins.getattr')``.
    """
    from mmengine.logging.history_buffer import HistoryBuffer
    return _numpy_safe_globals() + [HistoryBuffer,
                                    (history_buffer_getattr, 'builtins.getattr')]


def register_checkpoint_safe_globals():
    """Allow-list the safe types of mmengine checkpoints (idempotent)."""
    add = getattr(torch.serialization, 'add_safe_globals', None)
    if add is None:  # torch < 2.4 loads with weights_only=False anyway
        return
    add(checkpoint_safe_globals())
