"""PseudoLabelStore: uint8 (N, h, w) memmap written in place, read by sample_idx."""
import numpy as np
import pytest

from hp_mm.structures import IGNORE_LABEL, PseudoLabelStore


def test_create_write_read(tmp_path):
    path = str(tmp_path / 'sub' / 'default.npy')
    store = PseudoLabelStore.create(path, 5, 3, 2)
    assert store.shape == (5, 3, 2) and store.array.dtype == np.uint8 and len(store) == 5
    assert (store.array == IGNORE_LABEL).all()              # nothing labelled yet
    store.write([4, 1], np.stack([np.full((3, 2), 7), np.arange(6).reshape(3, 2)]))
    store.flush()
    reader = PseudoLabelStore(path)                          # read-only, from the header
    assert reader.read(4).tolist() == [[7, 7], [7, 7], [7, 7]]
    assert reader.read([1, 0]).tolist() == [[[0, 1], [2, 3], [4, 5]], [[255] * 2] * 3]
    with pytest.raises(PermissionError):
        reader.write([0], np.zeros((1, 3, 2)))
    with pytest.raises(IndexError, match=r'out of range \[0, 5\)'):
        reader.read(5)
    with pytest.raises(ValueError, match=r'shape \(1, 3, 2\)'):
        store.write([0], np.zeros((1, 2, 3)))
    with pytest.raises(ValueError, match=r'\[0, 255\]'):
        store.write([0], np.full((1, 3, 2), -1))


def test_in_place_rewrite_is_seen_by_an_open_reader(tmp_path):
    # a dataloader worker maps the file once; the next clustering rewrites it in place
    path = str(tmp_path / 'parts.npy')
    writer = PseudoLabelStore.create(path, 2, 2, 2, fill=0)
    reader = PseudoLabelStore(path)
    assert reader.read(1).sum() == 0
    again = PseudoLabelStore.create(path, 2, 2, 2)           # same shape: reused, not recreated
    again.write([1], np.full((1, 2, 2), 3))
    again.flush()
    assert reader.read(1).tolist() == [[3, 3], [3, 3]]
    assert writer.read(1).tolist() == [[3, 3], [3, 3]]
    with pytest.raises(ValueError, match='already exists with shape'):
        PseudoLabelStore.create(path, 3, 2, 2)
    store = PseudoLabelStore(path, 'r+')
    store.load(np.arange(8).reshape(2, 2, 2))
    assert reader.read(0).tolist() == [[0, 1], [2, 3]]


def test_rejects_other_arrays(tmp_path):
    np.save(tmp_path / 'bad.npy', np.zeros((2, 3), np.int64))
    with pytest.raises(ValueError, match=r'\(N, h, w\) uint8'):
        PseudoLabelStore(str(tmp_path / 'bad.npy'))
    with pytest.raises(FileNotFoundError):
        PseudoLabelStore(str(tmp_path / 'missing.npy'))


def test_replace_a_store_of_another_shape(tmp_path):
    path = str(tmp_path / 'a.npy')
    PseudoLabelStore.create(path, 2, 2, 2, fill=1)
    store = PseudoLabelStore.create(path, 3, 4, 1, replace=True)
    assert store.shape == (3, 4, 1) and (store.array == 255).all()
