"""PseudoLabelWriter: buffering with checks, exactly-once, in-place rewrites, restore, read."""
import os

import numpy as np
import pytest
import torch

from hp_mm.structures import PseudoLabelStore
from hp_mm.structures.pseudo_label_writer import PseudoLabelWriter


def test_add_take_commit_exactly_once(tmp_path):
    path = str(tmp_path / 'default.npy')
    writer = PseudoLabelWriter(('default', ), owner='MyHook')
    writer.add(torch.tensor([0, 1]), torch.zeros(2, 2, 3, dtype=torch.long))
    writer.add([1, 3], np.ones((2, 2, 3)))
    idx, maps = writer.take('default')
    assert idx.tolist() == [0, 1, 1, 3] and maps.dtype == np.uint8 and maps.shape == (4, 2, 3)
    with pytest.raises(ValueError, match='1 missing, 1 written more than once, 0 out of range'):
        writer.commit('default', path, idx, maps, 4)
    assert not os.path.exists(path)                    # nothing written on a failed check
    writer.add([3, 0, 2, 1], np.arange(24).reshape(4, 2, 3) % 5)
    idx, maps = writer.take('default')
    writer.commit('default', path, idx, maps, 4)
    store = PseudoLabelStore(path)
    # written in sample order: sample 3 got the first map (0..5 % 5), sample 0 the second
    assert store.read(3).tolist() == [[0, 1, 2], [3, 4, 0]]
    assert store.read(0).tolist() == [[1, 2, 3], [4, 0, 1]]
    assert writer.take('default')[0].shape == (0, )   # taken: nothing left


def test_checks_on_add_and_commit(tmp_path):
    writer = PseudoLabelWriter(('a', ), owner='MyHook')
    with pytest.raises(ValueError, match=r'\[0, 255\], got \[256, 256\]'):
        writer.add([0], np.full((1, 2, 3), 256), store='a')
    with pytest.raises(KeyError, match="MyHook: unknown store 'other'"):
        writer.add([0], np.zeros((1, 2, 3)), store='other')
    with pytest.raises(ValueError, match=r'shape \(n=2, h, w\)'):
        writer.add([0, 1], np.zeros((1, 2, 3)), store='a')
    with pytest.raises(ValueError, match='no labels were written this epoch'):
        writer.commit('a', str(tmp_path / 'a.npy'), np.zeros(0, np.int64),
                      np.zeros((0, 0, 0), np.uint8), 3)
    with pytest.raises(ValueError, match=r'1 out of range \[0, 2\)'):
        writer.check_exactly_once('a', np.array([0, 1, 2]), 2)
    with pytest.raises(ValueError, match='negative'):
        writer.check_exactly_once('a', np.array([-1, 0]), 2)


def test_first_commit_replaces_a_stale_file_later_ones_write_in_place(tmp_path):
    path = str(tmp_path / 'a.npy')
    PseudoLabelStore.create(path, 5, 1, 1, fill=9)     # stale file of another run and shape
    writer = PseudoLabelWriter(('a', ))
    writer.commit('a', path, np.array([1, 0]), np.array([[[1]], [[2]]], np.uint8), 2)
    inode = os.stat(path).st_ino
    reader = PseudoLabelStore(path)                    # a reader that maps the file
    writer.commit('a', path, np.array([0, 1]), np.array([[[7]], [[8]]], np.uint8), 2)
    assert os.stat(path).st_ino == inode and reader.read([0, 1]).ravel().tolist() == [7, 8]
    assert writer.read(path).ravel().tolist() == [7, 8]
    # a rank that only checks writes nothing
    writer.commit('a', path, np.array([0, 1]), np.array([[[0]], [[0]]], np.uint8), 2, write=False)
    assert writer.read(path).ravel().tolist() == [7, 8]
    # restore replaces the whole array (e.g. from a checkpoint)
    writer.restore(path, np.full((3, 1, 2), 4, np.uint8))
    assert writer.read(path).shape == (3, 1, 2) and (writer.read(path) == 4).all()
