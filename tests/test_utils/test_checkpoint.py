import io
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer

import hp_mm  # noqa: F401  (registers the safe globals)
from hp_mm.utils.checkpoint import checkpoint_safe_globals


class _Arbitrary:
    def __reduce__(self):
        return (print, ('this must never run',))


def _roundtrip(obj):
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return torch.load(buf, weights_only=True)


def test_mmengine_checkpoint_objects_load_with_weights_only():
    hist = HistoryBuffer()
    hist.update(0.5)
    hist.update(0.25)
    meta = dict(seed=np.int64(3), lr=np.float64(0.1), arr=np.arange(4, dtype=np.float32),
                palette=[np.array([1, 2, 3], np.uint8)], hist=hist)
    out = _roundtrip(meta)
    assert out['seed'] == 3 and out['arr'].dtype == np.float32
    np.testing.assert_array_equal(out['arr'], np.arange(4))
    assert out['hist'].mean() == pytest.approx(0.375)


def test_arbitrary_objects_are_still_refused():
    assert _Arbitrary not in checkpoint_safe_globals()
    with pytest.raises(pickle.UnpicklingError):
        _roundtrip({'x': _Arbitrary()})


class _Payload:
    """Pickles as getattr(HistoryBuffer, '__init__') -- a non-public attribute."""

    def __reduce__(self):
        return (getattr, (HistoryBuffer, '__init__'))


def test_getattr_is_restricted_to_history_buffer_methods():
    with pytest.raises(pickle.UnpicklingError):
        _roundtrip({'x': _Payload()})


def test_checkpoint_written_with_numpy_1_names_loads():
    """A checkpoint pickled under numpy 1.x names its reconstructors
    ``numpy.core.multiarray.*``; it loads with weights_only=True (numpy 2 here)."""
    import zipfile
    meta = dict(epoch=np.int64(7), best=np.float64(0.5), arr=np.arange(3, dtype=np.int16))
    buf = io.BytesIO()
    torch.save(meta, buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    renamed = 0
    with zipfile.ZipFile(out, 'w') as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.endswith('data.pkl'):
                # protocol-2 GLOBAL opcodes: the module name is a plain text line
                renamed = data.count(b'numpy._core.multiarray\n')
                data = data.replace(b'numpy._core.multiarray\n', b'numpy.core.multiarray\n')
            dst.writestr(info, data)
    assert renamed >= 2 and b'numpy._core.multiarray\n' not in out.getvalue()
    out.seek(0)
    got = torch.load(out, weights_only=True)
    assert got['epoch'] == 7 and got['best'] == 0.5
    np.testing.assert_array_equal(got['arr'], np.arange(3))
    assert got['arr'].dtype == np.int16
